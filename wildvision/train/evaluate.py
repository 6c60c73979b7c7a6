"""Evaluate an exported model on labelled photos, through the same ``Classifier`` users run,
on the clean photos and on the shift test (the same photos rendered as listings)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .._atomic import atomic_write_text
from ..classifier import Classifier
from ..errors import ConfigError, ImageError
from ..imaging import load_image
from ..prediction import Prediction
from .data import Sample, load_samples
from .metrics import classification_report
from .report import reliability, write_report
from .shift import render_shifted


def evaluate(
    model: str | os.PathLike | Classifier | None,
    data: str | os.PathLike,
    *,
    split: str | None = "test",
    group_column: str = "group",
    shift: bool = True,
    batch_size: int = 32,
    output_dir: str | os.PathLike | None = None,
    tta_flip: bool = False,
) -> dict[str, Any]:
    """Metrics of ``model`` on ``data`` (a manifest such as a run's ``splits.csv``, or a folder).

    Args:
        split: keep only rows of this split when the data has a ``split`` column; ``None``
            uses every row.
        shift: also score the shift test (each photo re-rendered as a listing).
        output_dir: write ``metrics.json`` and ``report.html`` there.
        tta_flip: average each photo's probabilities with its mirror image's (when ``model``
            is not already a ``Classifier``).

    Returns ``{"clean": metrics, "shift": metrics}``; each holds accuracy, macro-F1,
    per-class precision/recall/F1/AUROC/recall at precision 0.9, the confusion matrix, the
    reliability bins and ECE, decision counts and the false-flag rate on ``other`` (share of
    ordinary photos sent to block or review).
    """
    classifier = model if isinstance(model, Classifier) else Classifier(model, tta_flip=tta_flip)
    samples = load_samples(data, group_column=group_column)
    if split and any(s.split for s in samples):
        samples = [s for s in samples if s.split == split]
    if not samples:
        raise ConfigError(f"no photos to evaluate in {data} (split={split!r}).")
    unknown = sorted({s.label for s in samples} - set(classifier.labels))
    if unknown:
        raise ConfigError(f"data labels {unknown} are not model labels {classifier.labels}.")

    conditions = {"clean": [s.path for s in samples]}
    if shift:
        conditions["shift"] = _shifted(samples)
    results = {
        name: _score(classifier, samples, inputs, batch_size, name)
        for name, inputs in conditions.items()
    }
    summary = {name: result["metrics"] for name, result in results.items()}
    for metrics in summary.values():
        metrics.update(
            model=str(classifier.model_path),
            model_version=classifier.spec.version,
            data=str(data),
            split=split,
            tta_flip=classifier.tta_flip,
        )
    if output_dir:
        folder = Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / "metrics.json", json.dumps(summary, indent=2))

        def render_error(condition: str, index: int) -> Any:
            photo = samples[index].path
            if condition == "shift":
                return render_shifted(load_image(photo), index)
            return photo

        write_report(
            folder / "report.html",
            results,
            classifier.labels,
            f"wildvision evaluation: {Path(str(classifier.model_path)).name}",
            render_error,
        )
    return summary


def headline(metrics: dict[str, Any], label: str = "ivory") -> dict[str, Any]:
    """The figures the model card leads with: AUROC and recall at precision 0.9 for
    ``label`` against the rest, and the false-flag rate on ``other``."""
    row = metrics["per_class"].get(label, {})
    return {
        f"{label}_auroc": row.get("auroc"),
        f"{label}_recall_at_precision_0.9": row.get("recall_at_precision_0.9"),
        "other_false_flag_rate": metrics.get("other_false_flag_rate"),
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
    }


def headline_cells(h: dict[str, Any], label: str = "ivory") -> str:
    """A ``headline`` as markdown table cells, ``AUROC | recall at precision 0.9 | false
    flags on other``, the way the model card and training/README.md show them."""
    return (
        f"{h[f'{label}_auroc']:.4f} | {h[f'{label}_recall_at_precision_0.9']:.3f} | "
        f"{h['other_false_flag_rate']:.2%}"
    )


def _shifted(samples: Sequence[Sample]) -> Iterable[Any]:
    """Shift-test renderings, made lazily; an unreadable photo passes through to fail later."""
    for index, sample in enumerate(samples):
        try:
            yield np.asarray(render_shifted(load_image(sample.path), index))
        except ImageError:
            yield sample.path


def _score(
    classifier: Classifier,
    samples: Sequence[Sample],
    inputs: Iterable[Any],
    batch_size: int,
    name: str,
) -> dict[str, Any]:
    labels = classifier.labels
    predictions: list[Prediction] = list(
        tqdm(
            classifier.predict_batch(inputs, batch_size=batch_size),
            total=len(samples),
            desc=f"evaluating ({name})",
            leave=False,
        )
    )
    kept = [i for i, p in enumerate(predictions) if p.ok]
    targets = np.array([labels.index(samples[i].label) for i in kept], dtype=np.int64)
    probabilities = np.array([[predictions[i].scores[k] for k in labels] for i in kept])
    probabilities = probabilities.reshape(-1, len(labels))
    metrics = classification_report(targets, probabilities, labels)
    decisions: dict[str, int] = {}
    for i in kept:
        decisions[predictions[i].decision] = decisions.get(predictions[i].decision, 0) + 1
    others = [predictions[i] for i in kept if samples[i].label == "other"]
    metrics.update(
        reliability=reliability(probabilities, targets),
        decisions=decisions,
        errors=[
            {"path": str(samples[i].path), "error": p.error}
            for i, p in enumerate(predictions)
            if not p.ok
        ],
        other_false_flag_rate=(
            sum(p.decision != "allow" for p in others) / len(others) if others else None
        ),
    )
    return {
        "metrics": metrics,
        "targets": targets,
        "probabilities": probabilities,
        "sources": [str(samples[i].path) for i in kept],
    }
