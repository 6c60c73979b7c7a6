"""Say what an undecodable upload looks like (HTML, SVG, PDF, an archive, HEIC, a damaged PNG...)
from its first bytes, so its ``ImageError`` names the problem and the fix."""

from __future__ import annotations

import codecs
import struct
from typing import IO

#: Signatures of the formats ``load_image`` decodes: (format, offset, magic bytes).
IMAGE_SIGNATURES = (
    ("JPEG", 0, b"\xff\xd8\xff"),
    ("PNG", 0, b"\x89PNG\r\n\x1a\n"),
    ("GIF", 0, b"GIF87a"),
    ("GIF", 0, b"GIF89a"),
    ("WebP", 8, b"WEBP"),
    ("BMP", 0, b"BM"),
    ("TIFF", 0, b"II*\x00"),
    ("TIFF", 0, b"MM\x00*"),
    ("ICO", 0, b"\x00\x00\x01\x00"),
)

_CONVERT = "convert it to JPEG or PNG"
_POSTSCRIPT = f"a PostScript/EPS file, which is never run through Ghostscript; {_CONVERT}"
_OTHER_SIGNATURES = (
    (0, b"%PDF", f"a PDF document; {_CONVERT}"),
    (0, b"%!PS", _POSTSCRIPT),
    (0, b"\xc5\xd0\xd3\xc6", _POSTSCRIPT),
    (0, b"PK\x03\x04", "a ZIP archive; extract the photos from it first"),
    (0, b"PK\x05\x06", "an empty ZIP archive"),
    (0, b"\x1f\x8b", "a gzip-compressed file; decompress it first"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive; extract the photos from it first"),
    (0, b"Rar!\x1a\x07", "a RAR archive; extract the photos from it first"),
    (257, b"ustar", "a tar archive; extract the photos from it first"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


def image_format(head: bytes) -> str | None:
    """The decodable format whose signature ``head`` starts with (``"PNG"``...), else None."""
    for name, offset, magic in IMAGE_SIGNATURES:
        if head[offset : offset + len(magic)] == magic and (name != "WebP" or head[:4] == b"RIFF"):
            return name
    return None


def what_it_is(head: bytes) -> str:
    """A phrase for what ``head`` (an upload's first 512 bytes or more) looks like, with the fix;
    ``""`` when it looks like nothing in particular."""
    if not head:
        return "the data is empty (0 bytes); the upload or download failed"
    for offset, magic, phrase in _OTHER_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return phrase
    if head[4:8] == b"ftyp":
        if head[8:12] in _HEIF_BRANDS:
            return f"a HEIC/HEIF photo, which wildvision does not decode; {_CONVERT}"
        return "an ISO media file (an MP4 or QuickTime video, or HEIF), not a still image"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return f"an SVG drawing; vector images are not decoded, {_CONVERT}"
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text or b"<body" in text:
        return (
            "an HTML page, not an image; the link probably led to a web page (an error, "
            "login or listing page) instead of the photo"
        )
    if _looks_like_text(head):
        return "text, not an image"
    return ""


def _looks_like_text(head: bytes) -> bool:
    try:  # incremental: a character cut off at the end of ``head`` is not an error
        decoded = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\t\r\n" for c in decoded)


def ico_image_sizes(stream: IO[bytes]) -> list[tuple[int, int]]:
    """The width and height each image inside an ICO declares (none for other data).

    Pillow decodes an icon's largest image while opening it, and the icon's directory can
    understate that image's size: this reads the images' own headers first."""
    stream.seek(0)
    header = stream.read(6)
    count = struct.unpack("<H", header[4:6])[0] if header[:4] == b"\x00\x00\x01\x00" else 0
    entries = stream.read(16 * count)
    sizes = []
    for start in range(0, len(entries) - 15, 16):
        stream.seek(struct.unpack_from("<I", entries, start + 12)[0])
        head = stream.read(24)
        if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) == 24:
            sizes.append(struct.unpack(">II", head[16:24]))
        elif head[:4] == b"\x0c\x00\x00\x00":  # the old 12-byte bitmap header
            width, height = struct.unpack("<HH", head[4:8])
            sizes.append((width, height // 2))  # the height counts the AND mask too
        elif len(head) >= 12:
            width, height = struct.unpack("<ii", head[4:12])
            sizes.append((abs(width), abs(height) // 2))
    stream.seek(0)
    return sizes
