"""load_image: every accepted input type decodes to the right RGB pixels; bad input raises
ImageError (and nothing else). The catalogue of hostile files is in test_hostile_images.py,
fuzzing in test_fuzz_decoder.py."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import wildvision
from tests.conftest import skimage_photo
from wildvision import imaging
from wildvision.errors import ImageError
from wildvision.imaging import load_image


def known_pixels() -> np.ndarray:
    """A small HxWx3 uint8 array with distinct pixel values (not a solid colour)."""
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, size=(9, 13, 3), dtype=np.uint8)


def png_bytes(image: Image.Image, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", **kwargs)
    return buf.getvalue()


def jpeg_bytes(image: Image.Image, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=95, **kwargs)
    return buf.getvalue()


@pytest.fixture
def known_png(tmp_path) -> Path:
    path = tmp_path / "known.png"
    Image.fromarray(known_pixels()).save(path)
    return path


def assert_rgb(image: Image.Image, expected: np.ndarray) -> None:
    assert isinstance(image, Image.Image)
    assert image.mode == "RGB"
    assert image.size == (expected.shape[1], expected.shape[0])
    np.testing.assert_array_equal(np.asarray(image), expected)


# --- every input type ------------------------------------------------------------------


def test_str_path(known_png):
    assert_rgb(load_image(str(known_png)), known_pixels())


def test_pathlib_path(known_png):
    assert_rgb(load_image(known_png), known_pixels())


def test_bytes(known_png):
    assert_rgb(load_image(known_png.read_bytes()), known_pixels())


def test_bytearray(known_png):
    assert_rgb(load_image(bytearray(known_png.read_bytes())), known_pixels())


def test_memoryview(known_png):
    assert_rgb(load_image(memoryview(known_png.read_bytes())), known_pixels())


def test_binary_file_object(known_png):
    with open(known_png, "rb") as handle:
        assert_rgb(load_image(handle), known_pixels())


def test_bytesio(known_png):
    assert_rgb(load_image(io.BytesIO(known_png.read_bytes())), known_pixels())


def test_pil_image():
    assert_rgb(load_image(Image.fromarray(known_pixels())), known_pixels())


def test_pil_greyscale_image():
    grey = known_pixels()[..., 0]
    assert_rgb(load_image(Image.fromarray(grey, mode="L")), np.stack([grey] * 3, axis=-1))


def test_rgb_uint8_array():
    pixels = known_pixels()
    assert_rgb(load_image(pixels), pixels)


def test_non_contiguous_array():
    pixels = known_pixels()
    flipped = pixels[:, ::-1]
    assert not flipped.flags["C_CONTIGUOUS"]
    assert_rgb(load_image(flipped), np.ascontiguousarray(flipped))


def test_greyscale_array():
    grey = known_pixels()[..., 1]
    assert_rgb(load_image(grey), np.stack([grey] * 3, axis=-1))


@pytest.mark.parametrize("name", ["coffee.png", "chelsea.png"])
def test_real_photos_from_every_source_agree(name):
    path = skimage_photo(name)
    expected = np.asarray(Image.open(path).convert("RGB"))
    assert expected.ndim == 3 and expected.shape[0] > 100
    assert_rgb(load_image(path), expected)
    assert_rgb(load_image(str(path)), expected)
    assert_rgb(load_image(path.read_bytes()), expected)
    with open(path, "rb") as handle:
        assert_rgb(load_image(handle), expected)
    assert_rgb(load_image(expected.copy()), expected)


def test_real_photo_as_jpeg():
    path = skimage_photo("chelsea.png")
    data = jpeg_bytes(Image.open(path).convert("RGB"))
    expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert_rgb(load_image(data), expected)


# --- modes that need care --------------------------------------------------------------


def test_rgba_is_composited_on_white():
    rgba = np.zeros((4, 6, 4), dtype=np.uint8)
    rgba[..., :3] = (200, 40, 10)
    rgba[0, :, 3] = 255  # opaque row
    rgba[1, :, 3] = 0  # fully transparent row
    rgba[2, :, 3] = 128  # half transparent row
    rgba[3, :, 3] = 255
    image = load_image(png_bytes(Image.fromarray(rgba, mode="RGBA")))
    out = np.asarray(image)
    assert image.mode == "RGB"
    assert (out[0] == (200, 40, 10)).all()
    assert (out[1] == (255, 255, 255)).all()
    # alpha 128/255 over white: c * a + 255 * (1 - a)
    a = 128 / 255
    expected = np.array([200, 40, 10]) * a + 255 * (1 - a)
    assert np.abs(out[2].astype(float) - expected).max() <= 1.0


def test_rgba_pil_image_and_array_are_composited_on_white():
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[..., :3] = 30
    assert (np.asarray(load_image(Image.fromarray(rgba, mode="RGBA"))) == 255).all()
    assert (np.asarray(load_image(rgba)) == 255).all()


def test_palette_with_transparency_is_composited_on_white():
    palette = Image.new("P", (4, 3), 0)
    palette.putpalette([255, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 6))
    palette.putpixel((1, 1), 1)
    data = png_bytes(palette, transparency=0)
    assert Image.open(io.BytesIO(data)).mode == "P"
    out = np.asarray(load_image(data))
    assert tuple(out[1, 1]) == (0, 0, 255)  # opaque palette entry keeps its colour
    mask = np.ones(out.shape[:2], dtype=bool)
    mask[1, 1] = False
    assert (out[mask] == 255).all()  # transparent red becomes white, not red or black


def test_16_bit_greyscale_is_scaled_to_8_bits():
    levels = np.arange(256, dtype=np.uint16).reshape(16, 16)
    data = png_bytes(Image.fromarray(levels * 257))  # 0 .. 65535
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    out = np.asarray(load_image(data))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.stack([levels.astype(np.uint8)] * 3, axis=-1))


@pytest.mark.parametrize(("value16", "value8"), [(65535, 255), (0, 0), (128 * 257, 128)])
def test_uniform_16_bit_images_keep_their_value_scale(value16, value8):
    # No contrast stretch: a blank white scan stays white, mid grey stays mid grey.
    data = png_bytes(Image.fromarray(np.full((4, 4), value16, dtype=np.uint16)))
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    assert (np.asarray(load_image(data)) == value8).all()


def test_dark_16_bit_image_is_not_stretched():
    levels = np.array([[0, 1000], [2000, 4000]], dtype=np.uint16)
    out = np.asarray(load_image(png_bytes(Image.fromarray(levels))))
    np.testing.assert_array_equal(out[..., 0], np.rint(levels / 257.0).astype(np.uint8))


def test_exif_orientation_is_applied_to_a_pil_image():
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6
    opened = Image.open(io.BytesIO(jpeg_bytes(image, exif=exif)))
    assert load_image(opened).size == (20, 40)


# --- refusals --------------------------------------------------------------------------


def test_missing_path_names_the_path(tmp_path):
    missing = tmp_path / "no_such_listing_photo.jpg"
    with pytest.raises(ImageError, match="no_such_listing_photo.jpg") as exc:
        load_image(missing)
    assert type(exc.value) is ImageError
    with pytest.raises(ImageError, match="no such image file"):
        load_image(str(missing))


def test_unreadable_file_is_an_image_error(tmp_path, monkeypatch):
    path = tmp_path / "locked.jpg"
    path.write_bytes(b"\xff\xd8\xff")

    def no_permission(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(imaging, "open", no_permission, raising=False)
    with pytest.raises(ImageError, match="locked.jpg: could not read.*permissions"):
        load_image(path)


def test_directory_path_is_refused(tmp_path):
    with pytest.raises(ImageError, match="no such image file"):
        load_image(tmp_path)


def test_non_image_file_names_the_path(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a photo\n")
    with pytest.raises(ImageError, match="notes.jpg") as exc:
        load_image(path)
    assert type(exc.value) is ImageError


def test_truncated_jpeg(tmp_path):
    data = jpeg_bytes(Image.open(skimage_photo("coffee.png")).convert("RGB"))
    half = data[: len(data) // 2]
    with pytest.raises(ImageError, match="truncated") as exc:
        load_image(half)
    assert type(exc.value) is ImageError
    path = tmp_path / "half.jpg"
    path.write_bytes(half)
    with pytest.raises(ImageError, match="half.jpg"):
        load_image(path)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint16, np.int64, bool])
def test_array_of_the_wrong_dtype(dtype):
    with pytest.raises(ImageError, match="uint8") as exc:
        load_image(np.zeros((8, 8, 3), dtype=dtype))
    assert type(exc.value) is ImageError
    assert np.dtype(dtype).name in str(exc.value)


@pytest.mark.parametrize(
    "shape",
    [(3, 8, 8), (8, 8, 2), (8, 8, 5), (8,), (2, 8, 8, 3), (0, 8, 3), (8, 0)],
)
def test_array_of_the_wrong_shape(shape):
    with pytest.raises(ImageError, match="shape") as exc:
        load_image(np.zeros(shape, dtype=np.uint8))
    assert type(exc.value) is ImageError
    if len(shape) != 2:  # a 2-D (grey) array is reported after stacking to HxWx3
        assert str(shape) in str(exc.value)


@pytest.mark.parametrize("source", [42, 3.5, None, ["a.jpg"], {"path": "a.jpg"}])
def test_unsupported_types(source):
    with pytest.raises(ImageError, match="cannot read an image from") as exc:
        load_image(source)
    assert type(exc.value) is ImageError
    assert type(source).__name__ in str(exc.value)


def test_text_stream_is_refused():
    with pytest.raises(ImageError, match="binary mode") as exc:
        load_image(io.StringIO("not bytes"))
    assert type(exc.value) is ImageError


def test_text_mode_file_is_refused(known_png):
    # A real image file opened with open(path) instead of open(path, "rb").
    with open(known_png, encoding="utf-8") as handle, pytest.raises(ImageError) as exc:
        load_image(handle)
    assert type(exc.value) is ImageError
    assert "binary" in str(exc.value)


def test_text_mode_file_with_ascii_content_is_refused(tmp_path):
    path = tmp_path / "ascii.txt"
    path.write_text("plain ascii, decodes fine in text mode")
    with open(path, encoding="utf-8") as handle, pytest.raises(ImageError, match="binary mode"):
        load_image(handle)


def test_image_over_max_pixels_is_refused(known_png):
    pixels = known_pixels()
    count = pixels.shape[0] * pixels.shape[1]
    data = known_png.read_bytes()
    assert_rgb(load_image(data, max_pixels=count), pixels)  # the limit itself is allowed
    with pytest.raises(ImageError, match="exceeds the limit") as exc:
        load_image(data, max_pixels=count - 1)
    assert type(exc.value) is ImageError
    assert f"{pixels.shape[1]}x{pixels.shape[0]}" in str(exc.value)
    with pytest.raises(ImageError, match="known.png"):
        load_image(known_png, max_pixels=count - 1)
    with open(known_png, "rb") as handle, pytest.raises(ImageError, match="max_pixels"):
        load_image(handle, max_pixels=count - 1)


def test_image_error_is_exported_and_a_value_error():
    assert wildvision.ImageError is ImageError
    assert wildvision.load_image is load_image
    assert issubclass(ImageError, wildvision.WildvisionError)
    assert issubclass(ImageError, ValueError)


def test_closed_file_object_is_refused(tmp_path):
    handle = io.BytesIO(b"\x89PNG")
    handle.close()
    with pytest.raises(ImageError, match="could not read"):
        load_image(handle)


def test_min_size_decodes_big_jpegs_at_reduced_scale_but_never_below_it():
    photo = Image.open(skimage_photo("coffee.png")).convert("RGB").resize((2400, 1600))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    assert load_image(data).size == (2400, 1600)
    reduced = load_image(data, min_size=256)
    assert reduced.size == (600, 400)  # 1/4 scale: 1/8 would give 200 px, below 256
    assert min(load_image(data, min_size=300).size) >= 300
    png = io.BytesIO()
    photo.save(png, "PNG")
    assert load_image(png.getvalue(), min_size=256).size == (2400, 1600)  # only JPEG scales
