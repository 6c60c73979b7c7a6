"""The review page's verdicts: the labels a reviewer may choose, the page's id, the data the
script reads, the toolbar and the key legend, and the script itself (``review_verdicts.js``).

The script gives each card verdict buttons and keys, keeps the verdicts in the browser's
localStorage under the page's id (a hash of the rows shown, so two pages never mix) and
downloads them as ``verdicts.csv`` in the format ``wildvision.verdicts`` reads. Everything it
needs is in ``data-*`` attributes, escaped like any text of the page; the script is inline,
so the page stays one file that works offline.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from .verdicts import NOT_WILDLIFE, UNSURE, VERDICT_COLUMNS

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


def toolbar(count: int) -> str:
    """The bar that stays in view: the reviewed counter and the download button."""
    return (
        '<div class="verdicts" id="verdicts">'
        f'<span id="reviewed-count">0 of {count} reviewed</span> '
        '<button type="button" id="download-verdicts">download verdicts.csv</button> '
        '<span class="note" id="storage-note" hidden></span></div>'
    )


def legend(labels: Sequence[str]) -> str:
    """How to review: the keys (the first nine labels by number) and where the file goes."""
    numbered = " · ".join(f"<kbd>{n}</kbd> {_e(label)}" for n, label in enumerate(labels[:9], 1))
    keys = (
        "<kbd>j</kbd>/<kbd>↓</kbd> next card, <kbd>k</kbd>/<kbd>↑</kbd> previous, "
        "<kbd>y</kbd> correct, <kbd>n</kbd> not a wildlife product, <kbd>u</kbd> unsure, "
        + (f"another label: {numbered}, " if numbered else "")
        + "<kbd>x</kbd> clear. A verdict by key moves on to the next card."
    )
    return (
        f'<p class="legend">Verdict keys: {keys}</p>'
        '<p class="legend">Verdicts stay in this browser (for this page) until you download '
        "them. Save verdicts.csv in the results file's folder: its relative paths are relative "
        "to that folder. Train on it with <code>wildvision train --data verdicts.csv</code>; "
        "see how often the flags were right with <code>wildvision verdicts stats</code>.</p>"
    )


def script() -> str:
    """The page's script, checked to stay inside its ``<script>`` element."""
    text = resources.files(__package__).joinpath("review_verdicts.js").read_text("utf-8")
    if "</" in text:  # nothing in it may close the element early
        raise RuntimeError("review_verdicts.js must not contain '</'")
    return text


CSS = """
.verdicts{position:sticky;top:0;z-index:1;background:#fafafa;border-bottom:1px solid #ddd;
padding:6px 0;margin-bottom:10px}.legend{color:#555;font-size:13px}.item{scroll-margin-top:3em}
kbd{border:1px solid #bbb;border-radius:3px;padding:0 4px;background:#fff;font-size:12px}
.item.current{outline:3px solid #1565c0;outline-offset:2px}.item.reviewed{opacity:.8}
.verdict{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin-top:8px;font-size:13px}
.verdict button{font:inherit;padding:2px 8px;border:1px solid #999;border-radius:3px;
background:#fff;cursor:pointer}.verdict button[aria-pressed=true]{background:#1565c0;
color:#fff;border-color:#1565c0}.verdict-status{font-weight:bold}
""".strip()


def _attributes(data: Mapping[str, str]) -> str:
    return " ".join(f'data-{name}="{_e(value)}"' for name, value in data.items())


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _e(text: str) -> str:
    return html.escape(text, quote=True)
