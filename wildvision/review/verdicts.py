"""The review page's verdicts and keys: the labels a reviewer may choose, the page's id, the
data the script reads, the toolbar, the help, and the script itself (``verdicts.js``).

The script gives each card verdict buttons and keys, keeps the verdicts in the browser's
localStorage under the page's id (a hash of the rows shown, so two pages never mix) and
downloads them as ``verdicts.csv`` in the format ``wildvision.verdicts`` reads. It also
moves through the grid by key, opens a card large, shows the heatmaps and the help.
Everything it needs is in ``data-*`` attributes, escaped like any text of the page; the
script is inline, so the page stays one file that works offline.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from ..verdicts import NOT_WILDLIFE, UNSURE, VERDICT_COLUMNS

#: The localStorage key is this prefix and the page id.
STORAGE_PREFIX = "wildvision-verdicts:"


def offered_labels(labels: Iterable[str], extra_labels: Iterable[str] = ()) -> list[str]:
    """The labels "another label" offers, in order, once each: ``labels`` (the model's, or
    those seen in the results), then ``extra_labels``. ``other`` and ``unsure`` are left out:
    they have buttons of their own."""
    own = {NOT_WILDLIFE, UNSURE, ""}
    return [label for label in dict.fromkeys([*labels, *extra_labels]) if label not in own]


def page_id(rows: Sequence[Mapping[str, Any]]) -> str:
    """A short hash of the rows a page shows: the same rows share stored verdicts."""
    keys = ("listing_id", "path", "label", "score", "decision", "model_version")
    shown = [[row.get(key) for key in keys] for row in rows]
    text = json.dumps(shown, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def main_attributes(page: str, labels: Sequence[str]) -> str:
    """The ``<main>`` element's data for the script: page id, labels, CSV columns."""
    data = {
        "page-id": page,
        "labels": json.dumps(list(labels)),
        "columns": json.dumps(list(VERDICT_COLUMNS)),
        "not-wildlife": NOT_WILDLIFE,
        "unsure": UNSURE,
    }
    return _attributes(data)


def card_attributes(row: Mapping[str, Any], score: float | None) -> str:
    """A card's data for its ``verdicts.csv`` row: the row's values as in the results file
    (the path as written there, relative paths relative to the results file's folder)."""
    data = {
        "listing-id": _text(row.get("listing_id")),
        "path": _text(row.get("path")),
        "label": _text(row.get("label")),
        "score": "" if score is None else repr(score),
        "model-version": _text(row.get("model_version")),
    }
    return _attributes(data)


def toolbar(count: int, *, heatmaps: bool = True) -> str:
    """The bar that stays in view: the reviewed counter, the download button, the heatmap
    switch (disabled on a page without heatmaps) and the help button."""
    heat = "" if heatmaps else " disabled"
    return (
        '<div class="verdicts" id="verdicts">'
        f'<span id="reviewed-count">0 of {count} reviewed</span> '
        '<button type="button" id="download-verdicts">download verdicts.csv</button> '
        f'<button type="button" id="toggle-heat" aria-pressed="false"{heat}>'
        "heatmaps (h)</button> "
        '<button type="button" id="show-help">keys (?)</button> '
        '<span class="hint">arrows move · Enter opens · y/n/u decide</span> '
        '<span class="note" id="storage-note" hidden></span></div>'
    )


def help_dialog(labels: Sequence[str]) -> str:
    """The help (``?``): every key (the first nine labels by number) and where the
    verdicts file goes."""
    numbered = " · ".join(f"<kbd>{n}</kbd> {_e(label)}" for n, label in enumerate(labels[:9], 1))
    keys = [
        ("<kbd>→</kbd> <kbd>j</kbd> / <kbd>←</kbd> <kbd>k</kbd>", "next / previous card"),
        ("<kbd>↓</kbd> / <kbd>↑</kbd>", "the card below / above"),
        ("<kbd>Home</kbd> / <kbd>End</kbd>", "first / last card"),
        ("<kbd>Enter</kbd> or click the photo", "open the card large, with its details"),
        ("<kbd>Esc</kbd>", "close the open card (or this help)"),
        ("<kbd>h</kbd>", "heatmaps over the photos on / off"),
        ("<kbd>y</kbd>", "correct: the model's label is right"),
        ("<kbd>n</kbd>", "not a wildlife product"),
        ("<kbd>u</kbd>", "unsure"),
        ("<kbd>1</kbd>–<kbd>9</kbd>", f"another label: {numbered or 'none offered'}"),
        ("<kbd>x</kbd> <kbd>Backspace</kbd>", "clear the verdict"),
        ("<kbd>?</kbd>", "this help"),
    ]
    rows = "".join(f"<tr><td>{key}</td><td>{what}</td></tr>" for key, what in keys)
    return (
        '<dialog id="help" class="help"><h2>Keys</h2>'
        f'<table class="keys">{rows}</table>'
        '<p class="legend">A verdict by key moves on to the next card (in the open view too). '
        "Verdicts stay in this browser (for this page) until you download them. Save "
        "verdicts.csv in the results file's folder: its relative paths are relative to that "
        "folder. Train on it with <code>wildvision train --data verdicts.csv</code>; see how "
        "often the flags were right with <code>wildvision verdicts stats</code>.</p>"
        '<button type="button" id="close-help">close (Esc)</button></dialog>'
    )


def script() -> str:
    """The page's script, checked to stay inside its ``<script>`` element."""
    text = resources.files(__package__).joinpath("verdicts.js").read_text("utf-8")
    if "</" in text:  # nothing in it may close the element early
        raise RuntimeError("verdicts.js must not contain '</'")
    return text


def _attributes(data: Mapping[str, str]) -> str:
    return " ".join(f'data-{name}="{_e(value)}"' for name, value in data.items())


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _e(text: str) -> str:
    return html.escape(text, quote=True)
