"""Calibration and operating points, fitted on validation data (numpy only).

Temperature scaling (Guo et al., 2017) divides the logits by one number T chosen to minimise
the negative log-likelihood, so probabilities mean what they say without changing any
argmax. Per-class thresholds are then chosen on the calibrated probabilities, in one of two
ways:

- **by budget** (the default): the share of ordinary photos (label ``other``) sent to
  ``review`` or ``block`` may be at most e.g. 1%, and the share blocked at most 0.1%. A real
  stream is ~99% ordinary photos, so this is the rate users feel, and unlike precision it
  does not depend on how many ivory photos the validation split happens to hold.
- **by precision**: ``block`` where a label's one-vs-rest precision on the validation split
  reaches e.g. 0.97, ``review`` at a lower one. The figure only holds at the split's own
  ivory share, which is far above any real stream's.

Every rule here decides with ``score >= threshold`` and cuts tied scores together, so a
threshold never depends on the order of equal scores (int8 models tie often).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import ConfigError
from .spec import Thresholds

#: The operating points calibration aims at unless told otherwise (the training config's
#: defaults, ``wildvision calibrate``'s, and these functions'): by false-flag budget, at most
#: 1% of ordinary photos flagged (review or block) and 0.1% blocked; by precision, ``block``
#: at a one-vs-rest precision of 0.97 and ``review`` at 0.85.
DEFAULT_REVIEW_BUDGET = 0.01
DEFAULT_BLOCK_BUDGET = 0.001
DEFAULT_BLOCK_PRECISION = 0.97
DEFAULT_REVIEW_PRECISION = 0.85


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
    is convex in 1/T, so the search finds the global minimum).

    When every validation photo's argmax is already right, the NLL keeps falling as T
    shrinks and its minimum is the search's lower bound: nothing says how confident the
    model should be, so T stays 1 rather than sharpening every probability to 0 or 1 (a
    small or easy validation split did that to 20x)."""
    if len(targets) == 0:
        return 1.0
    if np.all(np.asarray(logits).argmax(axis=1) == np.asarray(targets)):
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


