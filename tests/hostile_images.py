"""A catalogue of hostile and awkward images, built in memory (no binary files committed).

Each ``Hostile`` is one kind of input a listing photo upload might be: bytes, and either the
RGB pixels ``load_image`` must give (exact, or within ``tolerance`` for lossy formats) or a
regex the ``ImageError`` message must match. ``catalogue()`` builds them all;
``decode_in_time`` decodes with a hang check.
"""

from __future__ import annotations

import gzip
import io
import struct
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, features

from wildvision import load_image

SECONDS = 10  # a hang check, not a benchmark: decoding any entry takes milliseconds
BLOCK = 8  # pattern blocks are JPEG-block aligned, so q100 4:4:4 JPEG keeps them nearly exact

NOT_AN_IMAGE = "not a recognised image"
TOO_LARGE = "too large"
TRUNCATED = "truncated"
CORRUPT = "corrupt"


@dataclass(frozen=True)
class Hostile:
    """One catalogue entry: ``expect`` pixels (H×W×3 uint8) or an ``error`` regex."""

    id: str
    data: bytes
    expect: np.ndarray | None = None
    error: str | None = None
    tolerance: int = 0

    @property
    def decodes(self) -> bool:
        return self.error is None


# --- pixel patterns ---------------------------------------------------------------------


def pattern(rows: int = 3, cols: int = 4, block: int = BLOCK) -> np.ndarray:
    """Blocks of distinct colours: no rotation or mirror of it equals another."""
    colours = np.array(
        [
            (255, 0, 0), (0, 160, 0), (0, 0, 255), (255, 255, 0),
            (0, 255, 255), (255, 0, 255), (128, 64, 0), (0, 64, 128),
            (255, 255, 255), (0, 0, 0), (128, 128, 128), (64, 192, 64),
        ],
        dtype=np.uint8,
    )  # fmt: skip
    grid = colours[: rows * cols].reshape(rows, cols, 3)
    return np.repeat(np.repeat(grid, block, axis=0), block, axis=1)


def smooth(height: int = 48, width: int = 64) -> np.ndarray:
    """Red rising left to right, green top to bottom: lossy codecs keep it within a few levels
    and no rotation or mirror of it equals another."""
    red = np.linspace(30, 220, width)[None, :].repeat(height, 0)
    green = np.linspace(30, 220, height)[:, None].repeat(width, 1)
    return np.dstack([red, green, np.full_like(red, 128)]).round().astype(np.uint8)


def noise(height: int = 64, width: int = 64) -> np.ndarray:
    """Random pixels: compressed data fills nearly the whole file, so any cut lands in it."""
    return np.random.default_rng(height * width).integers(0, 256, (height, width, 3), np.uint8)


def grey_ramp(height: int = 8, width: int = 32) -> np.ndarray:
    """Levels 0..255 across the image, as uint8 H×W."""
    return np.tile(np.linspace(0, 255, width).round().astype(np.uint8), (height, 1))


def as_rgb(grey: np.ndarray) -> np.ndarray:
    return np.stack([grey] * 3, axis=-1)


