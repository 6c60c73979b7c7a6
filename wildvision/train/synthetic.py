"""Synthetic graphics negatives: seeded renders of text cards, memes, screenshots and the like.

Listings on social media are full of images that are not photos of products: text cards,
memes, phone screenshots, posters, price tags, QR codes, greeting cards, receipts and charts.
Their flat pale areas and smooth gradients fooled the classifier into calling some of them
ivory, so training mixes in these renders with the label ``other``. Everything is drawn
offline with Pillow and numpy from the word lists below (fonts: matplotlib's DejaVu set),
and each image is fully determined by its (kind, seed), so a cached set can be rebuilt.
"""

from __future__ import annotations

import colorsys
import csv
import functools
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .._atomic import atomic_open

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
LABEL = "other"
MANIFEST_COLUMNS = ("path", "label", "category", "source", "group")

G = np.random.Generator
RGB = tuple[int, int, int]
Box = Sequence[float]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Draw = ImageDraw.ImageDraw
WHITE, GREY = (255, 255, 255), (150, 150, 150)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


GREETINGS = _words(
    "Happy New Year|Merry Christmas|Happy Birthday!|Congratulations!|Thank You|Good Morning"
    "|Happy Easter|Best Wishes|Happy Anniversary|Welcome Home|Get Well Soon|Happy Holidays"
    "|Season's Greetings|Happy Mother's Day|Eid Mubarak|Happy Diwali|Good Night|Love You"
)
SLOGANS = _words(
    "hey there, let's go viral!|follow for more|link in bio|new post alert|good vibes only"
    "|live, laugh, love|dream big, work hard|stay tuned|like & share|tag a friend who needs this"
    "|Monday mood|weekend loading...|you got this|coffee first|be kind|giveaway time!"
)
QUOTES = _words(
    "The best way to predict the future is to create it.|Every day is a fresh start."
    "|Do what you love, love what you do.|Small steps every day.|Stay hungry, stay foolish."
    "|Happiness is homemade.|Believe you can and you're halfway there.|Keep calm and carry on"
)
MEME_TOP = _words(
    "when you finally|me trying to|nobody:|that moment when|me at 3am|when the wifi"
    "|my brain at night|one does not simply|how it started|when mom says"
)
MEME_BOTTOM = _words(
    "fix the bug|works on my machine|it's friday|pretends to work|forgets everything"
    "|still loading|walk into mordor|how it's going|ships it anyway|we have food at home"
)
UI_LABELS = _words(
    "Settings|Messages|Photos|Camera|Search|Home|Profile|Notifications|Wallet|Maps|Music"
    "|Calendar|Mail|Weather|Clock|Contacts|Files|Store|Wi-Fi|Bluetooth|Battery|Privacy"
)
CHAT = _words(
    "ok|see you soon|lol|where are you?|on my way|sounds good!|did you see this?|haha yes"
    "|call me later|thanks!!|what time tomorrow?|I'm outside|can you send the photo?|omg"
)
BUTTONS = _words("Continue|Sign in|Save|Buy now|Share|Follow|Add to cart|OK")
SALE = _words("SALE|MEGA SALE|CLEARANCE|BLACK FRIDAY|HOT DEAL|SPECIAL OFFER|FLASH SALE|NEW IN")
SALE_LINES = _words("UP TO 70% OFF|ENDS SUNDAY|SHOP NOW|LIMITED TIME|WHILE STOCKS LAST|ONLINE")
EVENTS = _words(
    "Summer Festival|Live Music Night|Grand Opening|Yoga in the Park|Charity Run|Book Fair"
    "|Open House|Craft Market|Jazz Evening|Food Truck Friday|Art Workshop|Community Meeting"
)
ITEMS = _words(
    "Milk 1L|Bread|Eggs x12|Coffee|Apples|Rice 2kg|Soap|Batteries|Pasta|Tomatoes|Cheese"
    "|Water 6pk|T-shirt|Sneakers|Headphones|Lamp|Mug|Notebook|Sunglasses|Backpack"
)
STORES = _words("CORNER MARKET|FRESH FOODS|CITY PHARMACY|CAFE LUNA|HARDWARE PLUS|QUICK STOP")
QR_LINES = _words("SCAN ME|Scan to pay|Menu|Follow us|Scan for Wi-Fi|Join the group")
CHART_TITLES = _words(
    "Monthly sales|Users by region|Growth 2023|Survey results|Traffic sources|Revenue (k$)"
)
MESSAGES = _words(
    "Wishing you joy and happiness|With love, Anna|Thinking of you|All the best, Tom"
    "|Have a wonderful day|Cheers to you!|Hugs and kisses|From all of us"
)
LOREM = _words(
    "the|and|of|to|a|in|for|is|on|that|with|you|this|we|our|your|all|new|more|free|time|day"
    "|team|work|people|event|join|open|city|music|food|family|details|information|please|will"
    "|share|support|local|community|program|service|online|project|report|meeting|result"
)
CATEGORIES = _words("North|South|East|West|Web|Store|App|Email|Ads|Q1|Q2|Q3|Q4|Kids|Pets|Food")
MONTHS = _words("JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC")
DAYS = _words("MON|TUE|WED|THU|FRI|SAT|SUN")

