"""Safe image decoding: every entry point turns its input into RGB pixels here.

Accepts a path, bytes, a binary file object, a PIL image or an H×W×3 uint8 array. Anything
that cannot be decoded raises ``ImageError`` naming the problem, so one bad upload never
surfaces as a stray Pillow or numpy exception.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

ImageInput = (
    str | os.PathLike | bytes | bytearray | memoryview | IO[bytes] | Image.Image | np.ndarray
)

#: Images with more pixels than this are refused before decoding (decompression bombs).
DEFAULT_MAX_PIXELS = 64_000_000


def describe(source: object) -> str:
    """A short name for an input, for error messages and batch results."""
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<{len(source)} bytes>"
    if isinstance(source, np.ndarray):
        return f"<array {source.shape} {source.dtype}>"
    if isinstance(source, Image.Image):
        return f"<PIL image {source.mode} {source.size}>"
    return f"<{type(source).__name__}>"


def load_image(
    source: ImageInput, *, max_pixels: int = DEFAULT_MAX_PIXELS, min_size: int | None = None
) -> Image.Image:
    """Decode ``source`` into an RGB PIL image with EXIF orientation applied.

    Args:
        max_pixels: refuse images with more pixels (decompression bombs, absurd sizes).
        min_size: the smallest side the caller needs. A JPEG larger than that is decoded
            with DCT scaling (Pillow's draft mode) at 1/2, 1/4 or 1/8 size, never below
            ``min_size`` on either side: several times faster for big listing photos.

    Raises:
        ImageError: the input is not a readable image, or is larger than ``max_pixels``.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if isinstance(source, Image.Image):
        return _to_rgb(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"{path}: no such image file; check the path.")
        with open(path, "rb") as handle:
            return _decode_stream(handle, str(path), max_pixels, min_size)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decode_stream(io.BytesIO(bytes(source)), describe(source), max_pixels, min_size)
    if hasattr(source, "read"):
        try:
            data = source.read()
        except UnicodeDecodeError:
            data = None
        except (OSError, ValueError) as exc:
            raise ImageError(f"{describe(source)}: could not read ({exc}).") from None
        if not isinstance(data, (bytes, bytearray)):
            raise ImageError(
                f"{describe(source)} did not give bytes from read(); "
                "open the file in binary mode ('rb')."
            )
        return _decode_stream(io.BytesIO(bytes(data)), describe(source), max_pixels, min_size)
    raise ImageError(
        f"cannot read an image from {type(source).__name__}; pass a path, bytes, a binary "
        "file object, a PIL image or an HxWx3 uint8 numpy array."
    )


def _decode_stream(
    stream: IO[bytes], name: str, max_pixels: int, min_size: int | None = None
) -> Image.Image:
    try:
        image = Image.open(stream)
        width, height = image.size
        if width * height > max_pixels:
            raise ImageError(
                f"{name}: {width}x{height} pixels exceeds the limit of {max_pixels}; "
                "downscale the image or raise max_pixels."
            )
        if min_size and image.format == "JPEG" and image.mode in ("RGB", "L"):
            image.draft(image.mode, (min_size, min_size))
        image.load()
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(
            f"{name}: not a recognised image format (empty or not an image)."
        ) from None
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{name}: refused as a decompression bomb ({exc}).") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise ImageError(f"{name}: corrupt or truncated image ({exc}).") from None
    return _to_rgb(image, name)


def _to_rgb(image: Image.Image, name: str | None = None) -> Image.Image:
    name = name or describe(image)
    with contextlib.suppress(Exception):  # a bogus EXIF block must not lose the picture
        image = ImageOps.exif_transpose(image)
    if image.width < 1 or image.height < 1:
        raise ImageError(f"{name}: image has no pixels ({image.width}x{image.height}).")
    if image.mode == "RGB":
        return image
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image).convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return Image.fromarray(_to_8bit(image), mode="L").convert("RGB")
    try:
        return image.convert("RGB")
    except (OSError, ValueError) as exc:
        raise ImageError(f"{name}: cannot convert mode {image.mode} to RGB ({exc}).") from None


def _to_8bit(image: Image.Image) -> np.ndarray:
    """16-bit, 32-bit and float greyscale -> uint8, keeping the value scale (white stays white):
    integers above 255 are taken as 16-bit, floats up to 1.0 as fractions."""
    array = np.asarray(image, dtype=np.float64)
    peak = float(array.max()) if array.size else 0.0
    if image.mode.startswith("I;16") or (image.mode == "I" and peak > 255):
        array = array / 257.0
    elif image.mode == "F" and peak <= 1.0:
        array = array * 255.0
    return np.clip(np.rint(array), 0, 255).astype(np.uint8)


def _from_array(array: np.ndarray) -> Image.Image:
    if array.dtype != np.uint8:
        raise ImageError(
            f"numpy image must be uint8, got {array.dtype}; scale to 0..255 and use "
            "array.astype(np.uint8)."
        )
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or 0 in array.shape:
        raise ImageError(
            f"numpy image must have shape HxWx3 (RGB), got {array.shape}; "
            "convert greyscale or channel-first arrays first."
        )
    return _to_rgb(Image.fromarray(np.ascontiguousarray(array)))
