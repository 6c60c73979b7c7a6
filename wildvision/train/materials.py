"""Material look-alikes: carvings re-rendered as gilt bronze, silver, dark wood, jade and the
like, labelled ``other``.

On real posts around ivory sellers the shipped 0.3.0 flagged antiques in *other* materials
(gilt-bronze clocks and figures, gold coins and jewellery, silver, wooden carvings): it had
learned "a carved antique on a plain background" more than "ivory". No openly licensed photos
of such antiques are within reach, so these are made from the carvings we have: the object
is cut from its plain catalogue background, its shading kept, and its colour and surface
replaced by another material's. Only *training* photos are rendered (the test split never
lends a shape to training), and each image is fully determined by (photo, material, seed).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from pathlib import Path

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import cv2
import numpy as np
from PIL import Image

from .._atomic import atomic_open
from ..data import Sample
from ..imaging import load_image
from ..taxonomy import ORDINARY_LABEL

RENDER_VERSION = 1
LABEL = ORDINARY_LABEL
MANIFEST_COLUMNS = ("path", "label", "category", "source", "group", "origin")

#: Colour ramps from shadow to highlight (RGB), applied to the object's own shading.
MATERIALS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "gilt": ((48, 32, 8), (140, 98, 28), (212, 168, 62), (255, 238, 165)),
    "bronze": ((32, 22, 14), (92, 60, 32), (158, 108, 58), (214, 168, 110)),
    "silver": ((34, 34, 40), (105, 106, 114), (186, 187, 195), (250, 250, 255)),
    "dark_wood": ((24, 12, 6), (74, 40, 18), (128, 76, 38), (180, 126, 78)),
    "jade": ((14, 48, 28), (46, 112, 74), (104, 168, 118), (182, 222, 182)),
    "ebony": ((6, 6, 6), (34, 29, 27), (78, 68, 62), (168, 158, 148)),
}


def object_mask(pixels: np.ndarray) -> np.ndarray:
    """A soft mask (0..1, HxW) of the object on a catalogue photo's plain background: what
    differs from the border's colour, closed, hole-filled and feathered. A photo whose
    background is not plain (the mask would cover almost nothing or almost everything)
    gets a mask of the whole frame."""
    h, w = pixels.shape[:2]
    ring = max(2, min(h, w) // 25)
    border = np.concatenate(
        [
            pixels[:ring].reshape(-1, 3),
            pixels[-ring:].reshape(-1, 3),
            pixels[:, :ring].reshape(-1, 3),
            pixels[:, -ring:].reshape(-1, 3),
        ]
    ).astype(np.float32)
    background = np.median(border, axis=0)
    spread = float(np.percentile(np.abs(border - background).max(axis=1), 90))
    smooth = cv2.GaussianBlur(pixels.astype(np.float32), (0, 0), 1.5)
    difference = np.abs(smooth - background).max(axis=2)
    mask = (difference > max(18.0, 2.5 * spread)).astype(np.uint8)
    size = max(3, (min(h, w) // 40) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, iterations=2)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    filled = mask.copy()
    flood = np.zeros((h + 2, w + 2), np.uint8)
    cv2.floodFill(filled, flood, (0, 0), 1)
    mask = mask | (1 - filled)  # holes inside the object (the flood from a corner never reached)
    share = float(mask.mean())
    if not 0.03 <= share <= 0.9:
        return np.ones((h, w), np.float32)
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.2)


def _ramp(t: np.ndarray, stops: Sequence[tuple[int, int, int]]) -> np.ndarray:
    """Map shading ``t`` in [0, 1] through colour ``stops`` spaced evenly (HxW -> HxWx3)."""
    xs = np.linspace(0.0, 1.0, len(stops))
    colours = np.asarray(stops, dtype=np.float32)
    return np.stack([np.interp(t, xs, colours[:, c]) for c in range(3)], axis=-1)


def render_material(image: Image.Image, material: str, rng: np.random.Generator) -> Image.Image:
    """``image``'s object re-rendered in ``material`` (a key of ``MATERIALS``), its
    background kept."""
    if material not in MATERIALS:
        raise ValueError(f"unknown material {material!r}; choose one of {', '.join(MATERIALS)}.")
    pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
    h, w = pixels.shape[:2]
    mask = object_mask(pixels)
    luminance = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    inside = luminance[mask > 0.5] if (mask > 0.5).any() else luminance.ravel()
    low, high = np.percentile(inside, [2, 98])
    t = np.clip((luminance - low) / max(1e-3, high - low), 0, 1)
    if material in ("gilt", "silver", "bronze"):  # metal: harder contrast, bright highlights
        t = np.clip(0.5 + (t - 0.5) * rng.uniform(1.2, 1.6), 0, 1) ** rng.uniform(0.8, 1.3)
    if material == "jade":  # translucent stone: soft shading
        t = cv2.GaussianBlur(t, (0, 0), 1.0 + rng.uniform(0, 1.5))
    if material == "dark_wood":  # grain: stripes along a random direction, wobbling
        angle = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        along = xx * np.cos(angle) + yy * np.sin(angle)
        wobble = cv2.GaussianBlur(rng.normal(0, 6, (h, w)).astype(np.float32), (0, 0), 6)
        grain = np.sin((along + wobble * 4) * rng.uniform(0.25, 0.6))
        t = np.clip(t * (1 + 0.12 * grain), 0, 1)
    colour = _ramp(t, MATERIALS[material])
    if material == "bronze" and rng.random() < 0.5:  # green patina in the hollows
        patina = np.array([70, 112, 92], np.float32)
        amount = np.clip(0.6 - t, 0, 0.6)[..., None] * rng.uniform(0.3, 0.8)
        colour = colour * (1 - amount) + patina * amount
    colour += rng.normal(0, 3, colour.shape).astype(np.float32)  # surface texture
    out = colour * mask[..., None] + pixels.astype(np.float32) * (1 - mask[..., None])
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def render_lookalikes(
    photos: Sequence[Sample],
    folder: str | Path,
    count: int | None = None,
    seed: int = 0,
    source: str = "lookalikes",
) -> list[Sample]:
    """Render ``count`` look-alikes (default: one per photo) from ``photos`` into
    ``folder/<version-and-hash>/``, materials cycled evenly, and return them as training
    samples of label ``other`` (split ``train``; each keeps its photo's group).

    A set already rendered for the same photos, count and seed is read back (a cache); its
    manifest is written last and atomically.
    """
    photos = sorted(photos, key=lambda s: str(s.path))
    if not photos:
        raise ValueError("no photos to render look-alikes from; check 'from_labels'.")
    count = len(photos) if count is None else int(count)
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}.")
    key = hashlib.sha1(
        "\n".join(
            [str(RENDER_VERSION), str(seed), str(count), *map(str, (s.path for s in photos))]
        ).encode()
    ).hexdigest()[:12]
    target = Path(folder) / f"lookalikes-v{RENDER_VERSION}-n{count}-{key}"
    manifest = target / "manifest.csv"
    if not manifest.is_file():
        _render_all(photos, target, count, seed)
    with open(manifest, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        Sample(
            path=target / row["path"],
            label=LABEL,
            split="train",
            group=row["group"] or None,
            source=source,
        )
        for row in rows
    ]


def _render_all(photos: Sequence[Sample], target: Path, count: int, seed: int) -> None:
    (target / "images").mkdir(parents=True, exist_ok=True)
    order = np.random.default_rng(seed).permutation(len(photos))
    names = list(MATERIALS)
    rows = []
    for i in range(count):
        photo = photos[int(order[i % len(photos)])]
        material = names[i % len(names)]
        rng = np.random.default_rng([seed, i])
        image = render_material(load_image(photo.path), material, rng)
        stem = f"{i:06d}_{material}"
        image.save(target / "images" / f"{stem}.jpg", "JPEG", quality=90)
        rows.append(
            (f"images/{stem}.jpg", LABEL, material, "lookalikes", photo.group or "", photo.path)
        )
    with atomic_open(target / "manifest.csv", "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows(rows)
