"""Results files: durable appends, resume keys, and repair of a cut-off last line."""

from __future__ import annotations

import json

import pytest

from wildvision import ScanError
from wildvision.results import ResultsFile, iter_rows, row_key

COLUMNS = ["listing_id", "path", "label", "score"]


def rows(*ids):
    return [{"listing_id": i, "path": f"/p/{i}.jpg", "label": "ivory", "score": 0.5} for i in ids]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_reopening_knows_the_rows_already_written(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    with ResultsFile(path, COLUMNS) as results:
        assert results.done == set()
        results.append(rows("a", "b"))
    with ResultsFile(path, COLUMNS) as results:
        assert results.done == {row_key("a", "/p/a.jpg"), row_key("b", "/p/b.jpg")}
        results.append(rows("c"))
    lines = path.read_text().splitlines()
    assert len(lines) == (3 if suffix == ".jsonl" else 4)  # CSV: header once
    if suffix == ".csv":
        assert lines[0] == "listing_id,path,label,score" and lines[3] == "c,/p/c.jpg,ivory,0.5"
    else:
        assert json.loads(lines[2]) == rows("c")[0]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_cut_off_last_line_is_removed_before_appending(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    with ResultsFile(path, COLUMNS) as results:
        results.append(rows("a", "b"))
    whole = path.read_bytes()
    path.write_bytes(whole[:-7])  # as if killed while writing row b
    with ResultsFile(path, COLUMNS) as results:
        assert results.repaired
        assert results.done == {row_key("a", "/p/a.jpg")}
        results.append(rows("b"))
    assert path.read_bytes() == whole


def test_an_unreadable_complete_last_line_is_dropped(tmp_path):
    path = tmp_path / "out.jsonl"
    with ResultsFile(path, COLUMNS) as results:
        results.append(rows("a"))
    with open(path, "ab") as handle:
        handle.write(b"\0\0\0\n")  # what a crash can leave behind on some file systems
    with ResultsFile(path, COLUMNS) as results:
        assert results.repaired and len(results.done) == 1
    assert path.read_text().count("\n") == 1


def test_damage_in_the_middle_is_refused_not_silently_dropped(tmp_path):
    path = tmp_path / "out.jsonl"
    with ResultsFile(path, COLUMNS) as results:
        results.append(rows("a", "b"))
    lines = path.read_text().splitlines()
    path.write_text(f"{lines[0]}\n{{broken\n{lines[1]}\n")
    with pytest.raises(ScanError, match=r"line 2: unreadable row in the middle"):
        ResultsFile(path, COLUMNS).__enter__()


def test_a_cut_off_csv_header_is_rewritten(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("listing_id,pa")
    with ResultsFile(path, COLUMNS) as results:
        results.append(rows("a"))
    assert path.read_text() == "listing_id,path,label,score\na,/p/a.jpg,ivory,0.5\n"


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_other_columns_are_refused(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    with ResultsFile(path, COLUMNS) as results:
        results.append(rows("a"))
    with pytest.raises(ScanError, match="re-run with the same options"):
        ResultsFile(path, [*COLUMNS, "hash_match"]).__enter__()  # refused before opening


def test_unknown_output_format_is_refused(tmp_path):
    with pytest.raises(ScanError, match=r"unknown results format '\.txt'; name the output"):
        ResultsFile(tmp_path / "out.txt", COLUMNS)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_iter_rows_streams_the_rows_back(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    with ResultsFile(path, COLUMNS) as results:
        results.append(rows("a", "b"))
    back = list(iter_rows(path))
    expected = "0.5" if suffix == ".csv" else 0.5  # CSV gives strings
    assert back == [{**row, "score": expected} for row in rows("a", "b")]


def test_iter_rows_skips_a_cut_off_last_line_and_refuses_damage(tmp_path):
    path = tmp_path / "out.jsonl"
    with ResultsFile(path, COLUMNS) as results:
        results.append(rows("a", "b"))
    whole = path.read_text()
    path.write_text(whole[:-7])  # a scan killed while writing row b
    assert [row["listing_id"] for row in iter_rows(path)] == ["a"]
    lines = whole.splitlines()
    path.write_text(f"{lines[0]}\n{{broken\n{lines[1]}\n")
    with pytest.raises(ScanError, match=r"line 2: unreadable row in the middle"):
        list(iter_rows(path))


def test_iter_rows_checks_the_file_when_called(tmp_path):
    with pytest.raises(ScanError, match="no such results file"):
        iter_rows(tmp_path / "none.jsonl")
    with pytest.raises(ScanError, match=r"unknown results format '\.txt'"):
        iter_rows(tmp_path / "out.txt")
