"""The review page of the ``report`` verb: one self-contained HTML page of a scan's flagged
photos, built for reviewing hundreds of them (``evaluation/report`` is the evaluation's page).

Cards sit in a dense grid, block first, then review, then allow, and within a decision the
likeliest wildlife first (``cards.wildlife_score``). Every action has a key: move,
open a card large with its details, show the heatmaps over the photos, give a verdict, help.

The results file is streamed once: every row is counted, and only the ``limit`` first rows
in that order are kept (a heap), so memory stays bounded however long the scan was. Each
kept photo is decoded again for its thumbnail and, with a model, an occlusion heatmap
(``wildvision.explain``) of where the model looked (``cards``). Images are embedded
as base64; the page links to nothing outside itself. Each card takes a reviewer's verdict,
downloaded as ``verdicts.csv`` (``verdicts``: an inline script and the data it reads,
escaped like all text here).
"""

from __future__ import annotations

import heapq
import html
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .._atomic import atomic_open
from ..classifier import Classifier
from ..fetching import FetchOptions
from ..imaging import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS
from ..results import check_results, iter_rows
from ..spec import RESULT_DECISIONS
from . import verdicts as review_verdicts
from .cards import card, wildlife_score

#: The page's order of decisions: a row of an earlier one comes first.
DECISION_ORDER = ("block", "review", "allow", "error")
#: How the header counts rows without a decision or model version.
_NONE = "(none)"


@dataclass
class _Selection:
    """What one pass over the results file found."""

    rows: int = 0
    decisions: Counter = field(default_factory=Counter)
    versions: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    matching: int = 0
    heap: list[tuple[tuple[int, float, int], dict[str, Any]]] = field(default_factory=list)

    def top(self) -> list[dict[str, Any]]:
        """The kept rows in page order (``order_key``; ties: file order)."""
        return [row for _, row in sorted(self.heap, key=lambda entry: entry[0], reverse=True)]


