"""Dealers' advertising cards: the product photo set into a designed card.

Sellers post their product inside a card: a canvas (often white) where the photo fills from
a fifth to all of the frame, beside a price, "free shipping" or "special offer" strips,
badges, the shop's web address or phone number, borders, and sometimes several views of the
same item. The shipped 0.3.0 lost ivory as the photo shrank into such a card (88% caught at
70% of the card, 66% at 35%, 57% with a price and a slogan). ``ListingCard`` renders every
label's training photos into cards at the same rate, so neither text nor white space argues
for a label, and ends with the resize and centre crop that the served model applies to the
whole card. Fonts are matplotlib's DejaVu set; the evaluation's card test draws with others.
"""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from ..preprocess import trim_margins
from ._graphics_tools import _font, _price
from .listing_augment import SeededTransform

_FONTS = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSans-Oblique.ttf",
)
_TITLES = (
    "Antique collection",
    "Hand carved",
    "Rare old piece",
    "Vintage figure",
    "Estate find",
    "Fine craftsmanship",
    "Collector's item",
    "Qing style",
    "Genuine old item",
    "Beautiful detail",
    "Museum quality",
    "Exquisite carving",
    "Home decor",
    "Gift for collectors",
)
_STRIPS = (
    "FREE SHIPPING",
    "SPECIAL OFFER",
    "WORLDWIDE DELIVERY",
    "LIMITED TIME",
    "BUY NOW",
    "HOT SALE",
    "NEW ARRIVAL",
    "BEST PRICE",
    "ONLY 1 LEFT",
    "DM FOR PRICE",
)
_BADGES = ("-30%", "-50%", "SALE", "NEW", "HOT", "TOP", "1 LEFT", "GIFT", "-20%")
_DETAILS = (
    "Size: {a} x {b} cm",
    "Weight: {a}{b} g",
    "Height {a} cm",
    "Age: {a}0 years",
    "Lot {a}{b}",
)


def _address(rng: random.Random) -> str:
    name = "".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(4, 9)))
    kind = rng.randrange(5)
    if kind == 0:
        return f"www.{name}{rng.choice(('antiques', 'gallery', 'shop', 'art', ''))}.com"
    if kind == 1:
        return f"{name}.{rng.choice(('taobao.com', 'etsy.com', 'shop.com', 'store'))}"
    if kind == 2:
        return f"WhatsApp +{rng.randint(1, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    if kind == 3:
        return f"WeChat: {name}{rng.randint(1, 999)}"
    return f"@{name}_{rng.choice(('gallery', 'antiques', 'collect', 'art'))}"


def _background(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    kind = rng.random()
    if kind < 0.45:
        return Image.new("RGB", size, (255, 255, 255))
    if kind < 0.65:
        tone = rng.randint(225, 250)
        return Image.new("RGB", size, (tone, tone - rng.randint(0, 12), tone - rng.randint(0, 25)))
    if kind < 0.8:
        return Image.new("RGB", size, tuple(rng.randint(170, 245) for _ in range(3)))
    if kind < 0.9:
        top = np.array([rng.randint(120, 255) for _ in range(3)], np.float32)
        bottom = np.array([rng.randint(120, 255) for _ in range(3)], np.float32)
        t = np.linspace(0, 1, size[1], dtype=np.float32)[:, None, None]
        rows = top + (bottom - top) * t
        return Image.fromarray(np.broadcast_to(rows, (size[1], size[0], 3)).astype(np.uint8))
    return Image.new("RGB", size, tuple(rng.randint(10, 60) for _ in range(3)))


def _ink(background: tuple[int, ...]) -> tuple[int, int, int]:
    luma = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2]
    return (30, 30, 30) if luma > 128 else (240, 240, 240)


def _views(product: Image.Image, rng: random.Random, count: int) -> list[Image.Image]:
    """Other views of the same item, as sellers post them: mirrored, closer, turned."""
    views = []
    w, h = product.size
    for _ in range(count):
        view = product
        if rng.random() < 0.6:
            cw, ch = int(w * rng.uniform(0.55, 0.85)), int(h * rng.uniform(0.55, 0.85))
            x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
            view = view.crop((x, y, x + cw, y + ch))
        if rng.random() < 0.5:
            view = ImageOps.mirror(view)
        if rng.random() < 0.3:
            view = view.rotate(rng.choice((90, 270)), expand=True)
        views.append(view)
    return views


