"""Held-out listing effects, one at a time: where sellers can hide a product.

The robustness table scores a model on its test photos passed through each effect alone —
advertising cards with the photo at 70%, 50% and 35% of the card (with and without price and
slogans), small on a big canvas, text over the photo, crops, mirrors, recolouring, collages,
app screenshots, low resolution and heavy JPEG — and the card test renders every photo as a
card. These renderers are not training's (``wildvision.train.listing_cards`` and
``listing_augment``): other layouts, other words and other fonts (matplotlib's STIX
faces; Pillow's own when matplotlib is absent), so the figures measure
generalisation, not memory of the augmentation. Every image is a function of (effect, index).
"""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from .shift import phone_screenshot

_FACES = ("STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf")
_SLOGANS = (
    "Authentic old piece",
    "Price on request",
    "Ships worldwide",
    "Call now",
    "Private collection",
    "Certificate included",
    "Auction tonight",
    "Great condition",
    "From an old estate",
    "Serious buyers only",
)
_STRIPS = ("FAST DELIVERY", "GREAT DEAL", "TODAY ONLY", "ORDER NOW", "SECURE PAYMENT")


@functools.lru_cache(maxsize=256)
def held_out_font(size: int, face: int = 0) -> ImageFont.ImageFont:
    """A font training never draws with (matplotlib's STIX faces)."""
    size = max(8, int(size))
    try:
        import matplotlib

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        return ImageFont.truetype(str(folder / _FACES[face % len(_FACES)]), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size)


def _price(rng: random.Random) -> str:
    currency = rng.choice(("$", "€", "£", "¥"))
    return f"{rng.choice(('Only ', 'Now ', ''))}{currency}{rng.randint(90, 9900)}"


def card(image: Image.Image, rng: random.Random, fill: float, text: bool) -> Image.Image:
    """The photo on an 800 x 600 white card, its width ``fill`` of the card's, at the left;
    with ``text``, a price, slogans, a shop line and a strip in the space beside it."""
    canvas = Image.new("RGB", (800, 600), (255, 255, 255))
    w, h = image.size
    scale = min(fill * 800 / w, 0.9 * 600 / h)
    photo = image.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BICUBIC)
    x, y = 24, (600 - photo.height) // 2
    canvas.paste(photo, (x, y))
    if text:
        pen = ImageDraw.Draw(canvas)
        left = x + photo.width + 30
        face = rng.randrange(len(_FACES))
        pen.text((left, 120), _price(rng), fill=(200, 20, 20), font=held_out_font(56, face))
        for i, line in enumerate(rng.sample(_SLOGANS, 2)):
            pen.text((left, 210 + 50 * i), line, fill=(40, 40, 40), font=held_out_font(30, face))
        pen.rectangle((0, 540, 800, 600), fill=rng.choice(((20, 60, 140), (190, 20, 40))))
        strip = rng.choice(_STRIPS)
        pen.text((400, 570), strip, fill=(255, 255, 255), font=held_out_font(34, 1), anchor="mm")
    return canvas


def small_on_canvas(image: Image.Image, rng: random.Random) -> Image.Image:
    """The photo at a quarter of the width of a big pale canvas, off centre."""
    tone = rng.randint(232, 250)
    canvas = Image.new("RGB", (1000, 1000), (tone, tone, tone - rng.randint(0, 10)))
    w, h = image.size
    scale = 250 / max(w, h)
    photo = image.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BICUBIC)
    canvas.paste(photo, (rng.randint(300, 450), rng.randint(300, 450)))
    return canvas


def text_overlay(image: Image.Image, rng: random.Random) -> Image.Image:
    """Two or three lines over the photo, outlined so they read on any background."""
    out = image.copy()
    pen = ImageDraw.Draw(out)
    w, h = out.size
    for _ in range(rng.randint(2, 3)):
        line = rng.choice((*_SLOGANS, _price(rng)))
        font = held_out_font(h * rng.uniform(0.06, 0.1), rng.randrange(len(_FACES)))
        xy = (rng.randint(0, max(0, w // 3)), rng.randint(0, max(0, h - h // 8)))
        pen.text(xy, line, fill=(255, 255, 255), font=font, stroke_width=2, stroke_fill=(0, 0, 0))
    return out


def crop(image: Image.Image, rng: random.Random) -> Image.Image:
    """A crop keeping about 55% of the area, as a seller's closer shot."""
    w, h = image.size
    cw, ch = round(w * 0.74), round(h * 0.74)
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    return image.crop((x, y, x + cw, y + ch))


def mirror(image: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.mirror(image)


def recolour(image: Image.Image, rng: random.Random) -> Image.Image:
    """A hue turned by 25-50 degrees, or a sepia print."""
    if rng.random() < 0.5:
        return ImageOps.colorize(ImageOps.grayscale(image), (40, 26, 13), (255, 240, 215))
    hsv = np.asarray(image.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + rng.randint(18, 36)) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


def collage(image: Image.Image, rng: random.Random) -> Image.Image:
    """Three views in a row on white (the photo, a mirrored copy, a closer one)."""
    w, h = image.size
    side = 300
    canvas = Image.new("RGB", (3 * side + 40, side + 20), (255, 255, 255))
    closer = image.crop((w // 6, h // 6, w - w // 6, h - h // 6))
    for i, view in enumerate((image, ImageOps.mirror(image), closer)):
        view = ImageOps.contain(view, (side, side), Image.BICUBIC)
        canvas.paste(view, (10 + i * (side + 10), 10))
    return canvas


def screenshot(image: Image.Image, rng: random.Random) -> Image.Image:
    return phone_screenshot(image, rng)


def low_resolution(image: Image.Image, rng: random.Random) -> Image.Image:
    """Shrunk to 96 px on its long side and shown large again."""
    small = ImageOps.contain(image, (96, 96), Image.BILINEAR)
    return small.resize(image.size, Image.BILINEAR)


def rejpeg(image: Image.Image, rng: random.Random) -> Image.Image:
    """Saved again as a JPEG of quality 12."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=12)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


Effect = Callable[[Image.Image, random.Random], Image.Image]

#: The robustness table's effects, each applied alone, in the order the table lists them.
EFFECTS: dict[str, Effect] = {
    "card_70": functools.partial(card, fill=0.7, text=False),
    "card_50": functools.partial(card, fill=0.5, text=False),
    "card_35": functools.partial(card, fill=0.35, text=False),
    "card_35_text": functools.partial(card, fill=0.35, text=True),
    "small_on_canvas": small_on_canvas,
    "text_overlay": text_overlay,
    "crop": crop,
    "mirror": mirror,
    "recolour": recolour,
    "collage": collage,
    "screenshot": screenshot,
    "low_resolution": low_resolution,
    "rejpeg": rejpeg,
}


def apply_effect(name: str, image: Image.Image, index: int) -> Image.Image:
    """Photo ``index`` through effect ``name`` (deterministic)."""
    if name not in EFFECTS:
        raise ValueError(f"unknown effect {name!r}; the effects are: {', '.join(EFFECTS)}.")
    rng = random.Random(f"{name}:{index}")
    return EFFECTS[name](image.convert("RGB"), rng)


def render_card_test(image: Image.Image, index: int) -> Image.Image:
    """Photo ``index`` as the card test shows it: on a white card at 30-70% of its width,
    with price and slogans on half of the photos."""
    rng = random.Random(f"card-test:{index}")
    return card(image.convert("RGB"), rng, fill=rng.uniform(0.3, 0.7), text=rng.random() < 0.5)
