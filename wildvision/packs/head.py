"""Fit a pack's head: logistic regression on embeddings, thresholds by cross-validation.

The head separates the product's embeddings (every view of every photo) from a negative
bank (ordinary and look-alike photos the model's builders embedded, plus the user's own
negatives). Thresholds are chosen like the model's own
(``thresholds.threshold_for_budget``): ``review`` lets at most ``review_budget``
of the ordinary negatives through, ``block`` at most ``block_budget`` — look-alikes (bone,
ceramic) teach the head but, as for the model, do not count against the budget — measured
on held-out folds — each photo's views stay in one fold, so a
photo is never scored by a head that saw its mirror image. The final head is then fitted
on everything and keeps the cross-validated thresholds (the held-out scores are what new
photos will look like; scores on training rows are optimistic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._extras import require_extra
from ..errors import PackError
from ..metrics import roc_auc
from ..spec import Thresholds
from ..thresholds import threshold_for_budget

#: Fewest photos a pack is built from: below this, cross-validation measures nothing.
MIN_PHOTOS = 3
#: Inverse regularisation strength of the head (scikit-learn's ``C``), chosen on the
#: validation split of the leave-one-class-out study (benchmarks/PACK_RESULTS.md): of 0.1,
#: 0.3, 1, 10 and 100, 0.3 gave the best mean ivory AUROC over k = 5...961 photos.
DEFAULT_C = 0.3
DEFAULT_FOLDS = 5


@dataclass(frozen=True)
class FittedHead:
    """What ``fit_head`` learned: the head, its thresholds and the held-out figures."""

    weights: np.ndarray
    bias: float
    thresholds: Thresholds
    cross_validation: dict[str, Any]


def fit_head(
    positives: np.ndarray,
    positive_groups: np.ndarray,
    negatives: np.ndarray,
    negative_groups: np.ndarray | None = None,
    *,
    positive_original: np.ndarray | None = None,
    negative_original: np.ndarray | None = None,
    negative_ordinary: np.ndarray | None = None,
    review_budget: float = 0.01,
    block_budget: float = 0.001,
    folds: int = DEFAULT_FOLDS,
    c: float = DEFAULT_C,
    seed: int = 0,
) -> FittedHead:
    """Fit the head on ``positives`` [P, D] against ``negatives`` [N, D].

    Args:
        positive_groups: the photo each positive row is a view of (views share a fold).
        negative_groups: the same for negatives (default: every row its own photo).
        positive_original / negative_original: which rows are the photos as given (not
            mirrored, cropped or rendered); the held-out figures and thresholds are measured
            on those only. Default: every row.
        negative_ordinary: which negative rows are ordinary photos (not look-alikes): the
            budgets count those only. Default: every row.
        review_budget / block_budget: the share of held-out negatives allowed at or above
            the review / block threshold.
        folds: cross-validation folds (at most one per photo).
    """
    require_extra("packs", {"sklearn": "scikit-learn"}, "building a product pack")
    from sklearn.linear_model import LogisticRegression

    positives = np.asarray(positives, dtype=np.float32)
    negatives = np.asarray(negatives, dtype=np.float32)
    positive_groups = np.asarray(positive_groups)
    if negative_groups is None:
        negative_groups = np.arange(len(negatives))
    positive_original = _mask(positive_original, len(positives))
    negative_counted = _mask(negative_original, len(negatives)) & _mask(
        negative_ordinary, len(negatives)
    )
    photos = np.unique(positive_groups)
    if len(photos) < MIN_PHOTOS:
        raise PackError(
            f"a pack needs at least {MIN_PHOTOS} photos of the product, got {len(photos)}; "
            "20 or more give steadier thresholds (see README, 'Adding a product')."
        )
    if len(negatives) < 2 or positives.shape[1:] != negatives.shape[1:]:
        raise PackError(
            f"negatives: need [N, {positives.shape[1]}] embeddings of ordinary photos, got "
            f"{list(negatives.shape)}; pass --negatives or build a bank (`wildvision pack bank`)."
        )
    folds = max(2, min(folds, len(photos)))
    rng = np.random.default_rng(seed)
    positive_fold = _assign_folds(positive_groups, folds, rng)
    negative_fold = _assign_folds(negative_groups, folds, rng)

    def fitted(x_pos: np.ndarray, x_neg: np.ndarray) -> Any:
        x = np.concatenate([x_pos, x_neg])
        y = np.concatenate([np.ones(len(x_pos)), np.zeros(len(x_neg))])
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        return model.fit(x, y)

    held_pos = np.full(len(positives), np.nan)
    held_neg = np.full(len(negatives), np.nan)
    for fold in range(folds):
        model = fitted(positives[positive_fold != fold], negatives[negative_fold != fold])
        out_pos, out_neg = positive_fold == fold, negative_fold == fold
        held_pos[out_pos] = model.predict_proba(positives[out_pos])[:, 1]
        held_neg[out_neg] = model.predict_proba(negatives[out_neg])[:, 1]
    pos_scores = held_pos[positive_original]
    neg_scores = held_neg[negative_counted]
    review = threshold_for_budget(neg_scores, review_budget)
    block = max(review, threshold_for_budget(neg_scores, block_budget))
    final = fitted(positives, negatives)
    is_positive = np.r_[np.ones(len(pos_scores)), np.zeros(len(neg_scores))]
    figures = {
        "folds": folds,
        "auroc": _round(roc_auc(is_positive, np.r_[pos_scores, neg_scores])),
        "recall_at_review": _round(float((pos_scores >= review).mean())),
        "recall_at_block": _round(float((pos_scores >= block).mean())),
        "false_flags_at_review": _round(float((neg_scores >= review).mean())),
        "false_flags_at_block": _round(float((neg_scores >= block).mean())),
        "held_out_photos": int(len(pos_scores)),
        "held_out_negatives": int(len(neg_scores)),
    }
    return FittedHead(
        weights=final.coef_[0].astype(np.float32),
        bias=float(final.intercept_[0]),
        thresholds=Thresholds(block=float(min(1.0, block)), review=float(min(1.0, review))),
        cross_validation=figures,
    )


def _mask(mask: np.ndarray | None, size: int) -> np.ndarray:
    return np.ones(size, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)


def _assign_folds(groups: np.ndarray, folds: int, rng: np.random.Generator) -> np.ndarray:
    """A fold per row, the same for rows of one group; groups dealt round-robin after a
    seeded shuffle, so folds differ in size by at most one group."""
    unique, inverse = np.unique(groups, return_inverse=True)
    order = rng.permutation(len(unique))
    fold_of_group = np.empty(len(unique), dtype=int)
    fold_of_group[order] = np.arange(len(unique)) % folds
    return fold_of_group[inverse]


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
