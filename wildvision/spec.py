"""The model spec: the one object that travels with the weights.

It carries everything needed to turn pixels into a decision — labels, input size,
interpolation, crop, mean/std, calibration temperature, thresholds, model name and version.
Training builds its evaluation transform from it, export writes it into the ONNX metadata
(key ``wildvision.spec``, JSON), and ``Classifier`` reads it back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .errors import ModelError
from .taxonomy import LOOKALIKE_LABELS, WILDLIFE_LABELS

SCHEMA_VERSION = 1
METADATA_KEY = "wildvision.spec"

# The exported graph's input and output names: the exporter writes them, Classifier reads them.
#: Input of the standard graph: preprocessed float32 pixels [N, 3, H, W].
INPUT_NAME = "pixel_values"
#: Input of the in-graph variant: decoded uint8 RGB photos [N, H, W, 3] at any size.
IMAGE_INPUT = "image"
LOGITS_OUTPUT = "logits"
PROBABILITIES_OUTPUT = "probabilities"  # softmax(logits / temperature)
EMBEDDING_OUTPUT = "embedding"  # L2-normalised pooled features (models exported from 0.3.0)
GUARD_OUTPUT = "guard_distance"  # distance to the wildlife training photos (see spec.guard)
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos")
DECISIONS = ("block", "review", "allow")
#: The decision of an image that could not be classified (its ``Prediction.error`` says why).
ERROR_DECISION = "error"
#: Every decision a result can carry: a scan's rows, a served answer, a review page's filter.
RESULT_DECISIONS = (*DECISIONS, ERROR_DECISION)
DEFAULT_BLOCK_THRESHOLD = 0.85
DEFAULT_REVIEW_THRESHOLD = 0.5


@dataclass(frozen=True)
class Thresholds:
    """Probability cut-offs for one wildlife label: ``block`` at or above, ``review`` between."""

    block: float = DEFAULT_BLOCK_THRESHOLD
    review: float = DEFAULT_REVIEW_THRESHOLD


@dataclass(frozen=True)
class Guard:
    """The open-set guard: how far (cosine distance to the ``k``-th nearest wildlife training
    photo, the model's ``guard_distance`` output) a photo may lie and still be blocked or
    reviewed. A photo unlike every wildlife photo the model saw is capped at ``review`` past
    ``block_distance`` and at ``allow`` past ``review_distance``."""

    k: int = 5
    block_distance: float = 1.0
    review_distance: float = 1.0
    bank_size: int = 0  # how many wildlife training photos the graph compares against


@dataclass(frozen=True)
class ModelSpec:
    """Everything about a model except its weights; see the module docstring."""

    labels: tuple[str, ...]
    model_name: str = "tf_efficientnet_lite0"
    version: str = "0.0.0"
    input_size: int = 224
    interpolation: str = "bicubic"
    crop_pct: float = 0.875
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    temperature: float = 1.0
    wildlife_labels: tuple[str, ...] = ()
    thresholds: Mapping[str, Thresholds] = field(default_factory=dict)
    # the false-flag budgets the thresholds were chosen for: {"review": 0.01, "block": 0.001}
    # (share of ordinary photos sent to review or block); None = chosen by precision
    budgets: Mapping[str, float] | None = None
    guard: Guard | None = None
    embedding_size: int | None = None  # width of the model's ``embedding`` output, if any
    # cut uniform margins before the resize: rows, then columns, at the photo's edges whose
    # every pixel is one colour within this many levels (0-255) per channel; None = off.
    # A product small on a white card then fills the model's view (``preprocess.trim_margins``)
    trim_margins: int | None = None
    # where the thresholds came from when a platform refitted them on a sample of its own
    # stream (``wildvision calibrate MODEL --stream``): one record per calibration, oldest
    # first (sample size and hash, date, budgets, shares before and after, the previous
    # thresholds). Empty for thresholds fitted at training time.
    calibrations: tuple[Mapping[str, Any], ...] = ()
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        if not self.wildlife_labels:
            wildlife = tuple(lbl for lbl in self.labels if lbl in WILDLIFE_LABELS)
            object.__setattr__(self, "wildlife_labels", wildlife)
        object.__setattr__(self, "wildlife_labels", tuple(self.wildlife_labels))
        thresholds = {lbl: self.thresholds.get(lbl, Thresholds()) for lbl in self.wildlife_labels}
        thresholds = {
            k: v if isinstance(v, Thresholds) else Thresholds(**v) for k, v in thresholds.items()
        }
        object.__setattr__(self, "thresholds", thresholds)
        if isinstance(self.guard, Mapping):
            object.__setattr__(self, "guard", Guard(**self.guard))
        if self.budgets is not None:
            object.__setattr__(self, "budgets", {k: float(v) for k, v in self.budgets.items()})
        if not isinstance(self.calibrations, (list, tuple)) or not all(
            isinstance(c, Mapping) for c in self.calibrations
        ):
            raise ModelError("invalid model spec: calibrations must be a list of JSON objects")
        object.__setattr__(self, "calibrations", tuple(dict(c) for c in self.calibrations))
        self._validate()

    @property
    def resize_size(self) -> int:
        """Shorter-side size before the centre crop (timm's ``floor(size / crop_pct)``)."""
        return math.floor(self.input_size / self.crop_pct)

    def with_updates(self, **changes: Any) -> ModelSpec:
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        data["mean"] = list(self.mean)
        data["std"] = list(self.std)
        data["wildlife_labels"] = list(self.wildlife_labels)
        data["thresholds"] = {k: asdict(v) for k, v in self.thresholds.items()}
        data["guard"] = asdict(self.guard) if self.guard is not None else None
        data["budgets"] = dict(self.budgets) if self.budgets is not None else None
        data["calibrations"] = [dict(c) for c in self.calibrations]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        """Build a spec from a mapping; raises ``ModelError`` on anything malformed."""
        if not isinstance(data, Mapping):
            raise ModelError(f"model spec must be a JSON object, got {type(data).__name__}")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ModelError(
                f"model spec schema_version {version!r} is not supported (this wildvision "
                f"reads version {SCHEMA_VERSION}); upgrade wildvision or re-export the model."
            )
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelError(f"model spec has unknown fields {unknown}; re-export the model.")
        if "labels" not in data:
            raise ModelError("model spec has no 'labels'; re-export the model.")
        try:
            return cls(**dict(data))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ModelError):
                raise
            raise ModelError(f"model spec is malformed: {exc}; re-export the model.") from exc

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelError(f"model spec is not valid JSON ({exc}); re-export the model.") from exc
        return cls.from_dict(data)

    def _validate(self) -> None:
        def fail(message: str) -> None:
            raise ModelError(f"invalid model spec: {message}")

        if not self.labels or not all(isinstance(x, str) and x for x in self.labels):
            fail("labels must be a non-empty list of non-empty strings")
        if len(set(self.labels)) != len(self.labels):
            fail(f"labels must be unique, got {list(self.labels)}")
        if not set(self.wildlife_labels) <= set(self.labels):
            fail(f"wildlife_labels {list(self.wildlife_labels)} are not all in labels")
        lookalikes = sorted(set(self.wildlife_labels) & LOOKALIKE_LABELS)
        if lookalikes:
            fail(f"wildlife_labels {lookalikes} are look-alikes, which always lead to allow")
        if not isinstance(self.input_size, int) or not 16 <= self.input_size <= 4096:
            fail(f"input_size must be an int in [16, 4096], got {self.input_size!r}")
        if self.interpolation not in INTERPOLATIONS:
            fail(f"interpolation must be one of {INTERPOLATIONS}, got {self.interpolation!r}")
        if not 0.1 <= float(self.crop_pct) <= 1.0:
            fail(f"crop_pct must be in [0.1, 1], got {self.crop_pct!r}")
        values = (*self.mean, *self.std)
        if len(self.mean) != 3 or len(self.std) != 3 or not all(map(math.isfinite, values)):
            fail("mean and std must each hold 3 finite numbers")
        if min(self.std) <= 0:
            fail("std must be positive")
        if not float(self.temperature) > 0:
            fail(f"temperature must be positive, got {self.temperature!r}")
        for label, t in self.thresholds.items():
            if not 0.0 <= t.review <= t.block <= 1.0:
                fail(f"thresholds for {label!r} need 0 <= review <= block <= 1, got {t}")
        if self.budgets is not None:
            bad = {k: v for k, v in self.budgets.items() if k not in DECISIONS or not 0 <= v <= 1}
            if bad:
                fail(f"budgets must map 'review'/'block' to a rate in [0, 1], got {bad}")
        if self.trim_margins is not None and not (
            isinstance(self.trim_margins, int) and 0 <= self.trim_margins <= 64
        ):
            fail(
                "trim_margins must be null or a whole number of levels in [0, 64], "
                f"got {self.trim_margins!r}"
            )
        if self.guard is not None:
            g = self.guard
            if not (isinstance(g.k, int) and g.k >= 1 and 0 <= g.block_distance <= 2):
                fail(f"guard needs k >= 1 and distances in [0, 2], got {g}")
            if not g.block_distance <= g.review_distance <= 2:
                fail(f"guard needs block_distance <= review_distance, got {g}")
