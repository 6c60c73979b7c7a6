"""Synthetic graphics of paper and data: QR codes, receipts, documents and charts."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .drawing import (
    BOLD,
    MONO,
    RGB,
    SANS,
    SERIF,
    SERIF_BOLD,
    WHITE,
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
    _size,
    _wrap,
)
from .words import CATEGORIES, CHART_TITLES, ITEMS, LOREM, MONTHS, QR_LINES, STORES


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