def write_review_report(
    results_path: str | os.PathLike,
    output_html: str | os.PathLike,
    model: str | os.PathLike | Classifier | None = None,
    *,
    decisions: Iterable[str] = ("block", "review"),
    limit: int = 200,
    explain: bool = True,
    extra_labels: Sequence[str] = (),
    fetch: FetchOptions | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> int:
    """Write a review page of a scan's ``decisions`` rows: block first, then review, then
    allow, and within each the highest wildlife score first (``order_key``).

    Each card shows a thumbnail, label, score, decision, wildlife score and the known-image
    hash match when the scan found one (whatever the decision); opened, it shows the listing
    id, path, model version and the heatmap's caption. The heatmap of where the model looked
    lies over the photo, shown or hidden with a key. A photo that can no longer be read gets
    a note instead; the page is still written, atomically (readers see the old page or the
    new one, never half).

    Each item also takes a reviewer's verdict (correct, another label, not a wildlife
    product, unsure; by button or key), kept in the browser until downloaded as
    ``verdicts.csv`` (``wildvision.verdicts`` reads it).

    Args:
        results_path: the ``.jsonl`` or ``.csv`` that ``wildvision scan`` wrote.
        output_html: the page to write.
        model: the model for the heatmaps — a ``Classifier``, a path or shipped name (None:
            the shipped default). Use the model that made the results: when the results
            name other versions, the page and a ``UserWarning`` say so.
        decisions: which rows to show.
        limit: at most this many rows, the first in the page's order.
        explain: compute heatmaps (about 50 model runs per photo); False loads no model.
        extra_labels: labels a reviewer may choose besides the model's (with no model at
            hand: besides the labels in the results), e.g. a pack's.
        fetch: how photos at ``http(s)://`` URLs are fetched (None: ``FetchOptions()``,
            which refuses private and loopback addresses); a failed fetch gets a note.
        max_pixels, max_bytes: a photo larger than this gets a note instead of its picture
            (as ``Classifier`` refuses it); used for the model ``model`` names, and for the
            thumbnails when no model is loaded. A ``Classifier`` passed in keeps its own.

    Returns:
        The number of items on the page.

    Raises:
        ScanError: the results file is missing, of an unknown format, damaged, empty, or not
            a scan's results (e.g. the listings table a scan reads); the message says the fix.
        ModelError: the model cannot be loaded.
        ValueError: an unknown decision or a limit below 1.
    """
    wanted = set(decisions)
    unknown = wanted - set(RESULT_DECISIONS)
    if unknown:
        raise ValueError(
            f"unknown decisions {sorted(unknown)}; choose from {list(RESULT_DECISIONS)}."
        )
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    results_path = Path(results_path)
    check_results(results_path)  # a listings table or an empty file: say what to run first
    selection = _select(iter_rows(results_path), wanted, limit)
    items = selection.top()
    classifier = None
    if explain and items:
        classifier = (
            model
            if isinstance(model, Classifier)
            else Classifier(model, max_pixels=max_pixels, max_bytes=max_bytes)
        )
    notes = _version_notes(selection.versions, classifier)
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    known = classifier if classifier is not None else model
    labels = review_verdicts.offered_labels(
        known.spec.labels if isinstance(known, Classifier) else sorted(selection.labels),
        extra_labels,
    )
    main = review_verdicts.main_attributes(review_verdicts.page_id(items), labels)

    limits = {"max_pixels": max_pixels, "max_bytes": max_bytes}
    with atomic_open(output_html, "w") as page:
        page.write(_header(results_path, selection, len(items), wanted, classifier, notes))
        page.write(f"{review_verdicts.toolbar(len(items), heatmaps=classifier is not None)}\n")
        page.write(f"{review_verdicts.help_dialog(labels)}\n<main {main}>\n")
        for rank, row in enumerate(items, 1):
            page.write(card(rank, row, classifier, results_path.parent, fetch, limits))
        page.write(
            '</main>\n<div id="backdrop" hidden></div>\n'
            f"<script>{review_verdicts.script()}</script>\n</body>\n</html>\n"
        )
    return len(items)


def _select(rows: Iterable[dict[str, Any]], wanted: set[str], limit: int) -> _Selection:
    """Count every row; keep the ``limit`` first rows (``order_key``) whose decision is
    wanted."""
    selection = _Selection()
    for number, row in enumerate(rows):
        selection.rows += 1
        decision = _text(row.get("decision")) or _NONE
        selection.decisions[decision] += 1
        selection.versions[_text(row.get("model_version")) or _NONE] += 1
        if _text(row.get("label")):
            selection.labels[_text(row.get("label"))] += 1
        if decision not in wanted:
            continue
        selection.matching += 1
        key = (*order_key(row), -number)  # ties: earlier first
        if len(selection.heap) < limit:
            heapq.heappush(selection.heap, (key, row))
        else:
            heapq.heappushpop(selection.heap, (key, row))
    return selection


def order_key(row: Mapping[str, Any]) -> tuple[int, float]:
    """Where a row goes on the page, larger first: its decision (block, review, allow,
    error, then any other), then its wildlife score (``cards.wildlife_score``; a row
    without one last). An ``allow`` row never comes among the blocks, however sure its
    label."""
    decision = _text(row.get("decision"))
    place = DECISION_ORDER.index(decision) if decision in DECISION_ORDER else len(DECISION_ORDER)
    score, _ = wildlife_score(row)
    return -place, float("-inf") if score is None else score


def _version_notes(versions: Mapping[str, int], classifier: Classifier | None) -> list[str]:
    """A warning when the heatmaps would explain another model than the one that scored."""
    if classifier is None:
        return []
    others = {v: n for v, n in versions.items() if v not in (classifier.spec.version, _NONE)}
    if not others:
        return []
    listed = ", ".join(f"{v} ({n} rows)" for v, n in sorted(others.items()))
    return [
        f"the results were made by model version(s) {listed}, but the heatmaps come from "
        f"{classifier.model_path.name} version {classifier.spec.version}: they explain a "
        "different model than the one that flagged these photos. Pass the scan's model "
        "(--model) to explain its decisions."
    ]


def _header(
    results_path: Path,
    selection: _Selection,
    shown: int,
    wanted: set[str],
    classifier: Classifier | None,
    notes: list[str],
) -> str:
    counts = " · ".join(f"{_e(k)} {n}" for k, n in sorted(selection.decisions.items()))
    versions = ", ".join(f"{_e(v)} ({n})" for v, n in sorted(selection.versions.items()))
    kinds = [d for d in DECISION_ORDER if d in wanted]
    more = selection.matching - shown
    lines = [
        f"<p>{selection.rows} rows: {counts or 'none'}. Model versions in the results: "
        f"{versions or 'none'}.</p>",
        f"<p>Showing the first {shown} of {selection.matching} {_e(' / '.join(kinds))} rows"
        + (f" ({more} more not shown: raise the limit)" if more else "")
        + (f": {', then '.join(kinds)}; " if len(kinds) > 1 else ": ")
        + "the likeliest wildlife first (wildlife score).</p>",
    ]
    if classifier is not None:
        lines.append(
            f"<p>Heatmaps (<kbd>h</kbd>): occlusion sensitivity of "
            f"{_e(classifier.model_path.name)} (version {_e(classifier.spec.version)}) over "
            "the square the model sees; red where hiding a region lowers the label's "
            "probability most.</p>"
        )
    else:
        lines.append("<p>Heatmaps: off.</p>")
    lines += [f'<p class="warning">Warning: {_e(note)}</p>' for note in notes]
    title = f"wildvision review: {results_path.name}"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title>\n<style>{_stylesheet()}</style></head>\n"
        f"<body>\n<header><h1>{_e(title)}</h1>\n{''.join(lines)}</header>\n"
    )


def _stylesheet() -> str:
    """The page's CSS (``page.css``), checked to stay inside its ``<style>``."""
    text = resources.files(__package__).joinpath("page.css").read_text("utf-8")
    if "</" in text:
        raise RuntimeError("page.css must not contain '</'")
    return text


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _e(text: str) -> str:
    return html.escape(text, quote=True)
