"""The review page of the ``report`` verb: one self-contained HTML page of a scan's flagged
photos, for people to review (``evaluation/report`` is the evaluation's page).

The results file is streamed once: every row is counted, and only the ``limit``
highest-scoring rows of the chosen decisions are kept (a heap), so memory stays bounded
however long the scan was. Each kept photo is decoded again for its thumbnail and, with a
model, an occlusion heatmap (``wildvision.explain``) of where the model looked. Images are
embedded as base64; the page links to nothing outside itself. Each card takes a reviewer's
verdict, downloaded as ``verdicts.csv`` (``review_verdicts``: an inline script and the data
it reads, escaped like all text here).
"""

from __future__ import annotations

import base64
import heapq
import html
import io
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from . import review_verdicts
from ._atomic import atomic_open
from .classifier import Classifier
from .errors import ImageError
from .explain import explain as explain_photo
from .explain import overlay
from .fetching import FetchOptions
from .imaging import is_url, load_image
from .results import iter_rows
from .spec import RESULT_DECISIONS

#: Longest side of a photo's thumbnail in the page, in pixels.
THUMBNAIL_SIZE = 240
#: A largest probability drop below this means no single region decides the score.
WEAK_DROP = 0.02
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
    heap: list[tuple[tuple[float, int], dict[str, Any]]] = field(default_factory=list)

    def top(self) -> list[dict[str, Any]]:
        """The kept rows, highest score first (ties: file order)."""
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
) -> int:
    """Write a review page of the highest-scoring ``decisions`` rows of a scan's results.

    Each item shows a thumbnail, listing id, path, label, score, decision, model version,
    the known-image hash match when the scan had one, and a heatmap of where the model
    looked. A photo that can no longer be read gets a note instead; the page is still
    written, atomically (readers see the old page or the new one, never half).

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
        limit: at most this many rows, highest score first.
        explain: compute heatmaps (about 50 model runs per photo); False loads no model.
        extra_labels: labels a reviewer may choose besides the model's (with no model at
            hand: besides the labels in the results), e.g. a pack's.
        fetch: how photos at ``http(s)://`` URLs are fetched (None: ``FetchOptions()``,
            which refuses private and loopback addresses); a failed fetch gets a note.

    Returns:
        The number of items on the page.

    Raises:
        ScanError: the results file is missing, of an unknown format or damaged.
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
    selection = _select(iter_rows(results_path), wanted, limit)
    items = selection.top()
    classifier = None
    if explain and items:
        classifier = model if isinstance(model, Classifier) else Classifier(model)
    notes = _version_notes(selection.versions, classifier)
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    known = classifier if classifier is not None else model
    labels = review_verdicts.offered_labels(
        known.spec.labels if isinstance(known, Classifier) else sorted(selection.labels),
        extra_labels,
    )
    main = review_verdicts.main_attributes(review_verdicts.page_id(items), labels)

    with atomic_open(output_html, "w") as page:
        page.write(_header(results_path, selection, len(items), wanted, classifier, notes))
        page.write(f"{review_verdicts.legend(labels)}</header>\n")
        page.write(f"{review_verdicts.toolbar(len(items))}\n<main {main}>\n")
        for rank, row in enumerate(items, 1):
            page.write(_item(rank, row, classifier, results_path.parent, fetch))
        page.write(f"</main>\n<script>{review_verdicts.script()}</script>\n</body>\n</html>\n")
    return len(items)


def _select(rows: Iterable[dict[str, Any]], wanted: set[str], limit: int) -> _Selection:
    """Count every row; keep the ``limit`` highest-scoring rows whose decision is wanted."""
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
        score = _rank_score(row)
        key = (float("-inf") if score is None else score, -number)  # ties: earlier first
        if len(selection.heap) < limit:
            heapq.heappush(selection.heap, (key, row))
        else:
            heapq.heappushpop(selection.heap, (key, row))
    return selection


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
    kinds = " / ".join(sorted(wanted))
    more = selection.matching - shown
    lines = [
        f"<p>{selection.rows} rows: {counts or 'none'}. Model versions in the results: "
        f"{versions or 'none'}.</p>",
        f"<p>Showing the {shown} highest-scoring of {selection.matching} {_e(kinds)} rows"
        + (f" ({more} more not shown: raise the limit)." if more else ".")
        + "</p>",
    ]
    if classifier is not None:
        lines.append(
            f"<p>Heatmaps: occlusion sensitivity of {_e(classifier.model_path.name)} (version "
            f"{_e(classifier.spec.version)}), drawn over the centre crop the model sees: grey "
            "patches hide parts of it in turn, and red marks where hiding lowers the label's "
            "probability most.</p>"
        )
    else:
        lines.append("<p>Heatmaps: off.</p>")
    lines += [f'<p class="warning">Warning: {_e(note)}</p>' for note in notes]
    title = f"wildvision review: {results_path.name}"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title>\n<style>{_CSS}\n{review_verdicts.CSS}</style></head>\n"
        f"<body>\n<header><h1>{_e(title)}</h1>\n{''.join(lines)}"
    )


def _item(
    rank: int,
    row: dict[str, Any],
    classifier: Classifier | None,
    base: Path,
    fetch: FetchOptions | None = None,
) -> str:
    """One reviewed photo as an ``<article>``: pictures, then the row's facts."""
    decision = _text(row.get("decision"))
    score = _score(row)
    label = _text(row.get("label"))
    pictures, note = "", ""
    try:
        path = _photo(_text(row.get("path")), base, fetch)
        image = classifier.load(path) if classifier else load_image(path)
    except ImageError as exc:  # a FetchError too
        note = f'<p class="note">Image unreadable now: {_e(str(exc))}</p>'
    else:
        pictures = _figure(_thumbnail(image), "photo", "listing photo")
        if classifier is not None:
            pictures += _heatmap(classifier, image, label)
    facts = [
        ("listing", _text(row.get("listing_id"))),
        ("path", _text(row.get("path"))),
        ("label", label),
        ("score", "n/a" if score is None else f"{score:.4f}"),
        ("decision", decision),
        ("model version", _text(row.get("model_version"))),
    ]
    if "hash_match" in row:
        facts.append(("known image", _hash_text(row)))
    if _text(row.get("error")):
        facts.append(("error", _text(row.get("error"))))
    listing = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v) or '&ndash;'}</dd>" for k, v in facts)
    return (
        f'<article class="item {_e(decision)}" data-rank="{rank}" '
        f"{review_verdicts.card_attributes(row, score)}>"
        f'<h2>#{rank} <span class="badge">{_e(decision)}</span> {_e(label)}'
        f"{'' if score is None else f' {score:.3f}'}</h2>"
        f'<div class="pictures">{pictures}</div>{note}<dl>{listing}</dl></article>\n'
    )


