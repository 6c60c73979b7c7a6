"""Screen- and page-like synthetic graphics: phone screenshots, documents, receipts, charts."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ._graphics_tools import (
    BOLD,
    BUTTONS,
    CATEGORIES,
    CHART_TITLES,
    CHAT,
    GREY,
    ITEMS,
    LOREM,
    MONO,
    MONTHS,
    RGB,
    SANS,
    SERIF,
    SERIF_BOLD,
    STORES,
    UI_LABELS,
    WHITE,
    Draw,
    G,
    _background,
    _barcode,
    _fit,
    _font,
    _ink,
    _lines,
    _lorem,
    _mean,
    _paste_rotated,
    _photo,
    _pick,
    _rgb,
    _say,
    _shape,
    _size,
    _wrap,
)


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
