"""The shift test: held-out photos re-rendered the way listings look, through a fixed set of
effects that training never uses.

Training's listing augmentation (``listing_augment``) covers captions, banners, watermarks,
frames, collages and background swaps. This set is deliberately different — phone
screenshots with app chrome, stickers, a product card with a text panel, tilted printouts,
heavy WebP, pixelation, vignettes with warm light, posterised cheap cameras — so the shift
figures measure generalisation rather than memory of the augmentations. Each photo gets two
effects chosen from a seed derived from its index, so the set is the same on every run.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from ..drawing import font, random_color


def phone_screenshot(image: Image.Image, rng: random.Random) -> Image.Image:
    """The photo inside a shopping app: status bar, title bar, price and buttons."""
    w, h = image.size
    canvas = Image.new(
        "RGB", (w, int(h * 1.6)), (250, 250, 250) if rng.random() < 0.6 else (24, 24, 28)
    )
    pen = ImageDraw.Draw(canvas)
    bar = int(h * 0.08)
    pen.rectangle((0, 0, w, bar), fill=random_color(rng))
    pen.text(
        (bar // 3, bar // 6),
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        font=font(bar // 2),
        fill=(255, 255, 255),
    )
    pen.rectangle(
        (w - bar * 2, bar // 4, w - bar // 2, bar * 3 // 4), outline=(255, 255, 255), width=2
    )
    canvas.paste(image, (0, bar * 2))
    y = bar * 2 + h + bar // 2
    pen.text((bar // 2, y), f"${rng.randint(10, 9999)}.00", font=font(bar), fill=(230, 60, 30))
    pen.rounded_rectangle(
        (w // 2, y, w - bar // 2, y + bar * 2), radius=bar // 2, fill=(255, 120, 0)
    )
    return canvas


def stickers(image: Image.Image, rng: random.Random) -> Image.Image:
    """Bright stickers: stars, hearts-as-circles and 'HOT' badges over the photo."""
    out = image.copy()
    pen = ImageDraw.Draw(out)
    w, h = out.size
    for _ in range(rng.randint(2, 5)):
        r = int(min(w, h) * rng.uniform(0.05, 0.12))
        x, y = rng.randint(r, w - r), rng.randint(r, h - r)
        color = random_color(rng)
        if rng.random() < 0.5:
            points = []
            for k in range(10):
                angle = np.pi / 5 * k - np.pi / 2
                radius = r if k % 2 == 0 else r * 0.45
                points.append((x + radius * np.cos(angle), y + radius * np.sin(angle)))
            pen.polygon(points, fill=color)
        else:
            pen.ellipse((x - r, y - r, x + r, y + r), fill=color)
            pen.text(
                (x - r * 0.7, y - r * 0.4), "HOT", font=font(int(r * 0.8)), fill=(255, 255, 255)
            )
    return out


def product_card(image: Image.Image, rng: random.Random) -> Image.Image:
    """The photo beside a panel of description lines, as marketplace cards show."""
    w, h = image.size
    canvas = Image.new("RGB", (int(w * 1.7), h), (255, 255, 255))
    image_left = rng.random() < 0.5
    canvas.paste(image, (0, 0) if image_left else (int(w * 0.7), 0))
    pen = ImageDraw.Draw(canvas)
    x0 = w + 8 if image_left else 8
    line = max(8, h // 12)
    for i in range(rng.randint(4, 9)):
        words = " ".join(
            rng.choice(("size", "weight", "old", "rare", "color", "ship", "cm", "g", "ok"))
            for _ in range(3)
        )
        pen.text((x0, 8 + i * line * 1.3), words, font=font(line), fill=(60, 60, 60))
    return canvas


def tilted_print(image: Image.Image, rng: random.Random) -> Image.Image:
    """A photo of a printout lying askew on a table: large rotation on a flat colour."""
    angle = rng.choice((-1, 1)) * rng.uniform(20, 40)
    return image.rotate(
        angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=random_color(rng)
    )


def heavy_webp(image: Image.Image, rng: random.Random) -> Image.Image:
    """Re-encoded as a very low-quality WebP (messaging apps, thumbnails)."""
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=rng.randint(3, 15))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def pixelated(image: Image.Image, rng: random.Random) -> Image.Image:
    """Downscaled to a tiny thumbnail and blown up again."""
    w, h = image.size
    side = rng.randint(40, 72)
    small = image.resize((side, max(1, side * h // w)), Image.Resampling.BILINEAR)
    return small.resize((w, h), Image.Resampling.NEAREST)


def warm_vignette(image: Image.Image, rng: random.Random) -> Image.Image:
    """Dim corners and a tungsten-yellow cast, as under a desk lamp."""
    w, h = image.size
    yy, xx = np.mgrid[0:h, 0:w]
    d = np.sqrt(((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2)
    mask = np.clip(1.0 - rng.uniform(0.35, 0.6) * d**2, 0.2, 1.0)[..., None]
    tint = np.array([1.0, rng.uniform(0.85, 0.95), rng.uniform(0.6, 0.8)])
    return Image.fromarray(np.clip(np.asarray(image) * mask * tint, 0, 255).astype(np.uint8))


def cheap_camera(image: Image.Image, rng: random.Random) -> Image.Image:
    """Posterised, over-sharpened and over-saturated."""
    out = ImageOps.posterize(image, rng.randint(3, 4))
    out = out.filter(ImageFilter.UnsharpMask(radius=2, percent=rng.randint(150, 250)))
    return ImageEnhance.Color(out).enhance(rng.uniform(1.3, 1.8))


SHIFT_EFFECTS: dict[str, Callable[[Image.Image, random.Random], Image.Image]] = {
    "phone_screenshot": phone_screenshot,
    "stickers": stickers,
    "product_card": product_card,
    "tilted_print": tilted_print,
    "heavy_webp": heavy_webp,
    "pixelated": pixelated,
    "warm_vignette": warm_vignette,
    "cheap_camera": cheap_camera,
}
# Layout effects first, then pixel-level ones, so a screenshot can also be pixelated.
_LAYOUT = ("phone_screenshot", "stickers", "product_card", "tilted_print")
_PIXEL = ("heavy_webp", "pixelated", "warm_vignette", "cheap_camera")


def shift_effects_for(index: int, seed: int = 0) -> tuple[str, str]:
    """The two effects photo ``index`` gets: one layout effect, one pixel effect."""
    rng = random.Random(seed * 1_000_003 + index)
    return rng.choice(_LAYOUT), rng.choice(_PIXEL)


def render_shifted(image: Image.Image, index: int, seed: int = 0) -> Image.Image:
    """Photo ``index`` of a held-out split as it would look in a listing (deterministic)."""
    rng = random.Random(seed * 1_000_003 + index + 7)
    image = image.convert("RGB")
    for name in shift_effects_for(index, seed):
        image = SHIFT_EFFECTS[name](image, rng)
    return image
