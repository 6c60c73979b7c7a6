"""Classification metrics from labels and probabilities (numpy only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


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
    """Highest recall reachable with precision >= ``precision`` (0 if never reached)."""
    positive = positive.astype(bool)
    if positive.sum() == 0:
        return 0.0
    order = np.argsort(-scores, kind="mergesort")
    hits = np.cumsum(positive[order])
    precisions = hits / np.arange(1, len(scores) + 1)
    recalls = hits / positive.sum()
    ok = precisions >= precision
    return float(recalls[ok].max()) if ok.any() else 0.0


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
