"""Safe image decoding: every entry point turns its input into RGB pixels here.

Accepts a path, bytes, a binary file object, a PIL image or an H×W×3 uint8 array. Anything
that cannot be decoded raises ``ImageError`` naming the problem, so one bad upload never
surfaces as a stray Pillow or numpy exception.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ._sniff import ico_image_sizes, image_format, what_it_is
from .errors import ImageError

ImageInput = (
    str | os.PathLike | bytes | bytearray | memoryview | IO[bytes] | Image.Image | np.ndarray
)

#: Images with more pixels than this are refused before decoding (decompression bombs).
DEFAULT_MAX_PIXELS = 64_000_000

#: Photos with more bytes than this are refused before decoding, whether a file or fetched from
#: a URL (``wildvision.fetching`` stops reading past it). 50 MB holds any real listing photo.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

#: The command-line flags that raise ``max_pixels`` and ``max_bytes`` (every verb that decodes
#: photos has them); the errors name them.
PIXELS_FLAG = "--max-pixels"
BYTES_FLAG = "--max-image-mb"

#: The formats decoded (Pillow's names): those listing photos come in. Anything else is
#: refused unparsed: notably PostScript/EPS, which Pillow would hand to Ghostscript.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "ICO", "AVIF")

#: The file name endings taken for photos (lower case) wherever a folder is read: a scan, a
#: hash list, a training or evaluation image folder. Decoding goes by content, not by name.
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jfif", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
)

# What Pillow's plugins raise on malformed data (struct.error and friends from their header
# parsing, zlib.error from PNG text chunks, MemoryError from absurd allocations).
_DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    MemoryError,
    struct.error,
    zlib.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    OverflowError,
)


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
    source: ImageInput,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_size: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Image.Image:
    """Decode ``source`` into an RGB PIL image with EXIF orientation applied.

    Args:
        max_pixels: refuse images with more pixels (decompression bombs, absurd sizes).
        min_size: the smallest side the caller needs. A JPEG larger than that is decoded
            with DCT scaling (Pillow's draft mode) at 1/2, 1/4 or 1/8 size, never below
            ``min_size`` on either side: several times faster for big listing photos.
        max_bytes: refuse a file or bytes longer than this, before decoding.

    Only ``FORMATS`` are decoded; animated images give their first frame, multi-page TIFFs
    their first page, transparency is composited on white.

    Raises:
        ImageError: the input is not a readable image, is truncated or corrupt, or is larger
            than ``max_pixels`` or ``max_bytes``; the message names the problem and the fix.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if isinstance(source, Image.Image):
        return _from_pil(source, max_pixels)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(_missing(str(source)))
        try:  # decoding errors are ImageErrors already: this catches opening the file
            _check_bytes(path.stat().st_size, str(path), max_bytes)
            with open(path, "rb") as handle:
                return _decode_stream(handle, str(path), max_pixels, min_size)
        except OSError as exc:
            raise ImageError(f"{path}: could not read ({exc}); check its permissions.") from None
    if isinstance(source, (bytes, bytearray, memoryview)):
        _check_bytes(len(source), describe(source), max_bytes)
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
    with _decode_errors(name, max_pixels, stream):
        for size in ico_image_sizes(stream):  # Pillow decodes an icon while opening it
            _check_size(size, name, max_pixels)
        image = Image.open(stream, formats=_decodable_formats())
        _check_size(image.size, name, max_pixels)  # from the header, before decoding
        if min_size and image.format == "JPEG" and image.mode in ("RGB", "L"):
            image.draft(image.mode, (min_size, min_size))
        image.load()
        return _to_rgb(image, name)


def _from_pil(image: Image.Image, max_pixels: int) -> Image.Image:
    """A PIL image, which may be lazily opened and not yet decoded."""
    name = describe(image)
    with _decode_errors(name, max_pixels):
        _check_size(image.size, name, max_pixels)
        image.load()
        return _to_rgb(image, name)


@contextlib.contextmanager
def _decode_errors(name: str, max_pixels: int, stream: IO[bytes] | None = None) -> Iterator[None]:
    """Turn whatever Pillow raises while opening or decoding into an ``ImageError``."""
    try:
        yield
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(_unidentified(name, stream)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(
            f"{name}: too large, refused as a possible decompression bomb ({exc}); to accept "
            f"it raise max_pixels (now {max_pixels}; {PIXELS_FLAG} N on the command line, "
            "which raises Pillow's limit too) and, in Python, PIL.Image.MAX_IMAGE_PIXELS."
        ) from None
    except _DECODE_ERRORS as exc:
        raise ImageError(
            f"{name}: corrupt or truncated image ({type(exc).__name__}: {exc}); "
            "re-download or re-export it."
        ) from None


def is_url(text: object) -> bool:
    """Whether ``text`` is an ``http://`` or ``https://`` URL: what scan and predict fetch
    (``wildvision.fetching``) and decoding never opens."""
    return isinstance(text, str) and text[:8].lower().startswith(("http://", "https://"))


def _missing(path: str) -> str:
    if is_url(path):
        return (
            f"{path}: a URL, and decoding never goes to the network; fetch it first with "
            "wildvision.fetching.fetch_image_bytes(url) and pass the bytes."
        )
    return f"{path}: no such image file; check the path."


def _check_bytes(size: int, name: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise ImageError(
            f"{name}: too large, {size} bytes exceeds the limit of {max_bytes}; "
            f"re-encode the photo smaller or raise max_bytes ({BYTES_FLAG} on the command line)."
        )


def _check_size(size: tuple[int, int], name: str, max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageError(
            f"{name}: too large, {width}x{height} pixels exceeds the limit of {max_pixels}; "
            f"downscale the image or raise max_pixels ({PIXELS_FLAG} N on the command line)."
        )


@functools.cache
def _decodable_formats() -> tuple[str, ...]:
    Image.init()  # registers every plugin, as Image.open would; AVIF needs Pillow 11.2+
    return tuple(name for name in FORMATS if name in Image.OPEN)


def _unidentified(name: str, stream: IO[bytes] | None) -> str:
    try:
        stream.seek(0)  # type: ignore[union-attr]
        head = stream.read(1024)  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):
        head = b"?"
    fmt = image_format(head)
    if fmt:
        return (
            f"{name}: corrupt {fmt} image, its header is damaged or cut off; "
            "re-download or re-export it."
        )
    what = what_it_is(head) or "unknown content"
    readable = ", ".join("WebP" if fmt == "WEBP" else fmt for fmt in _decodable_formats())
    return f"{name}: not a recognised image format ({what}); wildvision reads {readable}."


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
    integers above 255 are taken as 16-bit, floats up to 1.0 as fractions; NaN is black,
    infinities black or white."""
    array = np.asarray(image, dtype=np.float64)
    finite = array[np.isfinite(array)]
    peak = float(finite.max()) if finite.size else 0.0
    if image.mode.startswith("I;16") or (image.mode == "I" and peak > 255):
        array = array / 257.0
    elif image.mode == "F" and peak <= 1.0:
        array = array * 255.0
    array = np.nan_to_num(array, nan=0.0, posinf=255.0, neginf=0.0)
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
