"""The result of classifying one image, and the rule that turns scores into a decision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .spec import ERROR_DECISION, ModelSpec

if TYPE_CHECKING:
    from .pack_file import Pack

#: The columns a ``Prediction`` becomes in a results table (a scan's file, a Ray dataset).
ROW_COLUMNS = ("label", "score", "decision", "error", "model_version")
#: Decimal places a score keeps in a results table: a millionth, far below any threshold's
#: meaning, and short lines in a file of millions of rows.
SCORE_DIGITS = 6


@dataclass(frozen=True)
class Prediction:
    """What the model said about one image.

    Attributes:
        label: the most probable label ("" when the image could not be read).
        score: its calibrated probability.
        scores: every label's probability.
        decision: ``block``, ``review`` or ``allow`` (``error`` when the image failed).
        error: why the image could not be classified, else None.
        source: a short name of the input (its path, or a description).
        guard_distance: how far the image lies from the model's wildlife training photos
            (see ``ModelSpec.guard``); None for a model without a guard.
    """

    label: str
    score: float
    scores: Mapping[str, float] = field(default_factory=dict)
    decision: str = "allow"
    error: str | None = None
    source: str | None = None
    guard_distance: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scores"] = dict(self.scores)
        return data

    def to_row(self, model_version: str) -> dict[str, Any]:
        """The prediction as a results-table row (``ROW_COLUMNS``), the same for every table:
        the score rounded to ``SCORE_DIGITS``, the error on one line (a row is one line of a
        file), and no label or score for an image that failed."""
        return {
            "label": self.label if self.ok else None,
            "score": round(self.score, SCORE_DIGITS) if self.ok else None,
            "decision": self.decision,
            "error": None if self.ok else " ".join(self.error.splitlines()),
            "model_version": model_version,
        }

    @classmethod
    def failed(cls, error: str, source: str | None = None) -> Prediction:
        """A result for an input that could not be classified."""
        return cls(
            label="", score=0.0, scores={}, decision=ERROR_DECISION, error=error, source=source
        )


#: How strong each decision is, to pick the strongest of several labels'.
_LEVEL = {"allow": 0, "review": 1, "block": 2}


def decide(
    scores: Mapping[str, float],
    spec: ModelSpec,
    guard_distance: float | None = None,
    packs: Sequence[Pack] = (),
) -> str:
    """``block`` if any wildlife label reaches its block threshold, ``review`` if any reaches
    its review threshold, else ``allow``. Look-alikes and ``other`` never block.

    With a guard (``spec.guard``) and the image's ``guard_distance``, an image farther than
    ``block_distance`` from every wildlife training photo is at most ``review``, and one
    farther than ``review_distance`` is ``allow``. The guard measures distance to the
    model's own wildlife photos, so it does not cap a pack's labels: each pack's score
    (in ``scores`` under its label) meets the pack's own thresholds.
    """
    return decide_with_label(scores, spec, guard_distance, packs)[0]


def decide_with_label(
    scores: Mapping[str, float],
    spec: ModelSpec,
    guard_distance: float | None = None,
    packs: Sequence[Pack] = (),
) -> tuple[str, str | None]:
    """The decision (see ``decide``) and the pack label behind it when a pack's label
    decides more strongly than the model's own labels (else None)."""
    decision = "allow"
    for label in spec.wildlife_labels:
        threshold = spec.thresholds[label]
        probability = scores.get(label, 0.0)
        if probability >= threshold.block:
            decision = "block"
            break
        if probability >= threshold.review:
            decision = "review"
    guard = spec.guard
    if guard is not None and guard_distance is not None and decision != "allow":
        if guard_distance > guard.review_distance:
            decision = "allow"
        elif guard_distance > guard.block_distance:
            decision = "review"
    pack_label = None
    for pack in packs:
        probability = scores.get(pack.label, 0.0)
        level = (
            "block"
            if probability >= pack.thresholds.block
            else ("review" if probability >= pack.thresholds.review else "allow")
        )
        stronger = _LEVEL[level] > _LEVEL[decision]
        if stronger or (pack_label and level == decision and probability > scores[pack_label]):
            decision, pack_label = level, pack.label
    return decision, pack_label
