"""The JSON the HTTP API answers with, as pydantic models so ``/openapi.json`` describes it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ..spec import RESULT_DECISIONS


class Classification(BaseModel):
    """One photo's result: ``Prediction.to_dict()`` plus the model version."""

    label: str = Field(description="The most probable label; empty when the photo failed.")
    score: float = Field(description="The label's calibrated probability.")
    scores: dict[str, float] = Field(description="Every label's probability.")
    decision: Literal[RESULT_DECISIONS] = Field(  # type: ignore[valid-type]
        description="block | review | allow from the model's thresholds; error if it failed."
    )
    error: str | None = Field(None, description="Why the photo failed (batch items only).")
    source: str | None = Field(None, description="The uploaded file's name.")
    guard_distance: float | None = Field(
        None,
        description="Distance to the model's wildlife training photos (models with a guard): "
        "past the spec's guard distances a photo cannot be blocked, then not reviewed.",
    )
    model_version: str


class BatchResult(BaseModel):
    """One result per uploaded file, in upload order."""

    results: list[Classification]


class ThresholdsInfo(BaseModel):
    block: float
    review: float


class GuardInfo(BaseModel):
    k: int
    block_distance: float
    review_distance: float
    bank_size: int


class PackInfo(BaseModel):
    """A product pack: a label learned from a platform's photos (``wildvision pack build``)."""

    label: str
    thresholds: ThresholdsInfo
    photos: int
    model_version: str
    cites_note: str
    cross_validation: dict[str, float | int | None]


class ModelInfo(BaseModel):
    """The model's spec: labels, preprocessing, calibration and decision thresholds."""

    labels: list[str]
    model_name: str
    version: str
    input_size: int
    interpolation: str
    crop_pct: float
    mean: list[float]
    std: list[float]
    temperature: float
    wildlife_labels: list[str]
    thresholds: dict[str, ThresholdsInfo] = Field(
        description="Per wildlife label: block at or above `block`, review at or above `review`."
    )
    budgets: dict[str, float] | None = Field(
        None, description="The false-flag budgets the thresholds were chosen for, if any."
    )
    guard: GuardInfo | None = Field(None, description="The open-set guard, if the model has one.")
    embedding_size: int | None = None
    trim_margins: int | None = Field(
        None,
        description="If set, uniform margins (within this many levels) are cut before the resize.",
    )
    calibrations: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Where the thresholds came from when they were refitted on a sample of the "
        "platform's own stream (`wildvision calibrate MODEL --stream`), oldest first: sample "
        "size and hash, date, budgets, shares flagged and blocked before and after, previous "
        "thresholds. Empty for thresholds fitted at training time.",
    )
    schema_version: int
    packs: list[PackInfo] = Field(
        default_factory=list,
        description="Product packs loaded beside the model: labels they add to `scores`.",
    )


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    model_version: str


class Problem(BaseModel):
    """An error: what went wrong and how to fix it."""

    detail: str


class ValidationProblem(BaseModel):
    """A malformed request (a missing field, say): FastAPI's list of validation errors."""

    detail: list[dict[str, Any]]
