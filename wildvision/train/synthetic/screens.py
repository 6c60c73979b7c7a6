"""Synthetic phone screenshots: a chat, a settings page or a home screen, with status bar
and keyboard."""

from __future__ import annotations

from PIL import Image, ImageDraw

from .drawing import (
    BOLD,
    GREY,
    RGB,
    SANS,
    WHITE,
    Draw,
    G,
    _background,
    _font,
    _ink,
    _lines,
    _mean,
    _pick,
    _rgb,
    _say,
    _shape,
    _wrap,
)
from .words import BUTTONS, CHAT, UI_LABELS


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
