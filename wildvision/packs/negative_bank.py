"""The negative bank: embeddings of ordinary photos that a pack's head learns to say no to.

A model ships its bank beside it (``NAME.negatives.npz`` for ``NAME.onnx``): the embeddings
of a few thousand ordinary and look-alike photos from its training and validation splits
(everyday objects, web images, faces, street and landscape photos, rendered text cards,
bone and ceramic carvings). They are stored as int8 with one scale per row (a quarter of
float32; a row's cosine to itself after the round trip is above 0.999), with each row's
source name and label (``other`` for an ordinary photo; a look-alike's own label, such as
``bone``, which teaches a pack's head but does not count against its false-flag budget),
and the SHA-256 of the model that embedded them. Photos are not stored, and
the bank is the model builders' data, not a pack user's.
"""

from __future__ import annotations

import io
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._atomic import atomic_open
from ..errors import ModelError, PackError
from ..integrity import verify_sha256
from ..taxonomy import ORDINARY_LABEL

BANK_FORMAT_VERSION = 1
#: The bank's file beside a model ``NAME.onnx`` (also for ``NAME.int8.onnx``, ``.ingraph``).
BANK_SUFFIX = ".negatives.npz"


@dataclass(frozen=True)
class NegativeBank:
    """Embeddings of ordinary and look-alike photos ([N, D] float32, unit rows), their
    sources and labels (None: all ``other``), and the SHA-256 of the model that made them."""

    embeddings: np.ndarray
    sources: np.ndarray
    model_sha256: str
    labels: np.ndarray | None = None

    @property
    def ordinary(self) -> np.ndarray:
        """Which rows are ordinary photos (label ``other``), not look-alikes."""
        if self.labels is None:
            return np.ones(len(self.embeddings), dtype=bool)
        return np.asarray(self.labels) == ORDINARY_LABEL

    def __len__(self) -> int:
        return len(self.embeddings)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the bank (int8 rows and per-row scales) atomically."""
        scales = np.abs(self.embeddings).max(axis=1) / 127.0
        scales[scales == 0] = 1.0
        quantised = np.round(self.embeddings / scales[:, None]).astype(np.int8)
        path = Path(path)
        with atomic_open(path, "wb") as handle:
            np.savez_compressed(
                handle,
                embeddings=quantised,
                scales=scales.astype(np.float32),
                sources=np.asarray(self.sources, dtype=str),
                labels=np.asarray(
                    self.labels if self.labels is not None else [ORDINARY_LABEL] * len(self),
                    dtype=str,
                ),
                model_sha256=np.asarray(self.model_sha256),
                format_version=np.asarray(BANK_FORMAT_VERSION),
            )
        return path


def bank_path_for(model_path: str | os.PathLike) -> Path:
    """Where a model's bank lives: ``NAME.negatives.npz`` beside ``NAME[.int8|.ingraph].onnx``."""
    path = Path(model_path)
    stem = path.name.removesuffix(".onnx").removesuffix(".int8").removesuffix(".ingraph")
    return path.with_name(stem + BANK_SUFFIX)


def load_negative_bank(
    path: str | os.PathLike, model_sha256: str | Collection[str] | None = None
) -> NegativeBank:
    """Read a bank; with ``model_sha256`` (one digest, or several: a model and its float
    twin), refuse one made by another model.

    Raises:
        PackError: missing, unreadable or malformed, or made by another model.
    """
    path = Path(path)
    if not path.is_file():
        raise PackError(
            f"no negative bank at {path}; build one for your model with `wildvision pack bank "
            "PHOTOS --model MODEL -o MODEL_NAME.negatives.npz`, or pass --negatives DIR."
        )
    try:
        raw = path.read_bytes()
        verify_sha256(path, raw)  # a shipped bank is listed in SHA256SUMS beside the model
        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            version = int(data["format_version"])
            if version != BANK_FORMAT_VERSION:
                raise PackError(
                    f"{path}: negative bank format {version}; this wildvision reads "
                    f"{BANK_FORMAT_VERSION}. Upgrade wildvision or rebuild the bank."
                )
            embeddings = data["embeddings"].astype(np.float32) * data["scales"][:, None]
            labels = data["labels"] if "labels" in data.files else None
            bank = NegativeBank(embeddings, data["sources"], str(data["model_sha256"]), labels)
    except ModelError as exc:  # the SHA256SUMS check
        raise PackError(str(exc)) from None
    except PackError:
        raise
    except Exception as exc:  # zipfile, numpy and KeyError variants of a broken file
        raise PackError(
            f"{path}: not a readable negative bank ({type(exc).__name__}: {exc}); rebuild it "
            "with `wildvision pack bank`."
        ) from None
    accepted = [model_sha256] if isinstance(model_sha256, str) else list(model_sha256 or ())
    if accepted and bank.model_sha256 not in accepted:
        raise PackError(
            f"{path} was embedded by another model (sha256 {bank.model_sha256[:12]}…, this "
            f"model {accepted[0][:12]}…); build a bank for this model with `wildvision pack bank`."
        )
    return bank


def balanced_choice(sources: Sequence[str], size: int, seed: int = 0) -> np.ndarray:
    """Indices of at most ``size`` rows, spread over the sources as evenly as they allow
    (a small source gives all its rows, the rest share the remainder), seeded."""
    sources = np.asarray(sources)
    rng = np.random.default_rng(seed)
    groups = {name: rng.permutation(np.flatnonzero(sources == name)) for name in np.unique(sources)}
    chosen: list[np.ndarray] = []
    remaining = min(size, len(sources))
    pending = sorted(groups, key=lambda name: len(groups[name]))
    while pending:
        share = remaining // len(pending)
        name = pending.pop(0)
        take = groups[name][: max(share, 0) if pending else remaining]
        chosen.append(take)
        remaining -= len(take)
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=int)
