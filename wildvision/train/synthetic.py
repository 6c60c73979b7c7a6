"""Synthetic graphics negatives: seeded renders of text cards, memes, screenshots and the like.

Listings on social media are full of images that are not photos of products: text cards,
memes, phone screenshots, posters, price tags, QR codes, greeting cards, receipts and charts.
Their flat pale areas and smooth gradients fooled the classifier into calling some of them
ivory, so training mixes in these renders with the label ``other``. Everything is drawn
offline with Pillow and numpy (fonts: matplotlib's DejaVu set; the drawing code lives in the
private ``_graphics_*`` modules), and each image is fully determined by its (kind, seed), so a
cached set can be rebuilt.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from .._atomic import atomic_open
from ..taxonomy import ORDINARY_LABEL
from ._graphics_cards import _greeting_card, _meme, _poster, _price_tag, _qr_code, _text_card
from ._graphics_pages import _chart, _document, _screenshot
from ._graphics_tools import G, _noise, _rgb

RENDER_VERSION = 1
KINDS: tuple[str, ...] = (
    "text_card",
    "meme",
    "screenshot",
    "poster",
    "price_tag",
    "qr_code",
    "greeting_card",
    "document",
    "chart",
)
LABEL = ORDINARY_LABEL
MANIFEST_COLUMNS = ("path", "label", "category", "source", "group")


# ---------------------------------------------------------------- public API

_DRAWERS: dict[str, Callable[[G, int, int], Image.Image]] = {
    "text_card": _text_card,
    "meme": _meme,
    "screenshot": _screenshot,
    "poster": _poster,
    "price_tag": _price_tag,
    "qr_code": _qr_code,
    "greeting_card": _greeting_card,
    "document": _document,
    "chart": _chart,
}
_ASPECTS = {"screenshot": (0.5, 0.75), "document": (0.5, 1.0), "qr_code": (0.75, 1.33)}
_TILTED = ("text_card", "poster", "greeting_card", "chart", "meme")


def _check_kind(kind: str) -> None:
    if kind not in _DRAWERS:
        raise ValueError(f"unknown graphic kind {kind!r}; the kinds are: {', '.join(KINDS)}.")


def _random_size(rng: G, kind: str) -> tuple[int, int]:
    """Long side 240..480 px, aspect (width / height) 0.5..2, a quarter of them square."""
    low, high = _ASPECTS.get(kind, (0.5, 2.0))
    long = int(rng.integers(240, 481))
    aspect = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    aspect = 1.0 if low <= 1 <= high and rng.random() < 0.25 else aspect
    return (long, round(long / aspect)) if aspect >= 1 else (round(long * aspect), long)


def render_graphic(kind: str, seed: int, size: tuple[int, int] | None = None) -> Image.Image:
    """One RGB image of ``kind``, fully determined by (kind, seed); ``size`` None draws a
    social-media-like size from the seed (long side 240..480 px, aspect 0.5..2)."""
    _check_kind(kind)
    rng = np.random.default_rng([zlib.crc32(kind.encode()), int(seed) % 2**64])
    w, h = _random_size(rng, kind) if size is None else (int(size[0]), int(size[1]))
    if w < 32 or h < 32:
        raise ValueError(f"size {size} is too small; each side needs at least 32 px.")
    img = _DRAWERS[kind](rng, w, h).convert("RGB")
    if kind in _TILTED and rng.random() < 0.15:  # a reposted, tilted and cropped copy
        img = img.rotate(rng.uniform(-10, 10), Image.Resampling.BICUBIC, fillcolor=_rgb(rng))
    return _noise(img, rng, int(rng.integers(3, 10))) if rng.random() < 0.15 else img


def _cached(manifest: Path, count: int) -> bool:
    if not manifest.is_file():
        return False
    with open(manifest, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return len(rows) == count and all((manifest.parent / row["path"]).is_file() for row in rows)


def render_set(
    folder: str | Path, count: int, seed: int = 0, kinds: Sequence[str] | None = None
) -> Path:
    """Render ``count`` images (kinds cycled evenly, image i seeded from (seed, i)) as JPEG
    into ``folder/images/``, list them in ``folder/manifest.csv`` (``path,label,category,
    source,group``, label ``other``) and return its path.

    A manifest that already lists ``count`` existing images is returned as is (a cache). It
    is written last and atomically, so a killed render never leaves one listing missing files.
    """
    kinds = tuple(KINDS if kinds is None else kinds)
    for kind in kinds or ("",):
        _check_kind(kind)
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}; the kinds: {', '.join(kinds)}.")
    folder = Path(folder)
    manifest = folder / "manifest.csv"
    if _cached(manifest, count):
        return manifest
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        seq = np.random.SeedSequence([int(seed) % 2**64, i])
        stem = f"{i:06d}_{kind}"
        image = render_graphic(kind, int(seq.generate_state(1, np.uint64)[0]))
        image.save(folder / "images" / f"{stem}.jpg", "JPEG", quality=90)
        rows.append((f"images/{stem}.jpg", LABEL, kind, "synthetic", stem))
    with atomic_open(manifest, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows(rows)
    return manifest