def _heatmap(classifier: Classifier, image: Image.Image, label: str) -> str:
    known = label in classifier.labels
    explanation = explain_photo(classifier, image, label if known else None)
    caption = (
        f"where the model looks for {explanation.label}: p {explanation.score:.3f} here; "
        f"hiding one region lowers it by up to {explanation.max_drop:.2g}"
    )
    if not known:
        caption += f" (the results' label {label!r} is not one of this model's labels)"
    if explanation.max_drop < WEAK_DROP:
        caption += "; no single region decides the score, so the map is mostly noise"
    image_uri = _data_uri(overlay(explanation.view, explanation.heatmap))
    return _figure(image_uri, "heatmap", caption)


def _figure(uri: str, kind: str, caption: str) -> str:
    return (
        f'<figure><img class="{kind}" src="{uri}" alt="{_e(caption)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _thumbnail(image: Image.Image) -> str:
    small = image.copy()
    small.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    return _data_uri(small)


def _data_uri(image: Image.Image) -> str:
    """A JPEG embedded in the page (``data:`` URI): the page stays one file."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _hash_text(row: dict[str, Any]) -> str:
    match = _text(row.get("hash_match")).lower()
    if match in ("true", "1"):
        return (
            f"match: {_text(row.get('hash_label'))}, "
            f"distance {_text(row.get('hash_distance'))} of 128 bits"
        )
    return "no match" if match in ("false", "0") else "not checked"


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


def _rank_score(row: dict[str, Any]) -> float | None:
    """What the page orders by: a triage queue's ``wildlife_score`` (the probability of any
    wildlife label), else the top label's ``score``."""
    if row.get("wildlife_score") not in (None, ""):
        try:
            return float(row["wildlife_score"])
        except (TypeError, ValueError):
            return None
    return _score(row)


def _score(row: dict[str, Any]) -> float | None:
    try:
        return float(row.get("score"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
header{max-width:1100px}h1{font-size:1.4em}.warning{background:#fff3cd;border:1px solid #e0b000;
padding:.6em;font-weight:bold}main{display:flex;flex-direction:column;gap:14px;max-width:1100px}
.item{background:#fff;border:1px solid #ddd;border-left:8px solid #999;padding:10px 14px}
.item.block{border-left-color:#c62828}.item.review{border-left-color:#ef8f00}
.item h2{font-size:1.05em;margin:0 0 8px}.badge{background:#999;color:#fff;border-radius:3px;
padding:1px 6px;font-size:.85em}.block .badge{background:#c62828}.review .badge{background:#ef8f00}
.pictures{display:flex;gap:12px;flex-wrap:wrap}figure{margin:0;max-width:260px;font-size:12px}
figure img{display:block;height:224px;max-width:260px;object-fit:contain;background:#eee}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:13px;margin:8px 0 0}
dt{color:#666}dd{margin:0;word-break:break-all}.note{color:#b00020;font-weight:bold}
""".strip()
