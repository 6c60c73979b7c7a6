"""The hostile-image catalogue (``tests/hostile_images.py``) through ``load_image``,
``Classifier.predict_batch`` and ``scan``: each kind decodes to the right pixels or is refused
with an ``ImageError`` naming the problem, nothing hangs, and the pixel limit holds."""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import warnings

import numpy as np
import pytest
from PIL import EpsImagePlugin, Image, ImageFile

import wildvision
from tests.hostile_images import (
    TOO_LARGE,
    Hostile,
    catalogue,
    decode_in_time,
    encode,
    noise,
    png_claiming,
    truncated,
)
from wildvision import Classifier, ImageError, load_image

# Expected along the way: Pillow's own warnings on the broken EXIF and the 144 M-pixel header.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning"),
    pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
]
CATALOGUE = catalogue()


def assert_pixels(image: Image.Image, item: Hostile) -> None:
    assert image.mode == "RGB"
    pixels = np.asarray(image)
    assert pixels.shape == item.expect.shape
    assert np.abs(pixels.astype(int) - item.expect).max() <= item.tolerance


def test_catalogue_has_thirty_kinds_with_unique_ids():
    ids = [item.id for item in CATALOGUE]
    assert len(set(ids)) == len(ids) >= 30
    assert sum(item.decodes for item in CATALOGUE) >= 15
    assert sum(not item.decodes for item in CATALOGUE) >= 15


@pytest.mark.filterwarnings("error::RuntimeWarning")  # numpy's, from a misread conversion
@pytest.mark.parametrize("item", CATALOGUE, ids=lambda item: item.id)
def test_each_kind_decodes_right_or_is_refused_by_name(item):
    if item.decodes:
        assert_pixels(decode_in_time(item.data), item)
    else:
        with pytest.raises(ImageError, match=item.error) as exc:
            decode_in_time(item.data)
        assert type(exc.value) is ImageError
        assert str(exc.value).startswith(f"<{len(item.data)} bytes>: ")


@pytest.mark.parametrize("item", CATALOGUE, ids=lambda item: item.id)
def test_each_kind_gives_the_same_outcome_with_draft_decoding(item):
    # The classifier decodes with min_size (JPEG DCT scaling): same refusals, never too small.
    if item.decodes:
        image = decode_in_time(item.data, min_size=16)
        assert image.mode == "RGB"
        assert min(image.size) >= min(16, *item.expect.shape[:2])
    else:
        with pytest.raises(ImageError, match=item.error):
            decode_in_time(item.data, min_size=16)


