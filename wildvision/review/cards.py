"""One card of the review page (``page``): the photo with its heatmap as an overlay,
the row's facts, its wildlife score and its known-image match.

The heatmap is a transparent layer the size of the photo's thumbnail, coloured only over the
square the model sees (the centre crop of ``preprocess.resize_and_crop``), so the browser
draws it over the photo and shows or hides it with a key. A map that cannot say where the
model looks (no region's occlusion lowers the score: the score is saturated, or the evidence
is spread out) is drawn as a plain veil over the model's square, and its caption says why.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..classifier import Classifier
from ..errors import ImageError
from ..explain import Explanation, jet
from ..explain import explain as explain_photo
from ..fetching import FetchOptions
from ..imaging import is_url, load_image
from ..spec import ModelSpec
from ..taxonomy import LOOKALIKE_LABELS
from . import verdicts as review_verdicts

#: Longest side of a photo's thumbnail in the page, in pixels (the focused view shows it
#: large; the grid shows it small).
THUMBNAIL_SIZE = 320
#: A largest probability drop below this means no single region moves the score.
WEAK_DROP = 0.02
#: A score this close to 1 (or to 0) is saturated: hiding one region cannot move it visibly.
SATURATED = 0.99
#: How strongly the heat covers the photo where it is hottest (as ``explain.overlay``).
HEAT_STRENGTH = 0.7


def wildlife_score(row: Mapping[str, Any]) -> tuple[float | None, bool]:
    """What the page ranks a row by within its decision, and whether it is exact.

    The row's ``wildlife_score`` when the scan wrote one (``scan --wildlife-score``,
    ``triage``). Otherwise the row has only its top label: a wildlife or pack label's score
    is the highest wildlife score (exact); a look-alike or ``other`` label's score ``s``
    leaves at most ``1 - s`` to any wildlife label (an upper bound, shown as "≤"). A label
    the taxonomy does not list counts as wildlife (a model's own or a pack's label).

    Returns:
        (score, exact); (None, True) for a row without a score (an error row).
    """
    given = row.get("wildlife_score")
    if given not in (None, ""):
        return _float(given), True
    score = _float(row.get("score"))
    if score is None:
        return None, True
    if _text(row.get("label")) in LOOKALIKE_LABELS:
        return round(max(0.0, 1.0 - score), 6), False
    return score, True


def card(
    rank: int,
    row: Mapping[str, Any],
    classifier: Classifier | None,
    base: Path,
    fetch: FetchOptions | None = None,
    image_limits: Mapping[str, int] | None = None,
) -> str:
    """One reviewed photo as an ``<article>``: picture (photo and heatmap overlay), title,
    wildlife score, known-image badge; the full facts and heatmap caption for the focused
    view. Without a classifier the photo is decoded under ``image_limits`` (``load_image``'s
    ``max_pixels`` / ``max_bytes``); with one, under the classifier's own."""
    decision = _text(row.get("decision"))
    score = _float(row.get("score"))
    label = _text(row.get("label"))
    wildlife, exact = wildlife_score(row)
    picture, caption, note = _picture(
        _text(row.get("path")), label, classifier, base, fetch, image_limits or {}
    )
    wild = "n/a" if wildlife is None else f"{'' if exact else '≤ '}{wildlife:.3f}"
    facts = [
        ("listing", _text(row.get("listing_id"))),
        ("path", _text(row.get("path"))),
        ("label", label),
        ("score", "n/a" if score is None else f"{score:.4f}"),
        ("wildlife score", wild),
        ("decision", decision),
        ("model version", _text(row.get("model_version"))),
    ]
    if "hash_match" in row:
        facts.append(("known image", hash_text(row)))
    if _text(row.get("error")):
        facts.append(("error", _text(row.get("error"))))
    listing = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v) or '&ndash;'}</dd>" for k, v in facts)
    badge = ""
    if hash_matched(row):
        listed = _text(row.get("hash_list"))
        known = f"known image{f' ({listed})' if listed else ''}: {_text(row.get('hash_label'))}"
        badge = f'<p class="known" title="{_e(hash_text(row))}">{_e(known)}</p>'
    meta = f"wildlife {wild} · {_text(row.get('listing_id')) or '–'}"
    return (
        f'<article class="item {_e(decision)}" data-rank="{rank}" '
        f"{review_verdicts.card_attributes(row, score)}>{picture}"
        f'<h2>#{rank} <span class="badge">{_e(decision)}</span> {_e(label)}'
        f"{'' if score is None else f' {score:.3f}'}</h2>"
        f'<p class="meta">{_e(meta)}</p>{badge}{note}{caption}<dl>{listing}</dl></article>\n'
    )


def _picture(
    path: str,
    label: str,
    classifier: Classifier | None,
    base: Path,
    fetch: FetchOptions | None,
    image_limits: Mapping[str, int],
) -> tuple[str, str, str]:
    """The card's picture (the photo, and with a model its heatmap layer and tag), the
    heatmap's caption, and a note instead of both when the photo cannot be read now."""
    try:
        photo = _photo(path, base, fetch)
        image = classifier.load(photo) if classifier else load_image(photo, **image_limits)
    except ImageError as exc:  # a FetchError too
        return "", "", f'<p class="note">Image unreadable now: {_e(str(exc))}</p>'
    small = image.copy()
    small.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    layers = [f'<img class="photo" src="{_data_uri(small, "JPEG")}" alt="listing photo">']
    caption = ""
    if classifier is not None:
        explanation = explain_photo(
            classifier, image, label if label in classifier.labels else None
        )
        text, tag = heat_caption(explanation, label)
        layer = heat_layer(small.size, view_box(small.size, classifier.spec), explanation)
        layers.append(
            f'<img class="heatmap" src="{_data_uri(layer, "PNG")}" alt="{_e(text)}" '
            f'title="{_e(text)}">'
        )
        if tag:
            layers.append(f'<span class="heat-tag">map: {_e(tag)}</span>')
        caption = f'<p class="caption">Heatmap: {_e(text)}</p>'
    return f'<div class="pic" title="open (Enter)">{"".join(layers)}</div>', caption, ""


