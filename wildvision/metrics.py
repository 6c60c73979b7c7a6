"""Classification metrics from labels and probabilities (numpy only)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from .errors import ConfigError
from .thresholds import lowest_threshold_for_precision, threshold_for_budget

#: The false-flag rates on ordinary photos that recall is reported at (1% and 0.1%).
FALSE_FLAG_RATES = (0.01, 0.001)


def confusion_matrix(targets: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Rows are true classes, columns predicted classes."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (targets, predicted), 1)
    return matrix


def roc_auc(positive: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties averaged); None if one class is absent."""
    positive = positive.astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, count in zip(first, counts):
        ranks[order[start : start + count]] = start + (count + 1) / 2.0
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def recall_at_precision(positive: np.ndarray, scores: np.ndarray, precision: float) -> float:
    """Highest recall reachable with precision >= ``precision`` (0 if never reached), at
    the threshold calibration would choose (tied scores are cut together, so the answer
    does not depend on the order of the rows)."""
    positive = np.asarray(positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    threshold = lowest_threshold_for_precision(positive, scores, precision)
    if threshold is None:
        return 0.0
    return float((scores[positive] >= threshold).mean())


def recall_at_false_flag_rate(
    positive_scores: np.ndarray, negative_scores: np.ndarray, rate: float
) -> float | None:
    """Share of positives that pass the threshold letting at most ``rate`` of the negatives
    through (``calibration.threshold_for_budget``, the rule budget calibration uses): how
    much ivory a model catches when 1% or 0.1% of ordinary photos may be flagged. None when
    there are no positives or no negatives to measure on."""
    positive_scores = np.asarray(positive_scores, dtype=np.float64).ravel()
    negative_scores = np.asarray(negative_scores, dtype=np.float64).ravel()
    if positive_scores.size == 0 or negative_scores.size == 0:
        return None
    threshold = threshold_for_budget(negative_scores, rate)
    return float((positive_scores >= threshold).mean())


def recalls_at_false_flags(
    probabilities: np.ndarray,
    targets: Sequence[int],
    labels: Sequence[str],
    wildlife_labels: Sequence[str],
    negative_mask: np.ndarray,
    rates: Sequence[float] = FALSE_FLAG_RATES,
) -> dict[str, dict[str, float | None]]:
    """Recall at each false-flag rate on the ``negative_mask`` photos (the ``other`` ones).

    Returns ``{"<label>_recall_at_false_flags": {"0.01": r, "0.001": r}}`` for each wildlife
    label (its positives against the negatives, on that label's probability); with several
    wildlife labels also ``"wildlife_recall_at_false_flags"``, where the positives are all
    wildlife photos and the score is the highest wildlife probability (a photo is flagged
    when any label passes). A value is None when positives or negatives are missing.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(len(targets), -1)
    targets = np.asarray(targets, dtype=np.int64)
    negative_mask = np.asarray(negative_mask, dtype=bool)
    columns = [list(labels).index(label) for label in wildlife_labels]
    cases = {
        f"{label}_recall_at_false_flags": (targets == i, probabilities[:, i])
        for label, i in zip(wildlife_labels, columns)
    }
    if len(columns) > 1:
        cases["wildlife_recall_at_false_flags"] = (
            np.isin(targets, columns),
            probabilities[:, columns].max(axis=1),
        )
    return {
        key: {
            f"{rate:g}": recall_at_false_flag_rate(scores[positive], scores[negative_mask], rate)
            for rate in rates
        }
        for key, (positive, scores) in cases.items()
    }


def expected_precision(
    prevalence: float, recall: float | None, false_flag_rate: float | None
) -> float | None:
    """Precision expected on a stream where ``prevalence`` of the photos are positives and
    the rest ordinary: ``p R / (p R + (1 - p) F)`` for recall R on the positives and
    false-flag rate F on ordinary photos. Unlike precision on a validation split, it does
    not depend on the split's own positive share. None when R or F is unknown or nothing
    would be flagged.

    Raises:
        ConfigError: ``prevalence`` is not in (0, 1).
    """
    if not 0.0 < prevalence < 1.0:
        raise ConfigError(
            f"prevalence is the share of positives in a stream, in (0, 1); got {prevalence!r} "
            "(e.g. 0.01 for 1%)."
        )
    if recall is None or false_flag_rate is None:
        return None
    caught = prevalence * recall
    flagged = caught + (1.0 - prevalence) * false_flag_rate
    return float(caught / flagged) if flagged > 0 else None


def false_flag_table(
    groups: Sequence[Hashable], flagged: Sequence[bool], blocked: Sequence[bool]
) -> dict[str, dict[str, Any]]:
    """Per group (a source, a category) of ordinary photos: how many there are and the
    shares flagged (sent to review or block) and blocked, worst flagged share first.

    Returns ``{name: {"photos": n, "flagged": rate, "blocked": rate}}``.
    """
    if not len(groups) == len(flagged) == len(blocked):
        raise ConfigError("groups, flagged and blocked must describe the same photos.")
    counts: dict[str, list[int]] = {}
    for group, is_flagged, is_blocked in zip(groups, flagged, blocked):
        row = counts.setdefault(str(group), [0, 0, 0])
        row[0] += 1
        row[1] += bool(is_flagged)
        row[2] += bool(is_blocked)
    table = {
        name: {"photos": n, "flagged": f / n, "blocked": b / n}
        for name, (n, f, b) in counts.items()
    }
    return dict(sorted(table.items(), key=lambda kv: (-kv[1]["flagged"], -kv[1]["photos"], kv[0])))


def classification_report(
    targets: Sequence[int], probabilities: np.ndarray, labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/AUROC and the confusion matrix."""
    targets = np.asarray(targets, dtype=np.int64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    predicted = probabilities.argmax(axis=1)
    matrix = confusion_matrix(targets, predicted, len(labels))
    per_class = {}
    f1s = []
    for i, label in enumerate(labels):
        tp = matrix[i, i]
        precision = tp / matrix[:, i].sum() if matrix[:, i].sum() else 0.0
        recall = tp / matrix[i, :].sum() if matrix[i, :].sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if matrix[i, :].sum():
            f1s.append(f1)
        per_class[label] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": int(matrix[i, :].sum()),
            "auroc": roc_auc(targets == i, probabilities[:, i]),
            "recall_at_precision_0.9": recall_at_precision(targets == i, probabilities[:, i], 0.9),
        }
    return {
        "count": int(len(targets)),
        "accuracy": float((predicted == targets).mean()) if len(targets) else 0.0,
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "per_class": per_class,
        "labels": list(labels),
        "confusion_matrix": matrix.tolist(),
    }