def render_card(product: Image.Image, rng: random.Random) -> Image.Image:
    """One advertising card around ``product`` (about 448 px on its long side)."""
    aspect = float(np.exp(rng.uniform(np.log(0.6), np.log(1.8))))
    long = 448
    w, h = (long, round(long / aspect)) if aspect >= 1 else (round(long * aspect), long)
    card = _background(rng, (w, h))
    pen = ImageDraw.Draw(card)
    ink = _ink(card.getpixel((0, 0)))
    fill = rng.uniform(0.2, 1.0)  # the product's share of the card's shorter side
    side = max(24, int(fill * min(w, h)))
    photo = product.resize((side, side), Image.Resampling.BICUBIC)
    wide = w >= h
    x, y = _place(rng, (w, h), side, wide)
    card.paste(photo, (x, y))
    if rng.random() < 0.3:
        pen.rectangle((x, y, x + side - 1, y + side - 1), outline=ink, width=rng.randint(1, 3))
    free = _free_box((w, h), (x, y, x + side, y + side), wide)
    if rng.random() < 0.35:  # thumbnails of other views
        count = rng.randint(2, 3)
        thumb = max(16, min(side // 3, (free[2] - free[0]) // (count + 1)))
        for i, view in enumerate(_views(product, rng, count)):
            view = view.resize((thumb, thumb), Image.Resampling.BICUBIC)
            tx = free[0] + 4 + i * (thumb + 4) if wide else x + i * (thumb + 4)
            ty = free[3] - thumb - 4 if wide else min(h - thumb, y + side + 4)
            if tx + thumb <= w and ty >= 0:
                card.paste(view, (tx, ty))
    font = rng.choice(_FONTS)
    tx, ty = free[0] + 8, free[1] + 8
    scale = max(12, min(h, w) // 14)
    if rng.random() < 0.75:
        pen.text((tx, ty), rng.choice(_TITLES), fill=ink, font=_font(font, scale))
        ty += int(scale * 1.4)
    if rng.random() < 0.75:
        colour = rng.choice(((220, 30, 30), (240, 110, 0), ink, (200, 0, 90)))
        pen.text(
            (tx, ty), _price_text(rng), fill=colour, font=_font("DejaVuSans-Bold.ttf", scale * 1.6)
        )
        ty += int(scale * 2.2)
    for _ in range(rng.randint(0, 3)):
        detail = rng.choice(_DETAILS).format(a=rng.randint(2, 60), b=rng.randint(1, 9))
        pen.text((tx, ty), detail, fill=ink, font=_font(font, scale * 0.7))
        ty += int(scale * 1.0)
    if rng.random() < 0.5:
        _strip(pen, rng, (w, h), scale)
    if rng.random() < 0.35:
        _badge(pen, rng, (w, h), scale)
    if rng.random() < 0.5:
        where = (rng.randint(4, max(4, w // 3)), h - int(scale * 0.9) - 4)
        pen.text(where, _address(rng), fill=ink, font=_font(font, scale * 0.65))
    if rng.random() < 0.25:
        width = rng.randint(2, 10)
        pen.rectangle(
            (0, 0, w - 1, h - 1), outline=tuple(rng.randint(0, 255) for _ in range(3)), width=width
        )
    return card


def _place(rng: random.Random, size: tuple[int, int], side: int, wide: bool) -> tuple[int, int]:
    """Where the product goes: towards one side of a wide card (the top of a tall one),
    but with most of it inside the centre square that the served model keeps of a card."""
    w, h = size
    view = 0.875 * min(w, h)  # the centre square the served model sees (crop_pct 0.875)
    low_x, low_y = (w - view) / 2, (h - view) / 2
    edge = 0.2 * side
    xs = (max(0, low_x - edge), min(w - side, low_x + view - side + edge))
    ys = (max(0, low_y - edge), min(h - side, low_y + view - side + edge))
    x = rng.choice(xs) if wide and rng.random() < 0.7 else rng.uniform(*sorted(xs))
    y = ys[0] if not wide and rng.random() < 0.6 else rng.uniform(*sorted(ys))
    return int(max(0, min(w - side, x))), int(max(0, min(h - side, y)))


def _price_text(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return _price(np.random.default_rng(rng.randrange(2**31)))
    symbol = rng.choice(("$", "€", "£", "¥", "HK$", "US$ ", "RMB "))
    return f"{symbol}{rng.randint(20, 99999):,}"


def _free_box(size: tuple[int, int], product: tuple[int, int, int, int], wide: bool) -> tuple:
    """The largest part of the card beside (wide) or below (tall) the product."""
    w, h = size
    x0, y0, x1, y1 = product
    if wide:
        return (x1, 0, w, h) if w - x1 >= x0 else (0, 0, x0, h)
    return (0, y1, w, h) if h - y1 >= y0 else (0, 0, w, y0)


def _strip(pen: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int], scale: int) -> None:
    """A coloured band across the top or bottom with a sales line on it."""
    w, h = size
    band = int(scale * rng.uniform(1.3, 2.0))
    top = rng.random() < 0.5
    box = (0, 0, w, band) if top else (0, h - band, w, h)
    colour = rng.choice(((210, 20, 30), (20, 20, 20), (240, 120, 0), (0, 110, 60), (30, 60, 160)))
    pen.rectangle(box, fill=colour)
    face = _font(rng.choice(("DejaVuSans-Bold.ttf", "DejaVuSerif-Bold.ttf")), band * 0.6)
    pen.text(
        (w // 2, box[1] + band // 2),
        rng.choice(_STRIPS),
        fill=(255, 255, 255),
        font=face,
        anchor="mm",
    )


def _badge(pen: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int], scale: int) -> None:
    """A round or star-burst sticker with a discount or a word."""
    w, h = size
    r = int(scale * rng.uniform(1.2, 2.2))
    cx, cy = rng.choice(((r + 4, r + 4), (w - r - 4, r + 4), (w - r - 4, h - r - 4)))
    colour = rng.choice(((230, 30, 30), (250, 180, 0), (230, 0, 120), (20, 140, 60)))
    if rng.random() < 0.5:
        pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    else:
        points = [
            (
                cx + (r if k % 2 == 0 else r * 0.75) * np.cos(np.pi * k / 12),
                cy + (r if k % 2 == 0 else r * 0.75) * np.sin(np.pi * k / 12),
            )
            for k in range(24)
        ]
        pen.polygon(points, fill=colour)
    face = _font("DejaVuSans-Bold.ttf", r * 0.55)
    pen.text((cx, cy), rng.choice(_BADGES), fill=(255, 255, 255), font=face, anchor="mm")


def served_view(
    card: Image.Image, size: int, crop_pct: float, trim: int | None = None
) -> Image.Image:
    """What the served model sees of a whole card: its uniform margins cut when ``trim``
    (the spec's ``trim_margins``), shorter side resized to ``size / crop_pct`` and the
    centre ``size`` x ``size`` cut out (as ``preprocess`` does)."""
    if trim is not None:
        card = trim_margins(card, trim)
    w, h = card.size
    short = size / crop_pct
    scale = short / min(w, h)
    resized = card.resize(
        (max(size, round(w * scale)), max(size, round(h * scale))), Image.Resampling.BICUBIC
    )
    left, top = (resized.width - size) // 2, (resized.height - size) // 2
    return resized.crop((left, top, left + size, top + size))


class ListingCard(SeededTransform):
    """The photo as the product of an advertising card, seen as the served model sees the
    card (size and centre crop of the model's spec)."""

    def __init__(
        self, size: int = 224, crop_pct: float = 0.875, trim: int | None = None, p: float = 0.5
    ) -> None:
        super().__init__(p=p)
        self.size, self.crop_pct, self.trim = size, crop_pct, trim

    def draw(self, img: np.ndarray, rng: random.Random) -> np.ndarray:
        card = render_card(Image.fromarray(img), rng)
        view = served_view(card, self.size, self.crop_pct, self.trim)
        if view.size != (img.shape[1], img.shape[0]):
            view = view.resize((img.shape[1], img.shape[0]), Image.Resampling.BICUBIC)
        return np.asarray(view)
