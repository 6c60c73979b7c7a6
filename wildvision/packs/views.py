"""More views of a few photos (Pillow only): what a pack's head learns from.

With 5–50 photos of a product, each photo is seen several ways — as it is, mirrored, two
closer crops, and as a listing would show it (on a plain card with a caption band, shrunk
and saved as a rough JPEG) — so the head learns the product rather than one framing. The
views are seeded per photo, so a pack built twice from the same photos is the same pack.

These are not the shift test's effects (``evaluation/shift.py``: screenshots, stickers, WebP,
pixelation, vignettes, cheap cameras, prints), which stay unseen for measuring packs.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageOps

#: The views ``pack build`` makes of each photo, in order.
ALL_VIEWS = ("original", "mirror", "crop", "crop", "listing")
_CAPTIONS = ("For sale", "Old carving", "Collection piece", "Price on request", "Rare", "Lot 12")


def photo_views(
    image: Image.Image, seed: int, views: Sequence[str] = ALL_VIEWS
) -> list[Image.Image]:
    """The requested views of one RGB photo (``ALL_VIEWS`` by default), seeded."""
    rng = random.Random(seed)
    made = []
    for name in views:
        if name == "original":
            made.append(image)
        elif name == "mirror":
            made.append(ImageOps.mirror(image))
        elif name == "crop":
            made.append(_crop(image, rng))
        elif name == "listing":
            made.append(_listing(image, rng))
        else:
            raise ValueError(f"unknown view {name!r}; known views: {sorted(set(ALL_VIEWS))}.")
    return made


def _crop(image: Image.Image, rng: random.Random) -> Image.Image:
    """A random crop keeping 55–85% of each side, anywhere in the photo."""
    width, height = image.size
    scale = rng.uniform(0.55, 0.85)
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    left, top = rng.randint(0, width - w), rng.randint(0, height - h)
    return image.crop((left, top, left + w, top + h))


def _listing(image: Image.Image, rng: random.Random) -> Image.Image:
    """The photo on a plain card with a caption band, shrunk and re-saved as a rough JPEG."""
    photo = image.copy()
    photo.thumbnail((rng.randint(160, 320),) * 2)
    margin = rng.randint(8, 40)
    band = rng.randint(24, 48)
    shade = rng.randint(215, 255)
    card = Image.new(
        "RGB", (photo.width + 2 * margin, photo.height + 2 * margin + band), (shade,) * 3
    )
    card.paste(photo, (margin, margin))
    draw = ImageDraw.Draw(card)
    colour = tuple(rng.randint(0, 120) for _ in range(3))
    draw.rectangle((0, card.height - band, card.width, card.height), fill=colour)
    draw.text((margin, card.height - band + band // 4), rng.choice(_CAPTIONS), fill=(255, 255, 255))
    buffer = io.BytesIO()
    card.save(buffer, format="JPEG", quality=rng.randint(30, 60))
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")
