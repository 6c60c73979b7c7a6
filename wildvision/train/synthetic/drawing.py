"""Drawing helpers for the synthetic graphics: fonts (matplotlib's DejaVu set, or Pillow's
built-in font without it), colours, text layout, backgrounds and shapes."""

from __future__ import annotations

import colorsys
import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .words import LOREM, _words

G = np.random.Generator
RGB = tuple[int, int, int]
Box = Sequence[float]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Draw = ImageDraw.ImageDraw
WHITE, GREY = (255, 255, 255), (150, 150, 150)
SANS, BOLD, MONO = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"
SERIF, SERIF_BOLD = "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"
DISPLAY = (BOLD, SERIF_BOLD, SANS, SERIF, "DejaVuSans-BoldOblique.ttf", "STIXGeneralBol.ttf")
SCRIPT = _words(
    "DejaVuSerif-Italic.ttf|DejaVuSerif-BoldItalic.ttf|STIXGeneralItalic.ttf|STIXGeneralBolIta.ttf"
)


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
