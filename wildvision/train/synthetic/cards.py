"""Synthetic graphics that are mostly type on a background: text cards, memes, posters,
sale banners, price tags and greeting cards."""

from __future__ import annotations

from PIL import Image, ImageDraw

from .drawing import (
    BOLD,
    DISPLAY,
    SANS,
    SCRIPT,
    SERIF,
    WHITE,
    G,
    _background,
    _barcode,
    _box,
    _fit,
    _font,
    _gradient,
    _ink,
    _lines,
    _lorem,
    _mean,
    _paste_rotated,
    _photo,
    _pick,
    _price,
    _rgb,
    _say,
    _shape,
    _size,
    _star,
    _wrap,
)
from .words import (
    DAYS,
    EVENTS,
    GREETINGS,
    ITEMS,
    LOREM,
    MEME_BOTTOM,
    MEME_TOP,
    MESSAGES,
    MONTHS,
    QUOTES,
    SALE,
    SALE_LINES,
    SLOGANS,
)


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