SANS, BOLD, MONO = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"
SERIF, SERIF_BOLD = "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"
DISPLAY = (BOLD, SERIF_BOLD, SANS, SERIF, "DejaVuSans-BoldOblique.ttf", "STIXGeneralBol.ttf")
SCRIPT = _words(
    "DejaVuSerif-Italic.ttf|DejaVuSerif-BoldItalic.ttf|STIXGeneralItalic.ttf|STIXGeneralBolIta.ttf"
)


# ---------------------------------------------------------------- fonts, colours, text


@functools.lru_cache(maxsize=1)
def _font_dir() -> Path | None:
    try:
        import matplotlib
    except ImportError:
        return None
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder if folder.is_dir() else None


@functools.lru_cache(maxsize=1024)
def _font(name: str, size: float) -> Font:
    size, folder = max(8, int(size)), _font_dir()
    if folder is not None and (folder / name).is_file():
        return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size)


def _pick(rng: G, options: Sequence):
    return options[int(rng.integers(len(options)))]


def _rgb(rng: G, sat=(0.2, 1.0), val=(0.2, 1.0)) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(*sat), rng.uniform(*val))
    return int(r * 255), int(g * 255), int(b * 255)


def _ink(colour: Sequence[int]) -> RGB:
    """Near-black or near-white, whichever reads on ``colour``."""
    luma = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
    return (25, 25, 25) if luma > 140 else (250, 250, 250)


def _mean(img: Image.Image, box: Box | None = None) -> RGB:
    part = img.crop(tuple(int(v) for v in box)) if box else img
    r, g, b = np.asarray(part.reduce(4) if min(part.size) >= 8 else part).reshape(-1, 3).mean(0)
    return int(r), int(g), int(b)


def _size(font: Font) -> int:
    return int(getattr(font, "size", 10))


def _wrap(text: str, font: Font, width: float) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and font.getlength(trial) > width:
            lines, line = [*lines, line], word
        else:
            line = trial
    return [*lines, line] if line else lines


def _fit(text: str, name: str, width: float, height: float, size: float) -> tuple[Font, list]:
    """The largest font (at most ``size``) whose wrap of ``text`` fits ``width`` x ``height``."""
    while True:
        font = _font(name, size)
        lines = _wrap(text, font, width)
        fits = max(font.getlength(line) for line in lines) <= width
        if (fits and len(lines) * _size(font) * 1.2 <= height) or size <= 8:
            return font, lines
        size = max(8, size * 0.85)


def _say(d: Draw, xy: Box, text: str, font: Font, fill: Sequence[int], anchor="la", stroke=0):
    """One line of text; a ``stroke`` outlines it in the ink that contrasts with ``fill``."""
    outline = _ink(fill)
    d.text(tuple(xy), text, tuple(fill), font, anchor, stroke_width=stroke, stroke_fill=outline)


def _lines(d: Draw, lines: list[str], font: Font, xy: Box, fill: RGB, align="center", stroke=0):
    """Lines from top ``y`` (``x`` is their centre, left or right edge); returns the bottom."""
    anchor, step = {"center": "ma", "left": "la", "right": "ra"}[align], _size(font) * 1.2
    for i, line in enumerate(lines):
        _say(d, (xy[0], xy[1] + i * step), line, font, fill, anchor, stroke)
    return xy[1] + len(lines) * step


def _lorem(rng: G, low: int, high: int) -> str:
    words = [_pick(rng, LOREM) for _ in range(int(rng.integers(low, high)))]
    return " ".join(words).capitalize() + "."


def _price(rng: G) -> str:
    whole, cents = int(rng.integers(1, 200)), _pick(rng, (99, 95, 49, 0, 50))
    if rng.random() < 0.25:
        return f"{whole},{cents:02d} €"
    return f"{_pick(rng, '$$£')}{whole}.{cents:02d}"


# ---------------------------------------------------------------- backgrounds and shapes


def _gradient(w: int, h: int, c1: RGB, c2: RGB, angle: float) -> Image.Image:
    ys, xs = np.ogrid[0:h, 0:w]
    t = xs * np.cos(angle) + ys * np.sin(angle)
    t = (t - t.min()) / (np.ptp(t) + 1e-6)
    a, b = np.array(c1, np.float32), np.array(c2, np.float32)
    return Image.fromarray((a + (b - a) * t[..., None]).astype(np.uint8))


