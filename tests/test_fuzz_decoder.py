"""Fuzzing ``load_image``: hypothesis mutates real JPEG, PNG and WebP bytes (and TIFF, GIF, BMP
and ICO) with flipped and overwritten bytes, cuts, inserted and deleted runs, spliced headers
and huge length fields; the decoder must return an RGB image or raise ``ImageError``: nothing
else may escape, and nothing may hang.

The default run is short and deterministic; ``-m slow`` runs many more examples."""

from __future__ import annotations

import functools
import io

import numpy as np
import pytest
from PIL import Image

from tests.conftest import skimage_photo
from tests.hostile_images import decode_in_time
from wildvision import ImageError

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Real photos, small so each example decodes in about a millisecond.
SEEDS = (
    ("coffee.png", "JPEG", {"quality": 85}),
    ("chelsea.png", "JPEG", {"quality": 70, "progressive": True}),
    ("astronaut.png", "PNG", {}),
    ("coffee.png", "PNG", {"optimize": True}),
    ("chelsea.png", "WEBP", {"quality": 80}),
    ("astronaut.png", "WEBP", {"lossless": True}),
    # the other formats load_image accepts
    ("coffee.png", "TIFF", {"compression": "tiff_lzw"}),
    ("astronaut.png", "GIF", {}),
    ("coffee.png", "BMP", {}),
    ("chelsea.png", "ICO", {"sizes": [(64, 64)]}),
)
# Bounds what a mutated header can make the decoder allocate (its check is tested elsewhere).
MAX_PIXELS = 1_000_000
BIG_NUMBERS = (b"\x00\x00", b"\xff\xff", b"\x7f\xff", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff")


@functools.cache
def seed(index: int) -> bytes:
    name, fmt, options = SEEDS[index]
    photo = Image.open(skimage_photo(name)).convert("RGB").resize((64, 64))
    buffer = io.BytesIO()
    photo.save(buffer, fmt, **options)
    return buffer.getvalue()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed photo's bytes with one to four mutations, positions biased to the header."""
    data = bytearray(seed(draw(st.integers(0, len(SEEDS) - 1))))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        size = len(data)
        at = draw(st.one_of(st.integers(0, min(size, 300) - 1), st.integers(0, size - 1)))
        kind = draw(
            st.sampled_from(["flip", "number", "cut", "insert", "delete", "splice", "repeat"])
        )
        if kind == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "number":  # a length, offset or dimension field set to 0 or huge
            data[at : at + 4] = draw(st.sampled_from(BIG_NUMBERS))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "splice":  # another photo's header over this one's
            other = seed(draw(st.integers(0, len(SEEDS) - 1)))
            data[:at] = other[:at]
        else:  # a stretch of the file repeated (duplicated chunks and segments)
            length = draw(st.integers(1, 256))
            data[at:at] = data[at : at + length] * draw(st.integers(1, 8))
    return bytes(data)


def decodes_or_refuses(data: bytes, min_size: int | None) -> None:
    try:
        image = decode_in_time(data, max_pixels=MAX_PIXELS, min_size=min_size)
    except ImageError:
        return
    assert image.mode == "RGB" and image.width >= 1 and image.height >= 1
    assert np.asarray(image).shape == (image.height, image.width, 3)


QUICK = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LONG = settings(QUICK, max_examples=10000, derandomize=False)


def test_seeds_decode():
    for index in range(len(SEEDS)):
        decodes_or_refuses(seed(index), None)
        assert decode_in_time(seed(index)).size == (64, 64)


@pytest.mark.filterwarnings("ignore")  # mangled files make Pillow warn; only errors matter
@QUICK
@given(data=mutated(), min_size=st.sampled_from([None, 16]))
def test_mutated_photos_decode_or_raise_image_error(data, min_size):
    decodes_or_refuses(data, min_size)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
@LONG
@given(data=mutated(), min_size=st.sampled_from([None, 16]))
def test_mutated_photos_decode_or_raise_image_error_long_run(data, min_size):
    decodes_or_refuses(data, min_size)
