"""Calibration and operating points, fitted on validation data (numpy only).

Temperature scaling (Guo et al., 2017) divides the logits by one number T chosen to minimise
the negative log-likelihood, so probabilities mean what they say without changing any
argmax. Per-class thresholds are then chosen on the calibrated probabilities for a target
precision: ``block`` where a label's one-vs-rest precision reaches e.g. 0.97, ``review`` at a
lower one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..spec import Thresholds


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def negative_log_likelihood(
    logits: np.ndarray, targets: Sequence[int], temperature: float = 1.0
) -> float:
    """Mean NLL of the true class under softmax(logits / temperature)."""
    probs = softmax(logits, temperature)
    picked = probs[np.arange(len(probs)), np.asarray(targets)]
    return float(-np.log(np.clip(picked, 1e-12, None)).mean())


def fit_temperature(
    logits: np.ndarray, targets: Sequence[int], low: float = 0.05, high: float = 20.0
) -> float:
    """The temperature minimising validation NLL (golden-section search on log T; the NLL
    is convex in 1/T, so the search finds the global minimum)."""
    if len(targets) == 0:
        return 1.0
    a, b = np.log(low), np.log(high)
    ratio = (np.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc = negative_log_likelihood(logits, targets, np.exp(c))
    fd = negative_log_likelihood(logits, targets, np.exp(d))
    for _ in range(80):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = negative_log_likelihood(logits, targets, np.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = negative_log_likelihood(logits, targets, np.exp(d))
    return float(np.exp((a + b) / 2))


def threshold_for_precision(positive: np.ndarray, scores: np.ndarray, precision: float) -> float:
    """The lowest score threshold whose one-vs-rest precision is at least ``precision``
    (the one that keeps most recall); 1.0 when no threshold reaches it."""
    positive = np.asarray(positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if not positive.any():
        return 1.0
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores = scores[order]
    hits = np.cumsum(positive[order])
    # evaluate only at the last index of each run of tied scores
    last_of_tie = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    cut_precision = hits / np.arange(1, len(scores) + 1)
    ok = np.flatnonzero(last_of_tie & (cut_precision >= precision))
    if ok.size == 0:
        return 1.0
    return float(sorted_scores[ok.max()])


def choose_thresholds(
    probabilities: np.ndarray,
    targets: Sequence[int],
    labels: Sequence[str],
    wildlife_labels: Sequence[str],
    *,
    block_precision: float = 0.97,
    review_precision: float = 0.5,
) -> dict[str, Thresholds]:
    """Per wildlife label: ``block`` at ``block_precision``, ``review`` at ``review_precision``
    (never above ``block``), measured one-vs-rest on calibrated validation probabilities."""
    targets = np.asarray(targets)
    chosen = {}
    for label in wildlife_labels:
        i = list(labels).index(label)
        positive = targets == i
        block = threshold_for_precision(positive, probabilities[:, i], block_precision)
        review = threshold_for_precision(positive, probabilities[:, i], review_precision)
        chosen[label] = Thresholds(block=block, review=min(review, block))
    return chosen