def _blobs(rng: G, w: int, h: int, n: int = 6) -> Image.Image:
    """Soft colour blobs: drawn small, blurred, scaled up (cheap at any size)."""
    sw, sh = max(4, w // 8), max(4, h // 8)
    small = Image.new("RGB", (sw, sh), _rgb(rng))
    d = ImageDraw.Draw(small)
    for _ in range(n):
        cx, cy, r = rng.uniform(0, sw), rng.uniform(0, sh), rng.uniform(0.1, 0.5) * max(sw, sh)
        d.ellipse((cx - r, cy - r * rng.uniform(0.5, 1), cx + r, cy + r), fill=_rgb(rng))
    small = small.filter(ImageFilter.GaussianBlur(max(sw, sh) / 10))
    return small.resize((w, h), Image.Resampling.BILINEAR)


def _noise(img: Image.Image, rng: G, sigma: int) -> Image.Image:
    shape = (img.height, img.width, 3 if rng.random() < 0.5 else 1)
    arr = np.asarray(img, np.int16) + rng.integers(-sigma, sigma + 1, shape, dtype=np.int16)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _background(rng: G, w: int, h: int) -> Image.Image:
    """A flat colour, a gradient or soft blobs, sometimes noisy."""
    style = rng.random()
    if style < 0.35:
        img = Image.new("RGB", (w, h), _rgb(rng))
    elif style < 0.75:
        img = _gradient(w, h, _rgb(rng), _rgb(rng), rng.uniform(0, 2 * np.pi))
    else:
        img = _blobs(rng, w, h)
    return _noise(img, rng, int(rng.integers(4, 16))) if rng.random() < 0.25 else img


def _photo(rng: G, w: int, h: int) -> Image.Image:
    """Something photo-like: blurred blobs, a few soft objects, sensor noise."""
    img = _blobs(rng, w, h, int(rng.integers(4, 10)))
    d = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(1, 4))):
        _shape(d, rng, _box(rng, w, h, 0.15, 0.6), _rgb(rng), ("ellipse", "rect"))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 2.5)))
    return _noise(img, rng, int(rng.integers(3, 12)))


def _box(rng: G, w: int, h: int, low: float, high: float) -> tuple:
    bw, bh = rng.uniform(low, high) * w, rng.uniform(low, high) * h
    x, y = rng.uniform(-0.1 * w, w - 0.5 * bw), rng.uniform(-0.1 * h, h - 0.5 * bh)
    return x, y, x + bw, y + bh


def _star(cx: float, cy: float, r: float, points: int = 5, inner: float = 0.45) -> list:
    angles = np.linspace(-np.pi / 2, 1.5 * np.pi, 2 * points, endpoint=False)
    radii = np.where(np.arange(2 * points) % 2 == 0, r, r * inner)
    return list(zip(cx + radii * np.cos(angles), cy + radii * np.sin(angles)))


def _heart(cx: float, cy: float, r: float) -> list:
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
    return list(zip(cx + x * r / 17, cy - y * r / 17))


def _shape(d: Draw, rng: G, box: Box, fill: RGB, kinds=("ellipse", "rect", "triangle")) -> None:
    x0, y0, x1, y1 = box
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, min(x1 - x0, y1 - y0) / 2
    kind = _pick(rng, kinds)
    if kind == "ellipse":
        d.ellipse(box, fill=fill)
    elif kind == "rect":
        d.rounded_rectangle(box, radius=rng.uniform(0, 0.6) * r, fill=fill)
    elif kind == "triangle":
        d.polygon([(x0, y1), (x1, y1), (rng.uniform(x0, x1), y0)], fill=fill)
    else:
        d.polygon(_star(cx, cy, r) if kind == "star" else _heart(cx, cy, r), fill=fill)


def _barcode(d: Draw, rng: G, box: Box, fill: RGB) -> None:
    x0, y0, x1, y1 = box
    while x0 < x1:
        bar = rng.uniform(1, 3.5) * max(1.0, (x1 - x0) / 120)
        if rng.random() < 0.55:
            d.rectangle((x0, y0, min(x0 + bar, x1), y1), fill=fill)
        x0 += bar


