"""Scan sources: folders, path lists and listing tables, read lazily with clear errors."""

from __future__ import annotations

import pytest

from wildvision import ScanError
from wildvision.sources import ScanItem, iter_source


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_folder_is_walked_recursively_in_sorted_order(tmp_path):
    for name in ("b.jpg", "a/z.PNG", "a/b/c.webp", "a.jpeg", "notes.txt", ".hidden.jpg"):
        touch(tmp_path / name)
    touch(tmp_path / ".cache" / "x.jpg")
    items = list(iter_source(tmp_path))
    expected = [tmp_path / p for p in ("a/b/c.webp", "a/z.PNG", "a.jpeg", "b.jpg")]
    assert items == [ScanItem(str(p), str(p)) for p in expected]


def test_path_list_resolves_relative_paths_against_its_folder(tmp_path):
    listing = tmp_path / "lists" / "paths.txt"
    listing.parent.mkdir()
    listing.write_text("# photos\nshop/1.jpg\n\n  /abs/2.jpg  \n")
    assert [item.path for item in iter_source(listing)] == [
        str(tmp_path / "lists" / "shop" / "1.jpg"),
        "/abs/2.jpg",
    ]
    assert all(item.listing_id == item.path for item in iter_source(listing))


def test_csv_and_jsonl_listings_give_listing_ids(tmp_path):
    table = tmp_path / "listings.csv"
    table.write_text('listing_id,image_path,title\n42,a.jpg,"ivory, carved"\nL-7,/x/b.jpg,\n')
    assert list(iter_source(table)) == [
        ScanItem("42", str(tmp_path / "a.jpg")),
        ScanItem("L-7", "/x/b.jpg"),
    ]
    lines = tmp_path / "listings.jsonl"
    lines.write_text(
        '{"listing_id": 42, "path": "a.jpg"}\n\n{"listing_id": "9", "image": "b.png"}\n'
    )
    assert list(iter_source(lines)) == [
        ScanItem("42", str(tmp_path / "a.jpg")),
        ScanItem("9", str(tmp_path / "b.png")),
    ]


def test_urls_in_lists_and_tables_stay_as_written(tmp_path):
    urls = ["https://photos.example/a.jpg?w=800", "HTTP://photos.example/b.png"]
    (tmp_path / "paths.txt").write_text(f"{urls[0]}\nlocal.jpg\n")
    assert [item.path for item in iter_source(tmp_path / "paths.txt")] == [
        urls[0],
        str(tmp_path / "local.jpg"),
    ]
    (tmp_path / "listings.csv").write_text(f"listing_id,image\n1,{urls[0]}\n2,{urls[1]}\n")
    assert list(iter_source(tmp_path / "listings.csv")) == [
        ScanItem("1", urls[0]),
        ScanItem("2", urls[1]),
    ]


def test_csv_without_the_columns_fails_before_reading_rows(tmp_path):
    table = tmp_path / "listings.csv"
    table.write_text("id,url\n1,a.jpg\n")
    with pytest.raises(ScanError, match=r"expected columns 'listing_id' and 'path'.*found \['id'"):
        iter_source(table)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"listing_id": 1, "path": "a.jpg"}\n{"listing_id": 2, "pa', "line 2: not valid JSON"),
        ('["a.jpg"]\n', "line 1: expected a JSON object"),
        ('{"listing_id": "", "path": "a.jpg"}\n', "line 1: empty 'listing_id'"),
        ('{"listing_id": "1", "url": "a.jpg"}\n', "line 1: expected columns"),
        ('{"listing_id": "a\\nb", "path": "a.jpg"}\n', "line break"),
    ],
)
def test_malformed_jsonl_rows_name_the_line(tmp_path, text, message):
    lines = tmp_path / "listings.jsonl"
    lines.write_text(text)
    with pytest.raises(ScanError, match=message):
        list(iter_source(lines))


def test_missing_and_unknown_sources_are_refused(tmp_path):
    with pytest.raises(ScanError, match="no such folder or file"):
        iter_source(tmp_path / "nope")
    with pytest.raises(ScanError, match=r"unknown source kind '\.xlsx'.*\.csv, \.jsonl"):
        iter_source(touch(tmp_path / "listings.xlsx"))
