"""Thresholds fitted to a platform's own stream: the top of an unlabelled sample's scores.

Wildlife products are far rarer in a random sample of posts than any review budget, so the
share of the sample a threshold flags *is* its false-flag rate on that stream. Given each
sample photo's scores (the model's wildlife labels and any packs' labels) and its guard
distance, computed once with the model, this module chooses thresholds so that at most the
budgets of the sample are flagged (review or block) and blocked, by the decision rule
``Classifier`` applies (``wildvision.prediction.decide_with_label``), guard included.
Numpy only; reading the sample and writing the model live in ``stream_calibration``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .errors import ConfigError
from .pack_file import Pack
from .prediction import decide_with_label
from .spec import ModelSpec, Thresholds

#: A budget b needs about this many photos above its threshold, so ``PHOTOS_ABOVE / b`` in
#: the sample: with ten, the share flagged on the stream is within about a third of b
#: (one binomial standard deviation, 1/sqrt(10)).
PHOTOS_ABOVE = 10
#: Below any probability: marks a photo the guard keeps from a decision level.
_NEVER = -1.0


@dataclass(frozen=True)
class SampleScores:
    """What calibration needs of a sample, scored once by the model.

    Attributes:
        labels: the labels that can flag a photo: the model's wildlife labels, then packs'.
        scores: one row per photo that decoded, one probability per label.
        guard: each photo's guard distance (NaN for a model without a guard).
        digests: each photo's SHA-256 (of its file's bytes), in the order of the rows.
        errors: (photo, why) for each photo that could not be read; not in the rows.
    """

    labels: tuple[str, ...]
    scores: np.ndarray
    guard: np.ndarray
    digests: tuple[str, ...] = ()
    errors: tuple[tuple[str, str], ...] = field(default=())

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def sha256(self) -> str:
        """SHA-256 over the sorted photo digests (one per line): the same photos, in any
        order, give the same hash; a photo more or less gives another."""
        text = "\n".join(sorted(self.digests))
        return hashlib.sha256(text.encode("ascii")).hexdigest()

    def subset(self, rows: np.ndarray | Sequence[int]) -> SampleScores:
        """The photos at ``rows`` (indices or a boolean mask), e.g. one half of a split."""
        index = np.arange(len(self))[np.asarray(rows)]
        digests = tuple(self.digests[i] for i in index) if self.digests else ()
        return replace(self, scores=self.scores[index], guard=self.guard[index], digests=digests)


@dataclass(frozen=True)
class StreamFit:
    """Thresholds fitted to a sample and the shares of it they flag and block."""

    thresholds: dict[str, Thresholds]
    pack_thresholds: dict[str, Thresholds]
    flagged: float
    blocked: float


def photos_needed(*budgets: float) -> int:
    """How many photos a sample needs for these budgets: ``PHOTOS_ABOVE`` above the smallest
    non-zero one's threshold (a zero budget, nothing above, asks for none)."""
    positive = [b for b in budgets if b > 0]
    return math.ceil(PHOTOS_ABOVE / min(positive) - 1e-9) if positive else 0


def check_budgets(review_budget: float, block_budget: float) -> None:
    """Raise ``ConfigError`` unless ``0 <= block_budget <= review_budget``, ``review`` in (0, 1)."""
    if not 0 < review_budget < 1 or not 0 <= block_budget <= review_budget:
        raise ConfigError(
            f"budgets are shares of the stream: review in (0, 1) and block in [0, review], got "
            f"review {review_budget!r}, block {block_budget!r}; e.g. --review-budget 0.01 "
            "--block-budget 0.001."
        )


def decision_shares(
    sample: SampleScores, spec: ModelSpec, packs: Sequence[Pack] = ()
) -> dict[str, float]:
    """The share of the sample flagged (review or block) and blocked by ``spec`` and
    ``packs``, photo by photo through the very rule ``Classifier`` decides with."""
    if len(sample) == 0:
        return {"flagged": 0.0, "blocked": 0.0}
    decisions = []
    for row, distance in zip(sample.scores.tolist(), sample.guard.tolist()):
        scores = dict(zip(sample.labels, row))
        guard = None if math.isnan(distance) else distance
        decisions.append(decide_with_label(scores, spec, guard, packs)[0])
    n = len(decisions)
    blocked = decisions.count("block")
    return {"flagged": (blocked + decisions.count("review")) / n, "blocked": blocked / n}


