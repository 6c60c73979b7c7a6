"""The result of classifying one image, and the rule that turns scores into a decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .spec import ModelSpec


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
    """

    label: str
    score: float
    scores: Mapping[str, float] = field(default_factory=dict)
    decision: str = "allow"
    error: str | None = None
    source: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scores"] = dict(self.scores)
        return data

    @classmethod
    def failed(cls, error: str, source: str | None = None) -> Prediction:
        """A result for an input that could not be classified."""
        return cls(label="", score=0.0, scores={}, decision="error", error=error, source=source)


def decide(scores: Mapping[str, float], spec: ModelSpec) -> str:
    """``block`` if any wildlife label reaches its block threshold, ``review`` if any reaches
    its review threshold, else ``allow``. Look-alikes and ``other`` never block."""
    decision = "allow"
    for label in spec.wildlife_labels:
        threshold = spec.thresholds[label]
        probability = scores.get(label, 0.0)
        if probability >= threshold.block:
            return "block"
        if probability >= threshold.review:
            decision = "review"
    return decision
