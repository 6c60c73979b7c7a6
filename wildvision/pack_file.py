"""The product pack file: one new label for one model, as a small JSON document (numpy only).

A pack is what ``wildvision pack build`` learns from a platform's own photos of a product:
a linear head over the model's ``embedding`` output (``score = sigmoid(w . e + b)``), its
block and review thresholds, and the cross-validated figures behind them. It names the
model it belongs to by the SHA-256 of the model file, so a pack is never applied to
embeddings it was not fitted on. It holds no photos and no per-photo embeddings: only the
head's weights (one vector of the embedding's width), counts and summary figures, so
platforms can share packs without sharing the photos (see docs/pack-privacy.md).

JSON keeps the file readable from any language (Java, Go, C++, JS): a reader needs the
``weights``, ``bias`` and ``thresholds`` fields and a dot product. ``checksum`` is the
SHA-256 of the document without it (keys sorted, compact separators), so a truncated or
edited file is refused rather than silently scoring wrong.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import atomic_write_bytes
from .errors import PackError
from .spec import Thresholds

#: The pack format this version writes and reads; a newer file is refused by name.
PACK_FORMAT = "wildvision.pack"
PACK_FORMAT_VERSION = 1
#: The file extension ``pack build`` writes by default.
PACK_SUFFIX = ".wvpack"
#: What a label may look like: it becomes a column name and a key in every result.
LABEL_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
#: The note a pack carries when its builder gives none.
DEFAULT_CITES_NOTE = (
    "Check the species' CITES Appendix (https://cites.org/eng/app/appendices.php) and your "
    "jurisdiction's rules before acting on this label."
)


@dataclass(frozen=True)
class Pack:
    """One product label learned from photos, for one model (see the module docstring).

    Attributes:
        label: the new label (lower case, digits and ``_``), e.g. ``rhino_horn``.
        weights: the head's weights, one per embedding dimension.
        bias: the head's bias.
        thresholds: block and review cut-offs on the pack's score.
        model_sha256: SHA-256 of the model file whose embeddings the head was fitted on.
        model_version: that model's version (for messages; the hash decides).
        also_fits: SHA-256s of the same model's other float export (``NAME.ingraph.onnx``
            for ``NAME.onnx`` and back), whose embeddings match it; an int8 model's do not.
        cites_note: a note for reviewers (the product's CITES listing, what to check).
        budgets: the false-flag budgets the thresholds were chosen for.
        photos: how many photos of the product it was built from (and ``views`` per photo).
        negatives: how many negative photos (bank rows and the user's own) it was fitted against.
        cross_validation: figures measured on held-out folds (AUROC, recall at the
            thresholds, false-flag rates).
        created_at: when it was built (ISO 8601, UTC).
        wildvision_version: the library version that built it.
    """

    label: str
    weights: np.ndarray
    bias: float
    thresholds: Thresholds
    model_sha256: str
    model_version: str = ""
    also_fits: tuple[str, ...] = ()
    cites_note: str = DEFAULT_CITES_NOTE
    budgets: Mapping[str, float] = field(default_factory=dict)
    photos: int = 0
    views: int = 1
    negatives: int = 0
    cross_validation: Mapping[str, Any] = field(default_factory=dict)
    created_at: str = ""
    wildvision_version: str = ""

    def __post_init__(self) -> None:
        check_label(self.label)
        weights = np.asarray(self.weights, dtype=np.float32).ravel()
        if weights.size == 0 or not np.isfinite(weights).all() or not math.isfinite(self.bias):
            raise PackError(f"pack {self.label!r}: its weights are empty or not finite.")
        object.__setattr__(self, "weights", weights)
        t = self.thresholds
        if not (0.0 <= t.review <= t.block <= 1.0):
            raise PackError(
                f"pack {self.label!r}: thresholds must satisfy 0 <= review <= block <= 1, "
                f"got review {t.review}, block {t.block}."
            )
        object.__setattr__(self, "also_fits", tuple(self.also_fits))
        for digest in (self.model_sha256, *self.also_fits):
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise PackError(f"pack {self.label!r}: {digest!r} is not a SHA-256 hex digest.")

    def fits(self, model_sha256: str) -> bool:
        """Whether the pack was fitted on this model file's embeddings (or its twin's)."""
        return model_sha256 in (self.model_sha256, *self.also_fits)

    @property
    def embedding_size(self) -> int:
        return int(self.weights.size)

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        """The pack's probability for each row of ``embeddings`` ([N, D] or [D])."""
        return logistic_scores(embeddings, self.weights, self.bias)

    def to_document(self) -> dict[str, Any]:
        """The JSON document of the file, with its checksum."""
        body = asdict(self)
        body["weights"] = [float(w) for w in self.weights]  # float32 values, exactly
        body["thresholds"] = {"block": self.thresholds.block, "review": self.thresholds.review}
        body["budgets"] = dict(self.budgets)
        body["also_fits"] = list(self.also_fits)
        body["cross_validation"] = dict(self.cross_validation)
        document = {"format": PACK_FORMAT, "format_version": PACK_FORMAT_VERSION, **body}
        document["checksum"] = _checksum(document)
        return document

    def save(self, path: str | os.PathLike) -> Path:
        """Write the pack atomically (a crash leaves the old file or the whole new one)."""
        path = Path(path)
        text = json.dumps(self.to_document(), indent=1, sort_keys=True, allow_nan=False)
        atomic_write_bytes(path, (text + "\n").encode("utf-8"))
        return path

    def summary(self) -> dict[str, Any]:
        """What ``pack verify`` and ``info`` show: everything but the weights."""
        document = self.to_document()
        for key in ("weights", "checksum", "format", "format_version"):
            document.pop(key)
        document["embedding_size"] = self.embedding_size
        return document


def logistic_scores(embeddings: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    """``sigmoid(embeddings @ weights + bias)``, in float64: a linear head's probabilities."""
    logits = np.asarray(embeddings, dtype=np.float64) @ np.asarray(weights, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-(logits + bias)))


def check_label(label: str) -> str:
    """``label`` if it can name a pack, else a ``PackError`` saying what a label may be."""
    if not isinstance(label, str) or not LABEL_PATTERN.match(label):
        raise PackError(
            f"pack label {label!r} is not allowed: use lower-case letters, digits and '_', "
            "starting with a letter (e.g. rhino_horn, pangolin_scales)."
        )
    return label


def load_pack(path: str | os.PathLike) -> Pack:
    """Read and check a pack file: its format, version, checksum and fields.

    Raises:
        PackError: the file is missing, not a pack, from a newer wildvision, truncated or
            edited (checksum), or has invalid fields; the message says which and the fix.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PackError(f"pack file {path} does not exist; check the path.") from None
    except OSError as exc:
        raise PackError(f"pack file {path} cannot be read ({exc.strerror}).") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PackError(
            f"{path} is not a wildvision pack (not JSON) or is truncated; build it again with "
            "`wildvision pack build` or copy the original file."
        ) from None
    if not isinstance(document, dict) or document.get("format") != PACK_FORMAT:
        raise PackError(f"{path} is not a wildvision pack (no 'format': {PACK_FORMAT!r}).")
    version = document.get("format_version")
    if version != PACK_FORMAT_VERSION:
        raise PackError(
            f"{path}: pack format version {version!r}; this wildvision reads version "
            f"{PACK_FORMAT_VERSION}. Upgrade wildvision (pip install -U wildvision)."
        )
    if document.get("checksum") != _checksum(document):
        raise PackError(
            f"{path}: checksum mismatch — the pack was truncated or edited; build it again or "
            "copy the original file."
        )
    try:
        thresholds = Thresholds(**document["thresholds"])
        return Pack(
            label=document["label"],
            weights=np.asarray(document["weights"], dtype=np.float32),
            bias=float(document["bias"]),
            thresholds=thresholds,
            model_sha256=document["model_sha256"],
            model_version=document.get("model_version", ""),
            also_fits=tuple(document.get("also_fits", ())),
            cites_note=document.get("cites_note", DEFAULT_CITES_NOTE),
            budgets=document.get("budgets", {}),
            photos=int(document.get("photos", 0)),
            views=int(document.get("views", 1)),
            negatives=int(document.get("negatives", 0)),
            cross_validation=document.get("cross_validation", {}),
            created_at=document.get("created_at", ""),
            wildvision_version=document.get("wildvision_version", ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, PackError):
            raise PackError(f"{path}: {exc}") from None
        raise PackError(f"{path}: a pack field is missing or malformed ({exc!r}).") from None


def _checksum(document: Mapping[str, Any]) -> str:
    body = {key: value for key, value in document.items() if key != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_packs_fit(
    packs: Sequence[Pack], model_sha256: str, model_labels: Sequence[str], where: str = "model"
) -> None:
    """Refuse packs built for another model file, or whose labels clash with the model's or
    each other's, with the fix in the message."""
    seen = set(model_labels)
    for pack in packs:
        if not pack.fits(model_sha256):
            raise PackError(
                f"pack {pack.label!r} was built for another model (sha256 "
                f"{pack.model_sha256[:12]}…, version {pack.model_version or '?'}); {where} has "
                f"sha256 {model_sha256[:12]}…. Build the pack for this model: `wildvision pack "
                f"build PHOTOS --label {pack.label} --model {where}`."
            )
        if pack.label in seen:
            raise PackError(
                f"pack label {pack.label!r} is already a label of the model or of another pack; "
                "load one pack per label (and none named like a model label)."
            )
        seen.add(pack.label)
