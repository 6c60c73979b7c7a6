"""Synthetic graphics negatives: seeded, deterministic renders and a cached, atomic set."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from wildvision.data import read_manifest
from wildvision.train import _graphics_tools, synthetic
from wildvision.train.synthetic import KINDS, RENDER_VERSION, render_graphic, render_set


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image)


def read_rows(manifest):
    with open(manifest, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def test_public_constants():
    assert isinstance(RENDER_VERSION, int)
    assert len(KINDS) == len(set(KINDS)) >= 9
    assert {"text_card", "meme", "screenshot", "qr_code", "document", "chart"} <= set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_pixels_other_seed_differs(kind):
    first = pixels(render_graphic(kind, 7))
    assert np.array_equal(first, pixels(render_graphic(kind, 7)))
    assert not np.array_equal(first, pixels(render_graphic(kind, 8)))
    sized = pixels(render_graphic(kind, 7, size=(250, 200)))
    assert np.array_equal(sized, pixels(render_graphic(kind, 7, size=(250, 200))))
    assert not np.array_equal(sized, pixels(render_graphic(kind, 8, size=(250, 200))))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("size", [(320, 240), (180, 360)])
def test_every_kind_renders_a_busy_rgb_image_of_the_size(kind, size):
    for seed in range(3):
        image = render_graphic(kind, seed, size=size)
        assert image.mode == "RGB" and image.size == size
        arr = pixels(image)
        assert arr.std() > 12, (kind, seed)
        colours = np.unique(arr.reshape(-1, 3), axis=0)
        assert len(colours) > 20, (kind, seed, len(colours))


@pytest.mark.parametrize("kind", KINDS)
def test_random_size_is_social_media_like(kind):
    sizes = {render_graphic(kind, seed).size for seed in range(12)}
    assert len(sizes) > 1
    for w, h in sizes:
        assert 240 <= max(w, h) <= 480
        assert 0.5 <= w / h <= 2.0 + 1e-2


def test_seeds_are_reproducible_across_kinds_and_large_or_negative():
    a = render_graphic("meme", 2**70, size=(200, 200))
    b = render_graphic("meme", 2**70, size=(200, 200))
    assert np.array_equal(pixels(a), pixels(b))
    assert render_graphic("poster", -3, size=(200, 200)).size == (200, 200)
    # the kind is part of the seed: two kinds on one seed do not share their random draws
    assert not np.array_equal(
        pixels(render_graphic("text_card", 5, (200, 200))),
        pixels(render_graphic("greeting_card", 5, (200, 200))),
    )


def test_render_set_writes_images_and_manifest(tmp_path):
    folder = tmp_path / "set"
    manifest = render_set(folder, 20, seed=3)
    assert manifest == folder / "manifest.csv"
    columns, rows = read_rows(manifest)
    assert columns == ["path", "label", "category", "source", "group"]
    assert len(rows) == 20
    assert {row["label"] for row in rows} == {"other"}
    assert {row["source"] for row in rows} == {"synthetic"}
    counts = Counter(row["category"] for row in rows)
    assert set(counts) == set(KINDS)
    assert max(counts.values()) - min(counts.values()) <= 1
    jpegs = sorted((folder / "images").glob("*.jpg"))
    assert len(jpegs) == 20
    for row in rows:
        path = folder / row["path"]
        assert not row["path"].startswith("/") and path.is_file()
        assert row["group"] == path.stem
        with Image.open(path) as image:
            assert image.format == "JPEG" and image.mode == "RGB"
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".manifest*"))

    samples = read_manifest(manifest)
    assert len(samples) == 20
    assert {s.label for s in samples} == {"other"}
    assert {s.source for s in samples} == {"synthetic"}
    assert sorted(s.group for s in samples) == sorted(p.stem for p in jpegs)
    assert all(s.path.is_file() for s in samples)


def test_render_set_is_a_cache(tmp_path, monkeypatch):
    manifest = render_set(tmp_path, 9, seed=1)
    files = [manifest, *sorted((tmp_path / "images").glob("*.jpg"))]
    stamps = [f.stat().st_mtime_ns for f in files]

    def must_not_render(*args, **kwargs):
        raise AssertionError("a cache hit rendered again")

    monkeypatch.setattr(synthetic, "render_graphic", must_not_render)
    assert render_set(tmp_path, 9, seed=1) == manifest
    assert [f.stat().st_mtime_ns for f in files] == stamps


def test_render_set_rerenders_when_the_count_differs_or_a_file_is_missing(tmp_path):
    manifest = render_set(tmp_path, 4, kinds=["meme"])
    render_set(tmp_path, 6, kinds=["meme"])
    assert len(read_rows(manifest)[1]) == 6
    (tmp_path / read_rows(manifest)[1][0]["path"]).unlink()
    render_set(tmp_path, 6, kinds=["meme"])
    assert all((tmp_path / row["path"]).is_file() for row in read_rows(manifest)[1])


def test_render_set_is_deterministic_and_spreads_chosen_kinds(tmp_path):
    a = render_set(tmp_path / "a", 5, seed=11, kinds=("qr_code", "chart"))
    b = render_set(tmp_path / "b", 5, seed=11, kinds=("qr_code", "chart"))
    rows_a, rows_b = read_rows(a)[1], read_rows(b)[1]
    assert rows_a == rows_b
    assert Counter(row["category"] for row in rows_a) == {"qr_code": 3, "chart": 2}
    for row in rows_a:
        assert (a.parent / row["path"]).read_bytes() == (b.parent / row["path"]).read_bytes()
    c = render_set(tmp_path / "c", 5, seed=12, kinds=("qr_code", "chart"))
    first = read_rows(c)[1][0]["path"]
    assert (c.parent / first).read_bytes() != (a.parent / first).read_bytes()


def test_a_killed_render_leaves_no_manifest(tmp_path, monkeypatch):
    real = synthetic.render_graphic
    calls = []

    def dies_on_the_third(kind, seed, size=None):
        calls.append(kind)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(kind, seed, size)

    monkeypatch.setattr(synthetic, "render_graphic", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        render_set(tmp_path, 5)
    assert not (tmp_path / "manifest.csv").exists()
    monkeypatch.setattr(synthetic, "render_graphic", real)
    manifest = render_set(tmp_path, 5)
    assert len(read_rows(manifest)[1]) == 5


def test_bad_kind_or_count_names_the_valid_kinds(tmp_path):
    with pytest.raises(ValueError, match="text_card") as error:
        render_graphic("selfie", 0)
    assert all(kind in str(error.value) for kind in KINDS)
    with pytest.raises(ValueError, match="text_card"):
        render_set(tmp_path, 3, kinds=["meme", "selfie"])
    with pytest.raises(ValueError, match="text_card"):
        render_set(tmp_path, 3, kinds=[])
    for count in (0, -2):
        with pytest.raises(ValueError, match="text_card"):
            render_set(tmp_path, count)
    assert not (tmp_path / "manifest.csv").exists()


def test_renders_without_matplotlib_fonts(monkeypatch):
    _graphics_tools._font.cache_clear()
    monkeypatch.setattr(_graphics_tools, "_font_dir", lambda: None)
    try:
        for kind in KINDS:
            image = render_graphic(kind, 4, size=(240, 200))
            assert image.size == (240, 200) and pixels(image).std() > 12
    finally:
        _graphics_tools._font.cache_clear()