def lowest_threshold_for_precision(
    positive: np.ndarray, scores: np.ndarray, precision: float
) -> float | None:
    """The lowest score threshold whose one-vs-rest precision is at least ``precision``
    (the one that keeps most recall), or None when no threshold reaches it. Tied scores
    pass or fail together."""
    positive = np.asarray(positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if not positive.any():
        return None
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores = scores[order]
    hits = np.cumsum(positive[order])
    # evaluate only at the last index of each run of tied scores
    last_of_tie = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    cut_precision = hits / np.arange(1, len(scores) + 1)
    ok = np.flatnonzero(last_of_tie & (cut_precision >= precision))
    if ok.size == 0:
        return None
    return float(sorted_scores[ok.max()])


def threshold_for_precision(positive: np.ndarray, scores: np.ndarray, precision: float) -> float:
    """The lowest score threshold whose one-vs-rest precision is at least ``precision``
    (the one that keeps most recall); 1.0 when no threshold reaches it."""
    threshold = lowest_threshold_for_precision(positive, scores, precision)
    return 1.0 if threshold is None else threshold


def threshold_for_budget(negative_scores: np.ndarray, budget: float) -> float:
    """The lowest threshold that sends at most ``budget`` of the negatives through.

    The share of ``negative_scores`` with ``score >= threshold`` is at most ``budget``, and
    no lower threshold has that property. The result lies just above (``np.nextafter``) the
    highest negative score that must be kept out, so every positive that scores above it
    still passes; tied negatives are kept out together (``budget=0`` gives a threshold just
    above the highest negative).

    Args:
        negative_scores: the scores (probabilities in [0, 1]) of photos that must not pass.
        budget: the share of them allowed through, in [0, 1].

    Returns a threshold in [0, 1]. Two cases cannot be met exactly and are documented:

    - no negatives: the false-flag rate is unknown, so the most cautious threshold, 1.0, is
      returned (callers with a fallback, such as the trainer's calibration, use precision
      instead before getting here);
    - a negative that must be kept out scores exactly 1.0: nothing above 1.0 is a valid
      threshold, so 1.0 is returned and those negatives still pass.

    Raises:
        ConfigError: ``budget`` is outside [0, 1] or a score is not finite.
    """
    if not 0.0 <= budget <= 1.0:
        raise ConfigError(
            f"a false-flag budget is a share of ordinary photos in [0, 1], got {budget!r}; "
            "e.g. 0.01 for 1%."
        )
    scores = np.asarray(negative_scores, dtype=np.float64).ravel()
    if scores.size == 0:
        return 1.0
    if not np.isfinite(scores).all():
        raise ConfigError("negative scores hold NaN or infinity; check the model's outputs.")
    values, counts = np.unique(scores, return_counts=True)  # ascending
    passing = np.cumsum(counts[::-1])[::-1]  # how many negatives score >= each value
    too_many = np.flatnonzero(passing / scores.size > budget)
    if too_many.size == 0:
        return 0.0  # every negative may pass
    highest_kept_out = values[too_many.max()]
    return float(min(np.nextafter(highest_kept_out, np.inf), 1.0))


def choose_thresholds(
    probabilities: np.ndarray,
    targets: Sequence[int],
    labels: Sequence[str],
    wildlife_labels: Sequence[str],
    *,
    block_precision: float = DEFAULT_BLOCK_PRECISION,
    review_precision: float = DEFAULT_REVIEW_PRECISION,
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


def choose_thresholds_by_budget(
    probabilities: np.ndarray,
    targets: Sequence[int],
    labels: Sequence[str],
    wildlife_labels: Sequence[str],
    negative_mask: np.ndarray,
    *,
    review_budget: float = DEFAULT_REVIEW_BUDGET,
    block_budget: float = DEFAULT_BLOCK_BUDGET,
) -> dict[str, Thresholds]:
    """Per wildlife label, the lowest ``review`` and ``block`` thresholds that keep the
    false flags on ordinary photos within their budgets.

    ``review_budget`` bounds the share of negatives sent to review *or* block (a photo is
    flagged when its score reaches ``review``), ``block_budget`` the share blocked.

    A photo is flagged when *any* wildlife label passes, so with several wildlife labels
    each gets an even share of the budget (``budget / len(wildlife_labels)``): the shares
    add up to at most the budget (a union bound; the real rate is usually lower). With one
    wildlife label the budget holds exactly on the validation photos.

    Args:
        probabilities: calibrated probabilities, one row per photo, one column per label.
        targets: the true label index of each row (only checked for length: the negatives
            are named by ``negative_mask``, so both choosers take the same arguments).
        negative_mask: True for the rows that must not be flagged (the ``other`` photos).

    Raises:
        ConfigError: a budget is outside [0, 1], ``block_budget`` exceeds
            ``review_budget``, or the arrays differ in length.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    negative_mask = np.asarray(negative_mask, dtype=bool)
    if not len(probabilities) == len(targets) == len(negative_mask):
        raise ConfigError(
            f"probabilities ({len(probabilities)} rows), targets ({len(targets)}) and "
            f"negative_mask ({len(negative_mask)}) must describe the same photos."
        )
    if block_budget > review_budget:
        raise ConfigError(
            f"block_budget {block_budget} exceeds review_budget {review_budget}; blocked "
            "photos are flagged too, so set block_budget <= review_budget."
        )
    share = max(1, len(wildlife_labels))
    chosen = {}
    for label in wildlife_labels:
        negatives = probabilities[negative_mask, list(labels).index(label)]
        block = threshold_for_budget(negatives, block_budget / share)
        review = threshold_for_budget(negatives, review_budget / share)
        chosen[label] = Thresholds(block=block, review=min(review, block))
    return chosen
