"""The result of classifying one image, and the rule that turns scores into a decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .spec import ERROR_DECISION, ModelSpec

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


def decide(
    scores: Mapping[str, float], spec: ModelSpec, guard_distance: float | None = None
) -> str:
    """``block`` if any wildlife label reaches its block threshold, ``review`` if any reaches
    its review threshold, else ``allow``. Look-alikes and ``other`` never block.

    With a guard (``spec.guard``) and the image's ``guard_distance``, an image farther than
    ``block_distance`` from every wildlife training photo is at most ``review``, and one
    farther than ``review_distance`` is ``allow``.
    """
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
    if guard is None or guard_distance is None or decision == "allow":
        return decision
    if guard_distance > guard.review_distance:
        return "allow"
    if guard_distance > guard.block_distance:
        return "review"
    return decision