def heat_caption(explanation: Explanation, label: str) -> tuple[str, str]:
    """What the heatmap shows, and a short tag when it cannot show where the model looks.

    A saturated score (at least ``SATURATED``, or at most ``1 - SATURATED``) stays put
    whichever single region is hidden, so the map says nothing about where the evidence
    is: the caption says the score is saturated (not that the map is noise). A score that
    is not saturated and still moves by less than ``WEAK_DROP`` has its evidence spread
    out: no single region decides it.

    Returns:
        (caption, tag); the tag is "" for an informative map.
    """
    score, drop = explanation.score, explanation.max_drop
    caption = (
        f"where the model looks for {explanation.label}: p {score:.3f} here; "
        f"hiding one region lowers it by up to {drop:.2g}"
    )
    if label and label != explanation.label:
        caption += f" (the results' label {label!r} is not one of this model's labels)"
    if drop >= WEAK_DROP:
        return caption, ""
    if score >= SATURATED or score <= 1.0 - SATURATED:
        caption += (
            f"; the score is saturated (p {score:.4f}): hiding any one region leaves it "
            "there, so the map cannot show which region matters and none is drawn"
        )
        return caption, "saturated"
    caption += "; no single region decides the score (the evidence is spread out), so none is drawn"
    return caption, "spread out"


def view_box(size: tuple[int, int], spec: ModelSpec) -> tuple[float, float, float, float]:
    """``(left, top, right, bottom)`` in a photo of ``size`` of the square the model sees:
    ``resize_and_crop`` resizes the shorter side to ``spec.resize_size`` and keeps the
    centred ``spec.input_size`` square."""
    width, height = size
    side = min(width, height) * spec.input_size / spec.resize_size
    left, top = (width - side) / 2.0, (height - side) / 2.0
    return left, top, left + side, top + side


def heat_layer(
    size: tuple[int, int], box: tuple[float, float, float, float], explanation: Explanation
) -> Image.Image:
    """A transparent RGBA image of ``size`` with the heatmap coloured over ``box`` (blue
    cold, red hot, more opaque where hotter, as ``explain.overlay`` blends it); a map that
    shows nothing (see ``heat_caption``) is a plain veil over ``box``."""
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    left, top = round(box[0]), round(box[1])
    width, height = max(1, round(box[2]) - left), max(1, round(box[3]) - top)
    if explanation.max_drop < WEAK_DROP:
        heat = np.zeros((height, width), np.float32)
    else:
        field = Image.fromarray(np.asarray(explanation.heatmap, np.float32))
        heat = np.clip(np.asarray(field.resize((width, height), Image.Resampling.BILINEAR)), 0, 1)
    alpha = HEAT_STRENGTH * (0.3 + 0.7 * heat) * 255.0
    pixels = np.dstack([jet(heat), alpha])
    layer.paste(Image.fromarray(np.rint(pixels).astype(np.uint8), "RGBA"), (left, top))
    return layer


def hash_matched(row: Mapping[str, Any]) -> bool:
    """Whether the scan found the row's photo in a known-image hash list."""
    return _text(row.get("hash_match")).lower() in ("true", "1")


def hash_text(row: Mapping[str, Any]) -> str:
    """The row's known-image check in words: the list's name (when the row has it), the
    matched image's label and the distance."""
    if hash_matched(row):
        listed = _text(row.get("hash_list"))
        where = f" in {listed}" if listed else ""
        return (
            f"match{where}: {_text(row.get('hash_label'))}, "
            f"distance {_text(row.get('hash_distance'))} of 128 bits"
        )
    match = _text(row.get("hash_match")).lower()
    return "no match" if match in ("false", "0") else "not checked"


def _data_uri(image: Image.Image, kind: str) -> str:
    """The image embedded in the page (a ``data:`` URI), so the page stays one file."""
    buffer = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=85)
    else:
        # a heat layer is smooth: 64 colours (alpha kept) are a sixth of the bytes
        image.quantize(64, method=Image.Quantize.FASTOCTREE).save(buffer, "PNG", optimize=True)
    mime = "image/jpeg" if kind == "JPEG" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _photo(path: str, base: Path, fetch: FetchOptions | None) -> Path | bytes:
    """The row's photo: the bytes at its URL, or its file (see ``_resolve``)."""
    return (fetch or FetchOptions()).fetch(path) if is_url(path) else _resolve(path, base)


def _resolve(path: str, base: Path) -> Path:
    """The row's path as written, or else relative to the results file's folder."""
    as_written = Path(path)
    if as_written.is_absolute() or as_written.exists():
        return as_written
    beside = base / as_written
    return beside if beside.exists() else as_written


def _float(value: Any) -> float | None:
    """A number, or None for what is none (an empty cell, text, NaN)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _e(text: str) -> str:
    return html.escape(text, quote=True)