def fit_stream_thresholds(
    sample: SampleScores,
    spec: ModelSpec,
    packs: Sequence[Pack] = (),
    *,
    review_budget: float,
    block_budget: float,
) -> StreamFit:
    """Thresholds for every wildlife label of ``spec`` and every pack so that at most
    ``review_budget`` of the sample is flagged and ``block_budget`` blocked.

    A photo is flagged when any label reaches its review threshold (and, for the model's
    labels, the guard lets it: ``guard_distance <= review_distance``), blocked when any
    reaches its block threshold (``<= block_distance``). With several labels each gets the
    same count of the sample above its own threshold, the largest count whose union stays
    within the budget. Each threshold lies halfway between the highest score kept out and
    the lowest let through, so a twin export whose scores differ by a rounding decides the
    sample's photos alike; the shares are then measured with ``decision_shares``.

    Raises:
        ConfigError: a budget out of range, or the sample's labels are not the spec's and
            the packs'.
    """
    check_budgets(review_budget, block_budget)
    pack_labels = tuple(p.label for p in packs)
    if sample.labels != (*spec.wildlife_labels, *pack_labels):
        raise ConfigError(
            f"the sample was scored for labels {list(sample.labels)}, not the model's wildlife "
            f"labels and packs {[*spec.wildlife_labels, *pack_labels]}; score it again."
        )
    own = len(spec.wildlife_labels)
    review = _fit(_effective(sample, spec, own, "review_distance"), review_budget)
    block = _fit(_effective(sample, spec, own, "block_distance"), block_budget)
    chosen = {
        label: Thresholds(block=max(b, r), review=r)
        for label, r, b in zip(sample.labels, review, block)
    }
    thresholds = {label: chosen[label] for label in spec.wildlife_labels}
    new_spec = spec.with_updates(thresholds=thresholds)
    new_packs = [replace(p, thresholds=chosen[p.label]) for p in packs]
    shares = decision_shares(sample, new_spec, new_packs)
    return StreamFit(
        thresholds=thresholds,
        pack_thresholds={p.label: chosen[p.label] for p in packs},
        flagged=shares["flagged"],
        blocked=shares["blocked"],
    )


def _effective(sample: SampleScores, spec: ModelSpec, own: int, distance: str) -> np.ndarray:
    """The scores that can reach a level: the model's own labels' are ``_NEVER`` where the
    guard's ``distance`` caps the photo below it (packs are not capped)."""
    scores = np.array(sample.scores, dtype=np.float64, copy=True)
    if spec.guard is not None:
        capped = sample.guard > getattr(spec.guard, distance)  # NaN: no guard output, no cap
        scores[capped, :own] = _NEVER
    return scores


def _fit(scores: np.ndarray, budget: float) -> list[float]:
    """Per column, the threshold letting through the same count ``j`` of rows, the largest
    ``j`` whose union over columns is at most ``budget`` of the rows (binary search: the
    union grows with ``j``)."""
    n, columns = scores.shape
    allowed = math.floor(budget * n + 1e-9)
    ordered = [np.sort(scores[:, c])[::-1] for c in range(columns)]

    def cuts(j: int) -> list[float]:
        return [_cut(values, j) for values in ordered]

    def union(j: int) -> int:
        return int((scores >= np.asarray(cuts(j))).any(axis=1).sum()) if n else 0

    low, high = 0, allowed
    while low < high:
        middle = (low + high + 1) // 2
        if union(middle) <= allowed:
            low = middle
        else:
            high = middle - 1
    return cuts(low)


def _cut(descending: np.ndarray, count: int) -> float:
    """A threshold that at most ``count`` of the (descending) values reach: halfway between
    the highest value kept out and the lowest one above it (tied values fall together)."""
    if count >= len(descending) or descending[count] < 0:
        return 0.0  # every photo that can reach this level may
    kept_out = float(descending[count])
    above = descending[descending > kept_out]
    if above.size == 0:  # nothing above: just over the highest (1.0 at most, see README)
        return float(min(np.nextafter(kept_out, np.inf), 1.0))
    lowest_above = float(above.min())
    middle = (kept_out + lowest_above) / 2
    return middle if middle > kept_out else lowest_above


def thresholds_json(thresholds: Mapping[str, Thresholds]) -> dict[str, dict[str, float]]:
    """Thresholds as plain JSON: ``{label: {"block": b, "review": r}}``."""
    return {k: {"block": t.block, "review": t.review} for k, t in thresholds.items()}
