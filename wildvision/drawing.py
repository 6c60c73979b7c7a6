"""Drawing helpers shared by the renderers of evaluation (shift test) and training (listing
augmentation): Pillow only, so neither floor carries its own copy."""

from __future__ import annotations

import random

from PIL import ImageFont


def random_color(rng: random.Random, alpha: int | None = None) -> tuple[int, ...]:
    """A random RGB colour (RGBA with ``alpha``), drawn from ``rng``."""
    color = tuple(rng.randint(0, 255) for _ in range(3))
    return color if alpha is None else (*color, alpha)


def font(size: int) -> ImageFont.ImageFont:
    """Pillow's bundled scalable font (no system fonts needed)."""
    return ImageFont.load_default(size=max(6, size))