def interleaved(photos: list) -> tuple[list, list[Hostile | str]]:
    """The catalogue with a good photo before every tenth kind: (inputs, and for each its
    catalogue entry or, for a photo, its expected label)."""
    inputs, kinds = [], []
    for index, item in enumerate(CATALOGUE):
        if index % 10 == 0:
            photo = photos[(index // 10) % len(photos)]
            inputs.append(photo)
            kinds.append(photo.parent.name)
        inputs.append(item.data)
        kinds.append(item)
    return inputs, kinds


@pytest.fixture(scope="module")
def photos(photo_folder):
    return [sorted((photo_folder / label).glob("*.jpg"))[0] for label in ("animal", "drink")]


def check_results(results: list[tuple[str | None, str | None]], kinds) -> None:
    """``results``: (label, error) for each input, in input order."""
    assert len(results) == len(kinds)
    for (label, error), kind in zip(results, kinds):
        if isinstance(kind, str):  # a good photo
            assert (label, error) == (kind, None)
        elif kind.decodes:
            assert error is None, (kind.id, error)
            assert label in ("animal", "drink")
        else:
            assert error is not None and re.search(kind.error, error), (kind.id, error)
            assert not label


def test_predict_batch_gives_one_result_per_input_and_goes_on(tiny_model, photos):
    inputs, kinds = interleaved(photos)
    classifier = Classifier(tiny_model)
    results = list(classifier.predict_batch(inputs, batch_size=8))
    check_results([(r.label, r.error) for r in results], kinds)


def test_scan_writes_an_error_row_exactly_for_each_refused_kind(tiny_model, photos, tmp_path):
    inputs, kinds = interleaved(photos)
    table = tmp_path / "listings.csv"
    with open(table, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["listing_id", "path"])
        for index, (data, kind) in enumerate(zip(inputs, kinds)):
            if isinstance(kind, str):
                writer.writerow([f"{index:03d}-photo", str(data)])
            else:
                (tmp_path / f"{index:03d}.upload").write_bytes(data)
                writer.writerow([f"{index:03d}-{kind.id}", f"{index:03d}.upload"])
    output = tmp_path / "rows.jsonl"
    summary = wildvision.scan(table, output, Classifier(tiny_model), batch_size=8, progress=False)
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [row["listing_id"][:3] for row in rows] == [f"{i:03d}" for i in range(len(inputs))]
    check_results([(row["label"], row["error"]) for row in rows], kinds)
    refused = sum(not isinstance(kind, str) and not kind.decodes for kind in kinds)
    assert summary.errors == summary.decisions["error"] == refused


# --- the pixel limit --------------------------------------------------------------------


def test_pixel_limit_is_configurable_and_names_itself(tiny_model):
    data = encode(Image.fromarray(noise(40, 50)), "PNG")
    assert load_image(data, max_pixels=2000).size == (50, 40)
    with pytest.raises(ImageError, match=r"too large, 50x40 pixels .* limit of 1999.*max_pixels"):
        load_image(data, max_pixels=1999)
    assert Classifier(tiny_model, max_pixels=2000).predict(data).ok
    strict = Classifier(tiny_model, max_pixels=1999)
    with pytest.raises(ImageError, match="limit of 1999; downscale the image or raise max_pixels"):
        strict.predict(data)
    (result,) = strict.predict_batch([data])
    assert "limit of 1999" in result.error


def test_pixel_limit_holds_for_pil_images_too():
    lazy = Image.open(io.BytesIO(encode(Image.fromarray(noise(40, 50)), "PNG")))
    with pytest.raises(ImageError, match="too large"):
        load_image(lazy, max_pixels=1999)


def test_raising_max_pixels_past_pillows_own_limit_says_so():
    with pytest.raises(ImageError, match=r"too large.*PIL\.Image\.MAX_IMAGE_PIXELS"):
        load_image(png_claiming(60000, 60000), max_pixels=10**10)


def test_pillows_bomb_warning_raised_as_an_error_is_an_image_error():
    # 144 M pixels: Pillow warns (over 89 M) before max_pixels is checked; under -W error
    # the warning is an exception, and it must still surface as ImageError.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ImageError, match=TOO_LARGE):
            load_image(png_claiming(12000, 12000), max_pixels=200_000_000)


def test_an_ico_cannot_hide_a_larger_image_behind_its_directory():
    inner = encode(Image.fromarray(noise(200, 200)), "PNG")
    # one entry: 16x16, 32 bits a pixel, the PNG right after the 22-byte header and directory
    entry = struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, len(inner), 22)
    ico = struct.pack("<HHH", 0, 1, 1) + entry + inner
    with pytest.raises(ImageError, match="too large, 200x200"):
        load_image(ico, max_pixels=1000)


# --- refusals that need more than bytes -------------------------------------------------


def test_postscript_is_never_handed_to_ghostscript(monkeypatch):
    calls = []
    monkeypatch.setattr(EpsImagePlugin, "gs_binary", "gs", raising=False)
    monkeypatch.setattr(EpsImagePlugin.subprocess, "check_call", lambda *a, **k: calls.append(a))
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    with pytest.raises(ImageError, match="PostScript"):
        load_image(eps)
    assert calls == []


def test_a_lazily_opened_truncated_pil_image_is_an_image_error():
    png = encode(Image.fromarray(noise()), "PNG")
    lazy = Image.open(io.BytesIO(truncated(png, 0.5)))
    with pytest.raises(ImageError, match="corrupt or truncated") as exc:
        load_image(lazy)
    assert type(exc.value) is ImageError


def test_truncated_images_stay_refused_after_importing_wildvision():
    # Pillow pads truncated images with grey when this global is True; wildvision never sets it.
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
