"""Evaluate an exported model on labelled photos, through the same ``Classifier`` users run."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .._atomic import atomic_write_text
from ..classifier import Classifier
from ..errors import ConfigError
from .data import load_samples
from .metrics import classification_report


def evaluate(
    model: str | os.PathLike | Classifier | None,
    data: str | os.PathLike,
    *,
    split: str | None = "test",
    group_column: str = "group",
    batch_size: int = 32,
    output: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Metrics of ``model`` on ``data`` (a manifest, e.g. a run's ``splits.csv``, or a folder).

    Args:
        split: keep only rows of this split when the data has a ``split`` column; ``None``
            uses every row.
        output: write the metrics as JSON to this path.

    Returns accuracy, macro-F1, per-class precision/recall/F1/AUROC and recall at precision
    0.9, the confusion matrix, the decision counts and the false-flag rate on ``other``
    (share of ordinary photos not allowed).
    """
    classifier = model if isinstance(model, Classifier) else Classifier(model)
    samples = load_samples(data, group_column=group_column)
    if split and any(s.split for s in samples):
        samples = [s for s in samples if s.split == split]
    if not samples:
        raise ConfigError(f"no photos to evaluate in {data} (split={split!r}).")
    labels = classifier.labels
    unknown = sorted({s.label for s in samples} - set(labels))
    if unknown:
        raise ConfigError(f"data labels {unknown} are not model labels {labels}.")
    predictions = list(
        tqdm(
            classifier.predict_batch([s.path for s in samples], batch_size=batch_size),
            total=len(samples),
            desc="evaluating",
            leave=False,
        )
    )
    ok = [(s, p) for s, p in zip(samples, predictions) if p.ok]
    targets = [labels.index(s.label) for s, _ in ok]
    probabilities = np.array([[p.scores[label] for label in labels] for _, p in ok])
    report = classification_report(targets, probabilities.reshape(-1, len(labels)), labels)
    decisions: dict[str, int] = {}
    for _, p in ok:
        decisions[p.decision] = decisions.get(p.decision, 0) + 1
    others = [p for s, p in ok if s.label == "other"]
    report.update(
        model=str(classifier.model_path),
        model_version=classifier.spec.version,
        data=str(data),
        split=split,
        errors=[
            {"path": str(s.path), "error": p.error}
            for s, p in zip(samples, predictions)
            if not p.ok
        ],
        decisions=decisions,
        other_false_flag_rate=(
            sum(p.decision != "allow" for p in others) / len(others) if others else None
        ),
    )
    if output:
        atomic_write_text(Path(output), json.dumps(report, indent=2))
    return report