# --- encoders ---------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def exact_jpeg(pixels: np.ndarray, **kwargs) -> bytes:
    """A JPEG that keeps block-aligned flat colours within a level or two."""
    return encode(Image.fromarray(pixels), "JPEG", quality=100, subsampling=0, **kwargs)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def raw_png(width: int, height: int, bit_depth: int, colour_type: int, rows: bytes) -> bytes:
    """A PNG from its parts: any IHDR (valid CRC), ``rows`` (already filter-prefixed) as IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` RGB with one row of data behind it."""
    return raw_png(width, height, 8, 2, b"\x00" + b"\x00" * 3 * min(width, 64))


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG with its SOF marker patched to claim ``width``×``height``."""
    data = bytearray(exact_jpeg(pattern()))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def with_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exact_jpeg(pattern(), exif=exif.tobytes())


def oriented(pixels: np.ndarray, value: int) -> np.ndarray:
    """What EXIF orientation ``value`` means: the stored pixels turned upright for display."""
    turns = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.transpose(1, 0, 2),
        6: lambda a: np.rot90(a, k=-1),
        7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),
        8: lambda a: np.rot90(a, k=1),
    }
    return np.ascontiguousarray(turns.get(value, lambda a: a)(pixels))


def truncated(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


def frames(fmt: str, first: np.ndarray, second: np.ndarray, **kwargs) -> bytes:
    images = [Image.fromarray(first), Image.fromarray(second)]
    return encode(images[0], fmt, save_all=True, append_images=images[1:], **kwargs)


def exif_garbage_jpeg() -> bytes:
    """A JPEG whose APP1 Exif segment holds junk instead of a TIFF structure."""
    data = exact_jpeg(pattern())
    body = b"Exif\x00\x00" + b"II*\x00\xff\xff\xff\x7f" + b"\xa5" * 40
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + data[2:]


# --- the catalogue ----------------------------------------------------------------------


def _not_images() -> list[Hostile]:
    rng = np.random.default_rng(6)
    photo = exact_jpeg(pattern())
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("listing.jpg", photo)
    svg = (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
        b'height="10"><rect width="10" height="10" fill="red"/></svg>'
    )
    return [
        Hostile("empty", b"", error=f"{NOT_AN_IMAGE}.*empty"),
        Hostile("text", b"ivory bangle, antique, 50 EUR\n", error=r"format \(text, not an image"),
        Hostile("html", b"<!DOCTYPE html><html><body>404</body></html>", error="HTML"),
        Hostile("random-bytes", rng.bytes(4096), error=NOT_AN_IMAGE),
        Hostile("zeros", b"\x00" * 64, error=NOT_AN_IMAGE),
        Hostile("svg", svg, error="SVG"),
        Hostile("pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", error="PDF"),
        Hostile(
            "postscript-eps",
            b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
            error="PostScript",
        ),
        Hostile("heic", struct.pack(">I", 24) + b"ftypheic\x00\x00\x00\x00mif1heic", error="HEIC"),
        Hostile("zip-of-a-photo", archive.getvalue(), error="ZIP"),
        Hostile("gzip-of-a-photo", gzip.compress(photo), error="gzip"),
    ]


def _broken() -> list[Hostile]:
    photo = Image.fromarray(noise())
    encoded = {
        "jpeg": encode(photo, "JPEG", quality=90),
        "png": encode(photo, "PNG"),
        "webp": encode(photo, "WEBP", quality=90),
        "gif": encode(photo, "GIF"),
        "tiff": encode(photo, "TIFF"),
        "bmp": encode(photo, "BMP"),
    }
    cut = f"{CORRUPT} or {TRUNCATED}"
    cases = [
        Hostile(f"{fmt}-truncated-{percent}%", truncated(data, percent / 100), error=cut)
        for fmt, data in encoded.items()
        for percent in ((10, 50, 90) if fmt in ("jpeg", "png", "webp") else (50,))
    ]
    png = encode(Image.fromarray(pattern()), "PNG")
    bad_crc = bytearray(png)
    bad_crc[29] ^= 0xFF  # last byte of the IHDR chunk's CRC
    cases += [
        Hostile("png-bad-crc", bytes(bad_crc), error=f"{CORRUPT} PNG"),
        Hostile("png-without-iend", png[:-12], pattern()),  # every pixel is there
        Hostile(
            "jpeg-garbage-after-eoi", exact_jpeg(pattern()) + b"\0junk" * 99, pattern(), tolerance=3
        ),
    ]
    return cases


def _too_large() -> list[Hostile]:
    return [
        Hostile("png-claims-60000x60000", png_claiming(60000, 60000), error=TOO_LARGE),
        Hostile("png-claims-9000x9000", png_claiming(9000, 9000), error=TOO_LARGE),
        Hostile("png-claims-12000x12000", png_claiming(12000, 12000), error=TOO_LARGE),
        Hostile("jpeg-claims-65500x65500", jpeg_claiming(65500, 65500), error=TOO_LARGE),
        Hostile("jpeg-claims-0x0", jpeg_claiming(0, 0), error=f"{CORRUPT}|{NOT_AN_IMAGE}"),
    ]


def _modes() -> list[Hostile]:
    rgb = pattern()
    grey = grey_ramp()
    levels16 = (grey.astype(np.uint32) * 257).astype(np.uint16)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    rgba[:BLOCK, :, 3] = 0  # transparent top row of blocks: white
    rgba_expect = rgb.copy()
    rgba_expect[:BLOCK] = 255
    stripes = np.where(np.arange(grey.shape[1]) % 2, 255, 0).astype(np.uint8)
    la = np.dstack([grey, np.tile(stripes, (grey.shape[0], 1))])  # every other column clear
    la_expect = as_rgb(np.where(la[..., 1] == 255, grey, 255).astype(np.uint8))
    palette = Image.fromarray(rgb).quantize(colors=12, dither=Image.Dither.NONE)
    index_of_top_left = palette.getpixel((0, 0))
    palette_expect = rgb.copy()
    palette_expect[:BLOCK, :BLOCK] = 255  # the top-left colour is the transparent entry
    nan_inf = grey.astype(np.float32) / 255
    nan_inf[0, :3] = (np.nan, np.inf, -np.inf)  # black, white, black; the rest keeps its scale
    nan_inf_expect = grey.copy()
    nan_inf_expect[0, :3] = (0, 255, 0)
    bits = (grey > 127).astype(np.uint8) * 255
    rgb16 = rgb.astype(np.uint16) * 256 + 99  # high bytes are the 8-bit values
    rows16 = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in rgb16)
    return [
        Hostile(
            "cmyk-jpeg",
            encode(Image.fromarray(rgb).convert("CMYK"), "JPEG", quality=100),
            rgb,
            tolerance=12,
        ),
        Hostile("grey-16bit-png", encode(Image.fromarray(levels16), "PNG"), as_rgb(grey)),
        Hostile("rgb-48bit-png", raw_png(32, 24, 16, 2, rows16), rgb, tolerance=1),
        Hostile(
            "int32-tiff",
            encode(Image.fromarray(levels16.astype(np.int32), mode="I"), "TIFF"),
            as_rgb(grey),
        ),
        Hostile(
            "float-tiff",
            encode(Image.fromarray(grey.astype(np.float32) / 255, mode="F"), "TIFF"),
            as_rgb(grey),
        ),
        Hostile(
            "float-tiff-nan-inf",
            encode(Image.fromarray(nan_inf, mode="F"), "TIFF"),
            as_rgb(nan_inf_expect),
        ),
        Hostile("1bit-png", encode(Image.fromarray(bits).convert("1"), "PNG"), as_rgb(bits)),
        Hostile(
            "palette-transparency-png",
            encode(palette, "PNG", transparency=index_of_top_left),
            palette_expect,
        ),
        Hostile("la-png", encode(Image.fromarray(la, mode="LA"), "PNG"), la_expect),
        Hostile("rgba-png", encode(Image.fromarray(rgba), "PNG"), rgba_expect),
    ]


def _geometry() -> list[Hostile]:
    cases = [
        Hostile(
            f"exif-orientation-{value}",
            with_orientation(value),
            oriented(pattern(), value),
            tolerance=3,
        )
        for value in range(1, 9)
    ]
    cases += [
        Hostile(f"exif-orientation-bogus-{value}", with_orientation(value), pattern(), tolerance=3)
        for value in (0, 9, 255)
    ]
    cases.append(Hostile("exif-garbage", exif_garbage_jpeg(), pattern(), tolerance=3))
    for height, width in ((1, 1), (1, 20000), (20000, 1)):
        pixels = np.random.default_rng(height).integers(0, 256, (height, width, 3), np.uint8)
        cases.append(
            Hostile(f"{width}x{height}-png", encode(Image.fromarray(pixels), "PNG"), pixels)
        )
    return cases


def _containers() -> list[Hostile]:
    first, second = pattern(), pattern()[::-1, ::-1].copy()
    page = Image.fromarray(first)
    cases = [
        Hostile("animated-gif", frames("GIF", first, second, duration=100, loop=0), first),
        Hostile(
            "animated-webp",
            frames("WEBP", first, second, lossless=True, duration=100),
            first,
        ),
        Hostile("bmp", encode(page, "BMP"), first),
        Hostile("ico", encode(page, "ICO", sizes=[(32, 24)]), first),
        Hostile("tiff", encode(page, "TIFF"), first),
        Hostile("multipage-tiff", frames("TIFF", first, second), first),
        Hostile(
            "webp-lossy",
            encode(Image.fromarray(smooth()), "WEBP", quality=95),
            smooth(),
            tolerance=6,
        ),
    ]
    if features.check("avif"):
        avif = encode(Image.fromarray(smooth()), "AVIF", quality=95)
        cases.append(Hostile("avif", avif, smooth(), tolerance=6))
    return cases


def catalogue() -> list[Hostile]:
    """Every hostile kind, built fresh (a few hundred KB in all)."""
    return _not_images() + _broken() + _too_large() + _modes() + _geometry() + _containers()


def decode_in_time(data: bytes, **kwargs) -> Image.Image:
    """``load_image`` in a daemon thread, so a hang fails the test instead of the suite."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["image"] = load_image(data, **kwargs)
        except BaseException as exc:  # handed to the test thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    start = time.perf_counter()
    thread.start()
    thread.join(SECONDS)
    assert not thread.is_alive(), f"decoding hung (still running after {SECONDS} s)"
    assert time.perf_counter() - start < SECONDS
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["image"]  # type: ignore[return-value]
