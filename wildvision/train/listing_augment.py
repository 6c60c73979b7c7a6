"""Listing-style augmentation: make catalogue photos look like marketplace listings.

Real listings carry price banners, shop text and watermarks, frames, collages of several
photos, cluttered tables, phone-camera perspective, poor light, colour casts, blur and heavy
JPEG. Each effect here is an albumentations ``ImageOnlyTransform`` that draws all its
randomness from one seed that albumentations hands it, so a ``Compose(seed=...)`` replays
exactly. None of them changes the label: pasted-in material comes from ordinary photos.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import albumentations as A
import cv2
import numpy as np
from PIL import Image, ImageDraw

from ..drawing import font, random_color
from ..imaging import load_image

_WORDS = (
    "SALE",
    "NEW",
    "HOT",
    "Free shipping",
    "Antique",
    "Vintage",
    "Rare",
    "Genuine",
    "Hand carved",
    "Old collection",
    "Best price",
    "Limited",
    "Contact me",
    "WhatsApp",
    "DM for price",
    "Top quality",
    "Collectible",
    "Estate find",
    "100% real",
    "Gift",
    "Sold out soon",
)
_CURRENCIES = ("$", "€", "£", "USD ", "RMB ", "HK$", "JPY ", "EUR ")


def random_caption(rng: random.Random) -> str:
    """A short listing-like text: a price, a sales phrase, a shop tag or a code."""
    kind = rng.random()
    if kind < 0.35:
        return f"{rng.choice(_CURRENCIES)}{rng.randint(5, 99999):,}"
    if kind < 0.7:
        return rng.choice(_WORDS)
    if kind < 0.85:
        return "@" + "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(4, 10))
        )
    return "".join(
        rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(rng.randint(5, 9))
    )


class SeededTransform(A.ImageOnlyTransform):
    """Base: albumentations supplies one seed per call; ``draw`` does the work with it."""

    def get_params(self) -> dict[str, Any]:
        return {"seed": self.py_random.randrange(2**31)}

    def apply(self, img: np.ndarray, seed: int = 0, **params: Any) -> np.ndarray:
        return self.draw(img, random.Random(seed))

    def draw(self, img: np.ndarray, rng: random.Random) -> np.ndarray:
        raise NotImplementedError


class TextOverlay(SeededTransform):
    """One to four captions (prices, sales phrases, shop tags), plain or on a label box."""

    def draw(self, img: np.ndarray, rng: random.Random) -> np.ndarray:
        canvas = Image.fromarray(img).convert("RGBA")
        layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
        pen = ImageDraw.Draw(layer)
        w, h = canvas.size
        for _ in range(rng.randint(1, 4)):
            text = random_caption(rng)
            face = font(int(h * rng.uniform(0.05, 0.13)))
            left, top, right, bottom = pen.textbbox((0, 0), text, font=face)
            x = rng.randint(0, max(0, w - (right - left)))
            y = rng.randint(0, max(0, h - (bottom - top)))
            if rng.random() < 0.4:
                pad = max(2, (bottom - top) // 4)
                pen.rectangle(
                    (x - pad, y - pad, x + right + pad, y + bottom + pad),
                    fill=random_color(rng, rng.randint(160, 255)),
                )
            stroke = rng.choice((0, 0, 1, 2))
            pen.text(
                (x, y),
                text,
                font=face,
                fill=random_color(rng, 255),
                stroke_width=stroke,
                stroke_fill=random_color(rng, 255),
            )
        return np.asarray(Image.alpha_composite(canvas, layer).convert("RGB"))


class PriceBanner(SeededTransform):
    """A coloured band across the top, bottom or a corner, with a price or slogan on it."""

    def draw(self, img: np.ndarray, rng: random.Random) -> np.ndarray:
        canvas = Image.fromarray(img).copy()
        pen = ImageDraw.Draw(canvas)
        w, h = canvas.size
        band = int(h * rng.uniform(0.1, 0.22))
        where = rng.choice(("top", "bottom", "corner"))
        box = {
            "top": (0, 0, w, band),
            "bottom": (0, h - band, w, h),
            "corner": (w - int(w * rng.uniform(0.3, 0.5)), 0, w, band),
        }[where]
        pen.rectangle(box, fill=random_color(rng))
        text = random_caption(rng)
        pen.text(
            (box[0] + band // 4, box[1] + band // 6),
            text,
            font=font(int(band * 0.6)),
            fill=random_color(rng),
        )
        return np.asarray(canvas)


class Watermark(SeededTransform):
    """Semi-transparent shop name tiled diagonally, or one logo (ring and text)."""

    def draw(self, img: np.ndarray, rng: random.Random) -> np.ndarray:
        canvas = Image.fromarray(img).convert("RGBA")
        w, h = canvas.size
        alpha = rng.randint(40, 120)
        color = random_color(rng, alpha) if rng.random() < 0.3 else (255, 255, 255, alpha)
        text = random_caption(rng)
        layer = Image.new("RGBA", (w * 2, h * 2), (0, 0, 0, 0))
        pen = ImageDraw.Draw(layer)
        face = font(int(h * rng.uniform(0.06, 0.14)))
        if rng.random() < 0.6:
            step_y = int(h * rng.uniform(0.2, 0.35))
            step_x = int(w * rng.uniform(0.4, 0.7))
            for y in range(0, 2 * h, step_y):
                for x in range((y // step_y % 2) * step_x // 2, 2 * w, step_x):
                    pen.text((x, y), text, font=face, fill=color)
            layer = layer.rotate(rng.uniform(-40, 40), resample=Image.Resampling.BILINEAR)
            layer = layer.crop((w // 2, h // 2, w // 2 + w, h // 2 + h))
        else:
            r = int(min(w, h) * rng.uniform(0.12, 0.25))
            cx, cy = rng.randint(r, max(r, w - r)), rng.randint(r, max(r, h - r))
            pen.ellipse((cx - r, cy - r, cx + r, cy + r), outline=color, width=max(2, r // 8))
            pen.text((cx - r // 2, cy - r // 4), text[:6], font=font(r // 2), fill=color)
            layer = layer.crop((0, 0, w, h))
        return np.asarray(Image.alpha_composite(canvas, layer).convert("RGB"))


class Frame(SeededTransform):
    """A solid border (sometimes with an inner line), as shops put round their photos."""

    def draw(self, img: np.ndarray, rng: random.Random) -> np.ndarray:
        h, w = img.shape[:2]
        t = max(2, int(min(h, w) * rng.uniform(0.02, 0.1)))
        small = cv2.resize(img, (w - 2 * t, h - 2 * t), interpolation=cv2.INTER_AREA)
        out = np.empty_like(img)
        out[:] = random_color(rng)
        out[t : h - t, t : w - t] = small
        if rng.random() < 0.4:
            cv2.rectangle(
                out, (t // 2, t // 2), (w - t // 2, h - t // 2), random_color(rng), max(1, t // 4)
            )
        return out


class _PoolTransform(SeededTransform):
    """A transform that pastes material from a pool of ordinary photos (label-safe)."""

    def __init__(self, pool: Sequence[str | Path] = (), p: float = 0.5) -> None:
        super().__init__(p=p)
        self.pool = [str(x) for x in pool]

    def pool_image(self, rng: random.Random, size: tuple[int, int]) -> np.ndarray:
        """A random pool photo resized to ``size`` (w, h), or a texture when the pool is empty."""
        w, h = size
        if self.pool:
            try:
                image = load_image(rng.choice(self.pool))
                return np.asarray(image.resize((w, h), Image.Resampling.BILINEAR))
            except Exception:  # noqa: BLE001 - a bad pool photo falls back to a texture
                pass
        base = np.array(random_color(rng), dtype=np.float32)
        noise = np.random.default_rng(rng.randrange(2**31)).normal(
            0, 25, (h // 8 + 1, w // 8 + 1, 3)
        )
        noise = cv2.resize(noise.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        return np.clip(base + noise, 0, 255).astype(np.uint8)


class Collage(_PoolTransform):
    """The photo as one cell of a 2-4 cell grid; other cells hold other views of the same item
    (flipped or cropped, as sellers post) or ordinary photos from the pool."""

    def draw(self, img: np.ndarray, rng: random.Random) -> np.ndarray:
        h, w = img.shape[:2]
        rows, cols = rng.choice(((1, 2), (2, 1), (2, 2), (1, 3)))
        gap = rng.randint(0, max(1, min(h, w) // 40))
        out = np.empty_like(img)
        out[:] = random_color(rng) if rng.random() < 0.5 else 255
        ch, cw = (h - gap * (rows - 1)) // rows, (w - gap * (cols - 1)) // cols
        main = rng.randrange(rows * cols)
        for cell in range(rows * cols):
            r, c = divmod(cell, cols)
            if cell == main:
                tile = cv2.resize(img, (cw, ch), interpolation=cv2.INTER_AREA)
            elif rng.random() < 0.5:
                y0, x0 = rng.randint(0, h // 4), rng.randint(0, w // 4)
                view = img[y0 : y0 + 3 * h // 4, x0 : x0 + 3 * w // 4]
                view = view[:, ::-1] if rng.random() < 0.5 else view
                tile = cv2.resize(
                    np.ascontiguousarray(view), (cw, ch), interpolation=cv2.INTER_AREA
                )
            else:
                tile = self.pool_image(rng, (cw, ch))
            y, x = r * (ch + gap), c * (cw + gap)
            out[y : y + ch, x : x + cw] = tile
        return out


class BackgroundSwap(_PoolTransform):
    """Shrink the photo and set it on a cluttered scene (a pool photo), with a soft shadow,
    so a plain catalogue backdrop stops being a cue."""

    def draw(self, img: np.ndarray, rng: random.Random) -> np.ndarray:
        h, w = img.shape[:2]
        out = self.pool_image(rng, (w, h)).copy()
        scale = rng.uniform(0.45, 0.85)
        sw, sh = max(8, int(w * scale)), max(8, int(h * scale))
        item = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA)
        x, y = rng.randint(0, w - sw), rng.randint(0, h - sh)
        if rng.random() < 0.6:
            shadow_off = max(2, sw // 30)
            y2, x2 = min(h, y + sh + shadow_off), min(w, x + sw + shadow_off)
            region = out[y + shadow_off : y2, x + shadow_off : x2].astype(np.float32)
            out[y + shadow_off : y2, x + shadow_off : x2] = (region * 0.6).astype(np.uint8)
        out[y : y + sh, x : x + sw] = item
        return out


class Tone(SeededTransform):
    """A toned print or a turned hue: the photo's shading through a two-colour ramp (sepia,
    warm or cool; as old prints, vintage filters and the look-alikes' own rendering), or its
    hue turned by 15-45 degrees either way (a camera's or a filter's colour cast).

    Applied to every label alike (``augment.tone``), so that neither a tint nor a ramp-rendered
    surface argues for a label: the look-alikes (label ``other``) are ramp renderings of
    carvings, and without this a sepia print of real ivory looked like one of them.
    """

    def draw(self, img: np.ndarray, rng: random.Random) -> np.ndarray:
        if rng.random() < 0.5:
            grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)[..., None] / 255.0
            dark = np.array([rng.randint(15, 75), rng.randint(10, 55), rng.randint(0, 35)])
            light = np.array([rng.randint(215, 255), rng.randint(195, 245), rng.randint(150, 225)])
            if rng.random() < 0.25:  # cool toning (cyanotype, selenium): the ramp's blue side
                dark, light = dark[::-1], light[::-1]
            toned = dark + grey * (light - dark).astype(np.float32)
            return np.clip(toned, 0, 255).astype(np.uint8)
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)  # OpenCV's 8-bit hue: 0-179, 2 degrees a step
        turn = rng.randint(8, 23) * rng.choice((-1, 1))
        hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + turn) % 180).astype(np.uint8)
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def listing_effects(
    pool: Sequence[str | Path] = (), strength: float = 1.0
) -> list[A.BasicTransform]:
    """The listing-style effects used in training, each applied with probability ~``strength``."""
    s = max(0.0, min(1.0, strength))
    return [
        A.OneOf([Collage(pool, p=1.0), BackgroundSwap(pool, p=1.0)], p=0.35 * s),
        A.Perspective(scale=(0.02, 0.08), p=0.25 * s),
        A.OneOf([TextOverlay(p=1.0), PriceBanner(p=1.0)], p=0.35 * s),
        Watermark(p=0.2 * s),
        Frame(p=0.15 * s),
        A.OneOf(
            [
                A.RandomBrightnessContrast(
                    brightness_limit=(-0.35, 0.15), contrast_limit=0.3, p=1.0
                ),
                A.RandomGamma(gamma_limit=(70, 160), p=1.0),
                A.RGBShift(r_shift_limit=25, g_shift_limit=20, b_shift_limit=25, p=1.0),
                A.PlanckianJitter(p=1.0),
            ],
            p=0.5 * s,
        ),
        A.OneOf(
            [
                A.MotionBlur(blur_limit=(3, 7), p=1.0),
                A.Downscale(scale_range=(0.3, 0.7), p=1.0),
                A.ISONoise(p=1.0),
            ],
            p=0.3 * s,
        ),
    ]
