"""The robustness table: for each held-out listing effect alone, the share of each wildlife
label's photos the model still flags and the share of ordinary photos it flags, at the
model's own thresholds (guard included). It shows an operator where sellers can hide."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write_bytes, atomic_write_text
from ..classifier import Classifier
from ..data import Sample
from ..errors import ImageError
from ..imaging import load_image
from ..taxonomy import ORDINARY_LABEL
from .effects import EFFECTS, apply_effect


def _rendered(samples: Sequence[Sample], effect: str, classifier: Classifier) -> Iterable[Any]:
    limits = {"max_pixels": classifier.max_pixels, "max_bytes": classifier.max_bytes}
    for index, sample in enumerate(samples):
        try:
            yield np.asarray(apply_effect(effect, load_image(sample.path, **limits), index))
        except ImageError:
            yield sample.path  # fails again in predict_batch, as an error row


def robustness_table(
    classifier: Classifier,
    samples: Sequence[Sample],
    effects: Sequence[str] | None = None,
    batch_size: int = 32,
    progress: Any = None,
) -> dict[str, dict[str, Any]]:
    """``{effect: {"photos": n, "flagged": {label: share}, "blocked": {label: share},
    "ordinary_flagged": share, "ordinary_blocked": share}}``, the first row ``none`` (the
    clean photos). ``flagged`` counts review and block. ``progress`` wraps each effect's
    predictions (e.g. a tqdm factory)."""
    wildlife = [label for label in classifier.spec.wildlife_labels if label in classifier.labels]
    table: dict[str, dict[str, Any]] = {}
    for effect in ("none", *(EFFECTS if effects is None else effects)):
        inputs: Iterable[Any] = (s.path for s in samples)
        if effect != "none":
            inputs = _rendered(samples, effect, classifier)
        predictions = classifier.predict_batch(inputs, batch_size=batch_size)
        if progress is not None:
            predictions = progress(predictions, total=len(samples), desc=f"robustness ({effect})")
        decided = [(s.label, p.decision) for s, p in zip(samples, predictions) if p.ok]
        table[effect] = _row(decided, wildlife)
    return table


def _row(decided: Sequence[tuple[str, str]], wildlife: Sequence[str]) -> dict[str, Any]:
    def share(label: str, decisions: tuple[str, ...]) -> float | None:
        hits = [d in decisions for lab, d in decided if lab == label]
        return float(np.mean(hits)) if hits else None

    return {
        "photos": len(decided),
        "flagged": {label: share(label, ("review", "block")) for label in wildlife},
        "blocked": {label: share(label, ("block",)) for label in wildlife},
        "ordinary_flagged": share(ORDINARY_LABEL, ("review", "block")),
        "ordinary_blocked": share(ORDINARY_LABEL, ("block",)),
    }


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def robustness_markdown(table: dict[str, dict[str, Any]], title: str = "") -> str:
    """The table as markdown: one row an effect, caught (flagged / blocked) per wildlife
    label, then ordinary photos flagged / blocked."""
    labels = list(next(iter(table.values()))["flagged"]) if table else []
    head = ["effect", *(f"{label} caught (flagged / blocked)" for label in labels)]
    head.append("ordinary flagged / blocked")
    lines = [f"### {title}", ""] if title else []
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for effect, row in table.items():
        cells = [effect]
        cells += [f"{_cell(row['flagged'][k])} / {_cell(row['blocked'][k])}" for k in labels]
        cells.append(f"{_cell(row['ordinary_flagged'])} / {_cell(row['ordinary_blocked'])}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_robustness(folder: str | Path, table: dict[str, dict[str, Any]], title: str) -> None:
    """``robustness.md`` and ``robustness.png`` (a bar chart) in ``folder``."""
    from matplotlib.figure import Figure  # the [eval] extra, as the report

    folder = Path(folder)
    atomic_write_text(folder / "robustness.md", robustness_markdown(table, title))
    effects = list(table)
    labels = list(next(iter(table.values()))["flagged"]) if table else []
    figure = Figure(figsize=(max(6.0, 0.6 * len(effects)), 3.6))
    axes = figure.add_subplot()
    x = np.arange(len(effects))
    series = [(f"{k} caught", [table[e]["flagged"][k] or 0 for e in effects]) for k in labels]
    series.append(("ordinary flagged", [table[e]["ordinary_flagged"] or 0 for e in effects]))
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series):
        axes.bar(x + i * width - 0.4 + width / 2, values, width, label=name)
    axes.set_xticks(x, effects, rotation=40, ha="right", fontsize=8)
    axes.set_ylim(0, 1)
    axes.set_ylabel("share at the model's thresholds")
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=8)
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    atomic_write_bytes(folder / "robustness.png", buffer.getvalue())