def _paste_rotated(img: Image.Image, layer: Image.Image, rng: G, angle: float) -> None:
    """Paste an RGBA ``layer`` on the centre of ``img``, turned by up to ``angle`` degrees."""
    layer = layer.rotate(rng.uniform(-angle, angle), Image.Resampling.BICUBIC, expand=True)
    img.paste(layer, ((img.width - layer.width) // 2, (img.height - layer.height) // 2), layer)


# ---------------------------------------------------------------- the kinds


def _text_card(rng: G, w: int, h: int) -> Image.Image:
    img = _background(rng, w, h)
    d, s = ImageDraw.Draw(img), min(w, h)
    text = _pick(rng, _pick(rng, (GREETINGS, SLOGANS, QUOTES)))
    text = text.upper() if rng.random() < 0.3 else text
    box_h, size = h * rng.uniform(0.35, 0.65), s * rng.uniform(0.1, 0.22)
    font, lines = _fit(text, _pick(rng, DISPLAY), w * 0.82, box_h, size)
    block = len(lines) * _size(font) * 1.2
    top = (h - block) / 2 + rng.uniform(-0.15, 0.15) * (h - block)
    ink = _ink(_mean(img, (w * 0.1, top, w * 0.9, top + block)))
    if rng.random() < 0.3:  # a drop shadow
        _lines(d, lines, font, (w / 2 + 2, top + 2), _ink(ink))
    stroke = _size(font) // 14 if rng.random() < 0.4 else 0
    bottom = _lines(d, lines, font, (w / 2, top), ink, stroke=stroke)
    if rng.random() < 0.5:  # a rule and a handle
        d.rectangle((w * 0.35, bottom + 6, w * 0.65, bottom + 8), fill=ink)
        handle = f"@{_pick(rng, LOREM)}{_pick(rng, LOREM)}{int(rng.integers(1, 99))}"
        _say(d, (w / 2, h - 8), handle, _font(SANS, s / 22), ink, "md")
    return img


def _meme(rng: G, w: int, h: int) -> Image.Image:
    top, bottom = _pick(rng, MEME_TOP), _pick(rng, MEME_BOTTOM)
    if rng.random() < 0.3:  # the modern format: black caption on a white band over a picture
        img = Image.new("RGB", (w, h), WHITE)
        font, lines = _fit(f"{top} {bottom}", SANS, w * 0.92, h * 0.26, min(w, h) * 0.1)
        band = int(len(lines) * _size(font) * 1.2 + 16)
        img.paste(_photo(rng, w, h - band), (0, band))
        _lines(ImageDraw.Draw(img), lines, font, (w * 0.04, 8), (0, 0, 0), "left")
        return img
    img = _photo(rng, w, h) if rng.random() < 0.8 else _background(rng, w, h)
    d, size = ImageDraw.Draw(img), min(w, h) * rng.uniform(0.09, 0.15)
    captions = [(top, True), (bottom, False)]
    if rng.random() < 0.3:  # sometimes one caption only
        captions.pop(int(rng.integers(2)))
    for text, at_top in captions:
        font, lines = _fit(text.upper(), BOLD, w * 0.94, h * 0.3, size)
        y = h * 0.03 if at_top else h * 0.97 - len(lines) * _size(font) * 1.2
        _lines(d, lines, font, (w / 2, y), WHITE, stroke=max(2, _size(font) // 9))
    return img


def _status_bar(d: Draw, rng: G, w: int, h: int, ink: RGB) -> float:
    bar = max(14.0, h * 0.045)
    clock = f"{int(rng.integers(1, 13))}:{int(rng.integers(0, 60)):02d}"
    _say(d, (w * 0.05, bar / 2), clock, _font(BOLD, bar * 0.6), ink, "lm")
    right, mid, unit = w * 0.95, bar / 2, bar * 0.3
    d.rectangle((right - 2.2 * unit, mid - unit / 2, right, mid + unit / 2), outline=ink)
    level = right - rng.uniform(0.3, 2) * unit
    d.rectangle((right - 2.2 * unit, mid - unit / 2, level, mid + unit / 2), fill=ink)
    for i in range(4):  # signal bars
        x = right - 6 * unit + i * unit * 0.7
        d.rectangle((x, mid + unit / 2 - (i + 1) * unit / 3, x + unit * 0.45, mid + unit / 2), ink)
    return bar


def _keyboard(d: Draw, rng: G, w: int, top: float, h: int, dark: bool) -> None:
    d.rectangle((0, top, w, h), fill=(40, 40, 44) if dark else (208, 211, 217))
    key, ink = ((95, 95, 100), (250, 250, 250)) if dark else (WHITE, (20, 20, 20))
    kh, kw = (h - top) / 4.5, w / 10
    font, lower = _font(SANS, kh * 0.45), rng.random() < 0.5
    for r, keys in enumerate(("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM", " ")):
        y, x0 = top + kh * (0.25 + 1.05 * r), (w - len(keys) * kw) / 2
        keys = keys.lower() if lower else keys
        for i, ch in enumerate(keys):
            box = (x0 + i * kw + 2, y, x0 + (i + 1) * kw - 2, y + kh * 0.88)
            box = (w * 0.25, y, w * 0.75, box[3]) if ch == " " else box
            d.rounded_rectangle(box, radius=kh * 0.12, fill=key)
            _say(d, ((box[0] + box[2]) / 2, y + kh * 0.44), ch.strip() or "space", font, ink, "mm")


def _chat(
    d: Draw, rng: G, w: int, h: int, y: float, u: float, fg: RGB, accent: RGB, dark: bool
) -> None:
    """Chat bubbles, a message field and often a keyboard."""
    font, bottom = _font(SANS, u), h * (0.58 if rng.random() < 0.6 else 0.9)
    incoming, y = ((60, 60, 64) if dark else (229, 229, 234)), y + u * 0.6
    while True:
        out = rng.random() < 0.5
        lines = _wrap(_pick(rng, CHAT), font, w * 0.6)
        bw = max(font.getlength(line) for line in lines) + u * 1.2
        bh = len(lines) * u * 1.2 + u * 0.6
        if y + bh > bottom - u * 2.5:
            break
        x0, fill = (w * 0.96 - bw, accent) if out else (w * 0.04, incoming)
        d.rounded_rectangle((x0, y, x0 + bw, y + bh), radius=min(bh / 2, u), fill=fill)
        _lines(d, lines, font, (x0 + u * 0.6, y + u * 0.3), _ink(fill), "left")
        y += bh + u * 0.5
    field = (w * 0.04, bottom - u * 2.2, w * 0.96, bottom - u * 0.4)
    d.rounded_rectangle(field, radius=u, outline=GREY, width=1)
    _say(d, (w * 0.08, (field[1] + field[3]) / 2), "Message", font, GREY, "lm")
    if bottom < h * 0.8:
        _keyboard(d, rng, w, bottom, h, dark)


def _settings(
    d: Draw, rng: G, w: int, h: int, y: float, u: float, fg: RGB, accent: RGB, dark: bool
) -> None:
    """Rows of icon, label and a toggle or chevron, sometimes a button below."""
    font = _font(SANS, u)
    while y + u * 3 < h * 0.88:
        icon = (w * 0.04, y + u * 0.5, w * 0.04 + u * 1.8, y + u * 2.3)
        d.rounded_rectangle(icon, radius=u * 0.4, fill=_rgb(rng, (0.5, 1), (0.6, 1)))
        _say(d, (icon[2] + u, y + u * 1.4), _pick(rng, UI_LABELS), font, fg, "lm")
        if rng.random() < 0.4:  # a toggle
            on = rng.random() < 0.6
            pill = (w * 0.96 - u * 2.6, y + u * 0.75, w * 0.96, y + u * 2.05)
            d.rounded_rectangle(pill, radius=u, fill=accent if on else GREY)
            cx = pill[2] - u * 0.65 if on else pill[0] + u * 0.65
            d.ellipse((cx - u * 0.55, y + u * 0.85, cx + u * 0.55, y + u * 1.95), fill=WHITE)
        else:
            _say(d, (w * 0.96, y + u * 1.4), ">", font, GREY, "rm")
        y += u * 2.8
        d.line((icon[2] + u, y, w, y), fill=(140, 140, 140) if dark else (215, 215, 215))
    if rng.random() < 0.5:
        button = (w * 0.08, h * 0.9, w * 0.92, h * 0.9 + u * 2.4)
        d.rounded_rectangle(button, radius=u * 0.8, fill=accent)
        label, font = _pick(rng, BUTTONS), _font(BOLD, u)
        _say(d, (w / 2, button[1] + u * 1.2), label, font, _ink(accent), "mm")


def _home(
    d: Draw, rng: G, w: int, h: int, y: float, u: float, fg: RGB, accent: RGB, dark: bool
) -> None:
    """A grid of app icons with labels, and a dock."""
    cell, font = w / 4, _font(SANS, u * 0.75)
    icon, y = cell * 0.62, y + u
    while y + cell < h * 0.86:
        for c in range(4):
            x0 = c * cell + (cell - icon) / 2
            box = (x0, y, x0 + icon, y + icon)
            d.rounded_rectangle(box, radius=icon * 0.22, fill=_rgb(rng, (0.4, 1), (0.5, 1)))
            glyph = (x0 + icon * 0.28, y + icon * 0.28, x0 + icon * 0.72, y + icon * 0.72)
            _shape(d, rng, glyph, WHITE, ("ellipse", "rect", "triangle", "star", "heart"))
            _say(d, (x0 + icon / 2, y + icon + 3), _pick(rng, UI_LABELS), font, fg, "ma")
        y += cell * 1.05
    d.rounded_rectangle((w * 0.04, h * 0.87, w * 0.96, h * 0.98), radius=u, fill=accent)
    side = min(h * 0.08, icon)
    for c in range(4):  # the dock's icons
        x0, y0 = c * cell + (cell - side) / 2, h * 0.925 - side / 2
        fill = _rgb(rng, (0.4, 1), (0.5, 1))
        d.rounded_rectangle((x0, y0, x0 + side, y0 + side), radius=side * 0.22, fill=fill)


def _screenshot(rng: G, w: int, h: int) -> Image.Image:
    dark = rng.random() < 0.35
    base = (int(rng.integers(10, 35)) if dark else int(rng.integers(238, 256)),) * 3
    accent, layout = _rgb(rng, (0.5, 0.9), (0.55, 0.9)), _pick(rng, (_chat, _settings, _home))
    img = _background(rng, w, h) if layout is _home else Image.new("RGB", (w, h), base)
    d, fg = ImageDraw.Draw(img), _ink(_mean(img))
    y, u = _status_bar(d, rng, w, h, fg) + 4, max(9.0, w * rng.uniform(0.04, 0.055))
    if layout is not _home:  # a title bar
        _say(d, (w / 2, y + u), _pick(rng, UI_LABELS), _font(BOLD, u * 1.2), fg, "mm")
        _say(d, (w * 0.04, y + u), "<", _font(BOLD, u * 1.3), accent, "lm")
        y += u * 2.4
        d.line((0, y, w, y), fill=(128, 128, 128))
    layout(d, rng, w, h, y, u, fg, accent, dark)
    return img


def _poster(rng: G, w: int, h: int) -> Image.Image:
    img = _background(rng, w, h)
    d, m, s = ImageDraw.Draw(img), w * 0.07, min(w, h)
    for _ in range(int(rng.integers(2, 7))):
        _shape(d, rng, _box(rng, w, h, 0.1, 0.45), _rgb(rng))
    title = _pick(rng, EVENTS)
    title, top = title.upper() if rng.random() < 0.5 else title, h * rng.uniform(0.04, 0.12)
    font, lines = _fit(title, _pick(rng, DISPLAY), w - 2 * m, h * 0.32, s * rng.uniform(0.12, 0.2))
    ink, align = _ink(_mean(img, (m, top, w - m, top + h * 0.3))), _pick(rng, ("center", "left"))
    x, stroke = (w / 2 if align == "center" else m), max(1, _size(font) // 16)
    y = _lines(d, lines, font, (x, top), ink, align, stroke) + s * 0.03
    day, hour = int(rng.integers(1, 29)), int(rng.integers(1, 12))
    date = f"{_pick(rng, DAYS)} {day} {_pick(rng, MONTHS)} · {hour} PM"
    accent = _rgb(rng, (0.6, 1), (0.7, 1))
    y = _lines(d, [date], _font(BOLD, s * 0.065), (x, y), accent, align, 2) + s * 0.04
    small = _font(_pick(rng, (SANS, SERIF)), max(9, s * 0.042))
    for _ in range(int(rng.integers(1, 4))):
        lines = _wrap(_lorem(rng, 6, 22), small, w - 2 * m)
        if y + len(lines) * _size(small) * 1.2 > h * 0.86:
            break
        y = _lines(d, lines, small, (x, y), ink, align, 1) + _size(small) * 0.8
    if rng.random() < 0.7:  # a footer strip
        d.rectangle((0, h * 0.9, w, h), fill=accent)
        site = f"www.{_pick(rng, LOREM)}{_pick(rng, LOREM)}.com"
        foot = f"{site}  |  {_pick(rng, ('Free entry', 'Tickets $15', 'All welcome'))}"
        _say(d, (w / 2, h * 0.95), foot, _font(BOLD, s * 0.04), _ink(accent), "mm")
    return img


def _sale_banner(rng: G, w: int, h: int) -> Image.Image:
    s, bg = min(w, h), _pick(rng, ((220, 30, 40), (250, 210, 20), (15, 15, 15), (230, 0, 120)))
    img = Image.new("RGB", (w, h), bg) if rng.random() < 0.6 else _background(rng, w, h)
    d, ink = ImageDraw.Draw(img), _ink(_mean(img))
    font, lines = _fit(_pick(rng, SALE), BOLD, w * 0.9, h * 0.3, s * 0.25)
    y = _lines(d, lines, font, (w / 2, h * 0.06), ink, stroke=max(1, _size(font) // 20))
    r = min(s * 0.24, (h * 0.72 - y) / 2)
    cx, cy = w * rng.uniform(0.3, 0.7), y + r + s * 0.03
    star = _pick(rng, ((255, 230, 0), WHITE, (230, 20, 30)))
    d.polygon(_star(cx, cy, r, int(rng.integers(12, 20)), 0.8), fill=star)
    off = f"-{_pick(rng, (10, 20, 25, 30, 40, 50, 60, 70))}%"
    _say(d, (cx, cy), off, _fit(off, BOLD, r * 1.4, r, r * 0.8)[0], _ink(star), "mm")
    line = _pick(rng, SALE_LINES) if rng.random() < 0.5 else f"NOW {_price(rng)}"
    font = _fit(line, BOLD, w * 0.9, h * 0.1, s * 0.09)[0]
    _say(d, (w / 2, min(h * 0.94, cy + r + s * 0.1)), line, font, ink, "mm")
    return img


def _price_tag(rng: G, w: int, h: int) -> Image.Image:
    if rng.random() < 0.5:
        return _sale_banner(rng, w, h)
    img = _photo(rng, w, h) if rng.random() < 0.5 else _background(rng, w, h)
    tw, th = int(w * rng.uniform(0.55, 0.85)), int(h * rng.uniform(0.4, 0.65))
    tag = Image.new("RGBA", (tw, th), (0, 0, 0, 0))
    d = ImageDraw.Draw(tag)
    paper = _pick(rng, (WHITE, (250, 225, 60), (215, 185, 140), (235, 40, 40), _rgb(rng)))
    ink, point = _ink(paper), th * 0.35
    outline = [(0, th / 2), (point, 0), (tw - 1, 0), (tw - 1, th - 1), (point, th - 1)]
    d.polygon(outline, fill=paper, outline=(0, 0, 0))
    d.ellipse((point / 2 - 4, th / 2 - 4, point / 2 + 4, th / 2 + 4), (0, 0, 0, 0), ink)
    inner = tw - point * 1.1
    cx, price = point + inner / 2, _price(rng)
    item_font = _fit("Headphones", SANS, inner * 0.9, th, th * 0.15)[0]
    _say(d, (cx, th * 0.1), _pick(rng, ITEMS), item_font, ink, "ma")
    price_font = _fit(price, BOLD, inner * 0.9, th * 0.4, th * 0.32)[0]
    _say(d, (cx, th * 0.5), price, price_font, ink, "mm")
    if rng.random() < 0.6:
        _barcode(d, rng, (cx - inner * 0.35, th * 0.72, cx + inner * 0.35, th * 0.9), ink)
    _paste_rotated(img, tag, rng, 20)
    return img


def _qr_matrix(rng: G, n: int) -> np.ndarray:
    """A QR-like module grid: random data, timing lines, three finders, an alignment mark."""
    m = rng.random((n, n)) < 0.5
    m[6, :] = m[:, 6] = np.arange(n) % 2 == 0
    for r, c in ((0, 0), (0, n - 7), (n - 7, 0)):
        m[max(r - 1, 0) : r + 8, max(c - 1, 0) : c + 8] = False
        m[r : r + 7, c : c + 7] = True
        m[r + 1 : r + 6, c + 1 : c + 6] = False
        m[r + 2 : r + 5, c + 2 : c + 5] = True
    if n >= 25:
        a = n - 7
        m[a - 2 : a + 3, a - 2 : a + 3] = True
        m[a - 1 : a + 2, a - 1 : a + 2] = False
        m[a, a] = True
    return m


def _qr_code(rng: G, w: int, h: int) -> Image.Image:
    n, s = _pick(rng, (21, 25, 29, 33)), min(w, h)
    dark = (0, 0, 0) if rng.random() < 0.7 else _rgb(rng, (0.5, 1), (0.1, 0.45))
    grid = np.pad(_qr_matrix(rng, n), 4)[..., None]
    side = int(s * rng.uniform(0.5, 0.72)) // (n + 8) * (n + 8)
    arr = np.where(grid, np.array(dark, np.uint8), np.uint8(255)).astype(np.uint8)
    code = Image.fromarray(arr).resize((side, side), Image.Resampling.NEAREST)
    if rng.random() < 0.3:  # a logo in the middle
        a, b = side * 0.41, side * 0.59
        logo = _rgb(rng, (0.6, 1), (0.5, 1))
        ImageDraw.Draw(code).rounded_rectangle((a, a, b, b), radius=side * 0.03, fill=logo)
    style = rng.random()
    if style < 0.3:  # a sticker on something photo-like
        img = _photo(rng, w, h)
        _paste_rotated(img, code.convert("RGBA"), rng, 25)
        return img
    img = Image.new("RGB", (w, h), WHITE) if style < 0.6 else _background(rng, w, h)
    d = ImageDraw.Draw(img)
    x0, y0 = (w - side) // 2, int(h * 0.55 - side / 2)
    d.rounded_rectangle((x0 - 6, y0 - 6, x0 + side + 6, y0 + side + 6), radius=10, fill=WHITE)
    img.paste(code, (x0, y0))
    text = _pick(rng, QR_LINES)
    font, ink = _fit(text, BOLD, w * 0.9, y0 * 0.8, s * 0.11)[0], _mean(img, (0, 0, w, y0 + 2))
    _say(d, (w / 2, y0 / 2), text, font, _ink(ink), "mm")
    return img


def _greeting_card(rng: G, w: int, h: int) -> Image.Image:
    pastel, s = rng.random() < 0.6, min(w, h)
    paper = _rgb(rng, (0.05, 0.3), (0.9, 1)) if pastel else _rgb(rng, (0.5, 0.9), (0.25, 0.6))
    img = Image.new("RGB", (w, h), paper)
    if rng.random() < 0.3:
        img = _gradient(w, h, paper, _rgb(rng), rng.uniform(0, 6.3))
    d = ImageDraw.Draw(img)
    accent = _rgb(rng, (0.5, 1), (0.5, 0.9) if pastel else (0.8, 1))
    for _ in range(int(rng.integers(6, 22))):  # confetti of hearts, stars, dots near the edges
        cx, cy = rng.uniform(0, w), _pick(rng, (rng.uniform(0, h * 0.2), rng.uniform(h * 0.8, h)))
        r, fill = s * rng.uniform(0.02, 0.07), _pick(rng, (accent, _rgb(rng, (0.4, 1), (0.6, 1))))
        _shape(d, rng, (cx - r, cy - r, cx + r, cy + r), fill, ("heart", "star", "ellipse"))
    for inset, width in ((s * rng.uniform(0.03, 0.07), max(2, int(s * 0.012))), (s * 0.1, 1)):
        if width > 1 or rng.random() < 0.5:
            d.rectangle((inset, inset, w - inset, h - inset), outline=accent, width=width)
    ink = _ink(_mean(img, (w * 0.2, h * 0.3, w * 0.8, h * 0.7)))
    ink = accent if pastel and rng.random() < 0.5 and _ink(accent) != ink else ink
    size = s * rng.uniform(0.13, 0.2)
    font, lines = _fit(_pick(rng, GREETINGS), _pick(rng, SCRIPT), w * 0.76, h * 0.4, size)
    y = _lines(d, lines, font, (w / 2, h * 0.28), ink)
    note = _pick(rng, MESSAGES)
    font, lines = _fit(note, _pick(rng, (*SCRIPT, SERIF)), w * 0.7, h * 0.15, s * 0.06)
    _lines(d, lines, font, (w / 2, y + s * 0.05), ink)
    return img


def _receipt(rng: G, w: int, h: int, paper: RGB, ink: RGB) -> Image.Image:
    """A till receipt lying on a table."""
    img, pw = _photo(rng, w, h), int(w * rng.uniform(0.45, 0.7))
    font = _font(MONO, max(8, pw / 22))
    step, cols = _size(font) * 1.25, int(pw * 0.9 / font.getlength("0"))
    day, month, hour, minute = (int(rng.integers(1, v)) for v in (29, 13, 24, 60))
    when = f"{day:02d}/{month:02d}/2024 {hour}:{minute:02d}"
    rows = [_pick(rng, STORES), f"{int(rng.integers(1, 300))} Main St", when, "-" * cols]
    total = 0.0
    for _ in range(int(rng.integers(3, 14))):
        cost, item = float(rng.integers(50, 2500)) / 100, _pick(rng, ITEMS)[: cols - 8]
        rows, total = [*rows, f"{item}{cost:>{cols - len(item)}.2f}"], total + cost
    tax = total * 0.08
    rows += ["-" * cols, f"TAX{tax:>{cols - 3}.2f}", f"TOTAL{total + tax:>{cols - 5}.2f}", ""]
    ph = int(min(h * 0.97, step * (len(rows) + 5)))
    layer = Image.new("RGBA", (pw, ph), paper)
    d, y = ImageDraw.Draw(layer), step * 0.6
    for i, row in enumerate([*rows, "THANK YOU!"]):
        if y + step > ph - step * 2.5:
            break
        centre = i < 3 or row == "THANK YOU!"
        _say(d, (pw / 2 if centre else pw * 0.05, y), row, font, ink, "ma" if centre else "la")
        y += step
    _barcode(d, rng, (pw * 0.15, y + step * 0.3, pw * 0.85, y + step * 2), ink)
    _paste_rotated(img, layer, rng, 6)
    return img


def _document(rng: G, w: int, h: int) -> Image.Image:
    paper, ink = _pick(rng, (WHITE, (248, 246, 238), (240, 240, 240))), (30, 30, 30)
    if rng.random() < 0.5:
        return _receipt(rng, w, h, paper, ink)
    img = Image.new("RGB", (w, h), paper)
    d, m, head = ImageDraw.Draw(img), w * 0.08, _font(BOLD, w / 16)
    body = _font(_pick(rng, (SERIF, SANS)), max(8, w / rng.uniform(28, 42)))
    title = _wrap(_lorem(rng, 2, 6).rstrip(".").title(), head, w - 2 * m)
    y, step = _lines(d, title, head, (m, h * 0.06), ink, "left"), _size(body) * 1.2
    while y < h * 0.88:
        if rng.random() < 0.25:
            heading = f"{int(rng.integers(1, 9))}. {_pick(rng, LOREM).title()} {_pick(rng, LOREM)}"
            y = _lines(d, [heading], _font(SERIF_BOLD, step), (m, y + step / 2), ink, "left")
        lines = _wrap(_lorem(rng, 15, 60), body, w - 2 * m)[: max(1, int((h * 0.92 - y) / step))]
        y = _lines(d, lines, body, (m, y + step / 3), (60, 60, 60), "left") + step / 2
    _say(d, (w / 2, h * 0.97), str(int(rng.integers(1, 40))), body, ink, "md")
    return img


def _chart(rng: G, w: int, h: int) -> Image.Image:
    dark, s = rng.random() < 0.25, min(w, h)
    light = _pick(rng, (WHITE, (247, 247, 250), _rgb(rng, (0, 0.1), (0.93, 1))))
    base = (30, 32, 38) if dark else light
    img = Image.new("RGB", (w, h), base)
    d, fg, small = ImageDraw.Draw(img), _ink(base), _font(SANS, max(8, s * 0.04))
    palette = [_rgb(rng, (0.45, 0.9), (0.55, 0.95)) for _ in range(8)]
    title = _pick(rng, CHART_TITLES)
    _say(d, (w / 2, h * 0.04), title, _fit(title, BOLD, w * 0.9, h * 0.1, s * 0.08)[0], fg, "ma")
    k, first = int(rng.integers(3, 8)), int(rng.integers(0, 12))
    values = rng.uniform(0.15, 1.0, k)
    names = [CATEGORIES[j] for j in rng.choice(len(CATEGORIES), k, replace=False)]
    names = [MONTHS[(i + first) % 12].title() for i in range(k)] if rng.random() < 0.5 else names
    kind = _pick(rng, ("bar", "line", "pie"))
    if kind == "pie":
        r, cx, cy = min(w * 0.3, h * 0.35), w * 0.35, h * 0.55
        shares = values / values.sum()
        angles = np.concatenate([[0], np.cumsum(shares) * 360]) - 90
        for i in range(k):
            d.pieslice((cx - r, cy - r, cx + r, cy + r), angles[i], angles[i + 1], palette[i], base)
            ly, sq = h * 0.25 + i * _size(small) * 1.6, _size(small)
            d.rectangle((w * 0.72, ly, w * 0.72 + sq, ly + sq), fill=palette[i])
            _say(d, (w * 0.72 + sq * 1.5, ly), f"{names[i]} {shares[i]:.0%}", small, fg)
        return img
    x0, x1, y0, y1 = w * 0.12, w * 0.95, h * 0.18, h * 0.84
    for i in range(5):  # grid lines and axis labels
        y = y1 - (y1 - y0) * i / 4
        d.line((x0, y, x1, y), fill=(90, 90, 90) if dark else (220, 220, 220))
        _say(d, (x0 - 4, y), str(i * 25), small, fg, "rm")
    d.line([(x0, y0), (x0, y1), (x1, y1)], fill=fg, width=2)
    slot = (x1 - x0) / k
    for i in range(k):
        _say(d, (x0 + slot * (i + 0.5), y1 + 4), names[i], small, fg, "ma")
    if kind == "bar":
        for i, v in enumerate(values):
            left, fill = x0 + slot * (i + 0.18), palette[0 if rng.random() < 0.6 else i]
            d.rectangle((left, y1 - v * (y1 - y0), left + slot * 0.64, y1), fill=fill)
        return img
    for series in range(int(rng.integers(1, 4))):
        walk = np.clip(rng.uniform(0.2, 0.8) + np.cumsum(rng.normal(0, 0.15, k)), 0.05, 1)
        points = [(x0 + slot * (i + 0.5), y1 - v * (y1 - y0)) for i, v in enumerate(walk)]
        d.line(points, fill=palette[series], width=max(2, s // 100))
        for px, py in points:
            d.ellipse((px - 3, py - 3, px + 3, py + 3), fill=palette[series])
    return img


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
