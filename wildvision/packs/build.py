"""Build a pack from photos, and a model's negative bank (onnxruntime and numpy; no torch).

``build_pack`` decodes each photo once, makes its views (``views.photo_views``), embeds them
with the model, and fits the head (``head.fit_head``) against the model's negative bank plus
the user's own negatives. An unreadable photo is skipped with a warning, never the end of
the build. 50 photos take seconds on a laptop CPU (measured in benchmarks/PACK_RESULTS.md).
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._progress import progress
from .._version import __version__
from ..classifier import Classifier
from ..errors import ImageError, PackError
from ..imaging import ImageInput
from ..pack_file import DEFAULT_CITES_NOTE, Pack, check_label
from ..sources import iter_images
from ..taxonomy import ORDINARY_LABEL
from ..thresholds import DEFAULT_BLOCK_BUDGET, DEFAULT_REVIEW_BUDGET
from .head import DEFAULT_C, DEFAULT_FOLDS, fit_head
from .negative_bank import NegativeBank, balanced_choice, bank_path_for, load_negative_bank
from .views import ALL_VIEWS, photo_views

#: Views of the user's own negatives: as given and mirrored.
NEGATIVE_VIEWS = ("original", "mirror")
#: Rows a bank built by ``build_negative_bank`` keeps by default (5 MB of int8 at 1,280).
DEFAULT_BANK_SIZE = 4096


@dataclass
class EmbeddedPhotos:
    """Embeddings of the views of some photos: which photo each row came from, whether it
    is the photo as given, and the photos that could not be read."""

    embeddings: np.ndarray
    groups: np.ndarray
    original: np.ndarray
    skipped: list[str] = field(default_factory=list)

    @property
    def photos(self) -> int:
        return len(np.unique(self.groups))


def embed_views(
    classifier: Classifier,
    photos: Iterable[ImageInput],
    views: Sequence[str] = ALL_VIEWS,
    seed: int = 0,
    first_group: int = 0,
    desc: str = "embedding photos",
) -> EmbeddedPhotos:
    """Decode each photo once, make its ``views`` and embed them; unreadable photos are
    listed in ``skipped`` (with the reason) and left out. A progress bar (``desc``) is drawn
    on stderr when it is a terminal."""
    rows, groups, original, skipped = [], [], [], []
    for index, photo in enumerate(progress(photos, desc=desc, unit="photo")):
        try:
            image = classifier.load(photo)
        except ImageError as exc:
            skipped.append(str(exc))
            continue
        made = photo_views(image, seed=seed * 1_000_003 + index, views=views)
        rows.append(classifier.embed(made))
        groups += [first_group + index] * len(made)
        original += [name == "original" for name in views]
    width = classifier.spec.embedding_size or 0
    return EmbeddedPhotos(
        embeddings=np.concatenate(rows) if rows else np.zeros((0, width), np.float32),
        groups=np.asarray(groups, dtype=int),
        original=np.asarray(original, dtype=bool),
        skipped=skipped,
    )


def photo_list(photos: str | os.PathLike | Iterable[ImageInput]) -> list[ImageInput]:
    """A folder's images (recursively, sorted), or the given photos as a list."""
    if isinstance(photos, (str, os.PathLike)):
        path = Path(photos)
        if path.is_dir():
            return list(iter_images(path))
        if not path.exists():
            raise PackError(f"{path} does not exist; give a folder of photos or photo files.")
        return [path]
    return list(photos)


def build_pack(
    photos: str | os.PathLike | Iterable[ImageInput],
    label: str,
    *,
    model: Classifier | str | os.PathLike | None = None,
    negatives: Sequence[str | os.PathLike] = (),
    bank: NegativeBank | str | os.PathLike | None = None,
    use_bank: bool = True,
    verdicts: Sequence[str | os.PathLike] = (),
    views: Sequence[str] = ALL_VIEWS,
    review_budget: float = DEFAULT_REVIEW_BUDGET,
    block_budget: float = DEFAULT_BLOCK_BUDGET,
    folds: int = DEFAULT_FOLDS,
    c: float = DEFAULT_C,
    cites_note: str = DEFAULT_CITES_NOTE,
    seed: int = 0,
) -> Pack:
    """Learn ``label`` from ``photos`` (a folder or a list) for ``model`` (default shipped).

    Args:
        negatives: folders or files of the user's own photos that are not the product
            (look-alikes, their platform's ordinary listings); added to the bank.
        bank: the negative bank (default: the one beside the model); ``use_bank=False``
            fits against ``negatives`` only.
        verdicts: reviewers' verdict files (``verdicts.csv`` of the review page): photos
            confirmed as ``label`` join the product photos, photos judged not a wildlife
            product (``other``) join the negatives; other rows are left out.
        views: the views made of each product photo (``views.ALL_VIEWS``).
        review_budget / block_budget: share of held-out negatives allowed at review / block.

    Raises:
        PackError: a bad label, too few readable photos, no negatives, a bank of another model.
    """
    check_label(label)
    classifier = model if isinstance(model, Classifier) else Classifier(model)
    if label in classifier.labels:
        raise PackError(
            f"the model already predicts {label!r}; a pack adds a new label — choose another "
            f"name (the model's labels: {', '.join(classifier.labels)})."
        )
    confirmed, rejected = _verdict_photos(verdicts, label)
    positives = embed_views(
        classifier, photo_list(photos) + confirmed, views, seed, desc="product photos"
    )
    _warn_skipped(positives.skipped, "product photo")
    twins = float_twins(classifier.model_path)  # hashes the twin file: once
    negative_parts, ordinary = [], []
    if use_bank:
        if not isinstance(bank, NegativeBank):
            accepted = (classifier.sha256, *twins)
            bank = load_negative_bank(bank or bank_path_for(classifier.model_path), accepted)
        rows = np.arange(len(bank))
        negative_parts.append(EmbeddedPhotos(bank.embeddings, rows, np.ones(len(bank), bool)))
        ordinary.append(bank.ordinary)
    own_photos = [photo for folder in negatives for photo in photo_list(folder)] + rejected
    if own_photos:  # the user's negatives (and rejected flags), after the bank's row numbers
        first = len(bank) if use_bank else 0
        own = embed_views(
            classifier, own_photos, NEGATIVE_VIEWS, seed, first_group=first, desc="negatives"
        )
        _warn_skipped(own.skipped, "negative photo")
        negative_parts.append(own)
        ordinary.append(np.ones(len(own.groups), dtype=bool))  # all count against the budget
    if sum(len(p.groups) for p in negative_parts) == 0:
        raise PackError("no negatives: keep the model's bank or pass --negatives DIR.")
    head = fit_head(
        positives.embeddings,
        positives.groups,
        np.concatenate([p.embeddings for p in negative_parts]),
        np.concatenate([p.groups for p in negative_parts]),
        positive_original=positives.original,
        negative_original=np.concatenate([p.original for p in negative_parts]),
        negative_ordinary=np.concatenate(ordinary),
        review_budget=review_budget,
        block_budget=block_budget,
        folds=folds,
        c=c,
        seed=seed,
    )
    return Pack(
        label=label,
        weights=head.weights,
        bias=head.bias,
        thresholds=head.thresholds,
        model_sha256=classifier.sha256,
        model_version=classifier.spec.version,
        also_fits=twins,
        cites_note=cites_note,
        budgets={"review": review_budget, "block": block_budget},
        photos=positives.photos,
        views=len(views),
        negatives=int(sum(len(np.unique(p.groups)) for p in negative_parts)),
        cross_validation=head.cross_validation,
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        wildvision_version=__version__,
    )


def float_twins(model_path: str | os.PathLike) -> tuple[str, ...]:
    """SHA-256s of the other float export beside a model (``NAME.ingraph.onnx`` for
    ``NAME.onnx`` and back): the same weights, embeddings equal within export's check, so a
    pack fits both. An int8 model has none (quantisation moves its embeddings)."""
    from ..integrity import sha256_of
    from ..models import variant_path

    path = Path(model_path)
    if path.name.endswith(".int8.onnx"):
        return ()
    if path.name.endswith(".ingraph.onnx"):
        twin = path.with_name(path.name.removesuffix(".ingraph.onnx") + ".onnx")
    else:
        twin = variant_path(path, "ingraph")
    return (sha256_of(twin),) if twin.is_file() else ()


def build_negative_bank(
    classifier: Classifier,
    photos: Sequence[ImageInput],
    sources: Sequence[str],
    size: int = DEFAULT_BANK_SIZE,
    seed: int = 0,
    labels: Sequence[str] | None = None,
) -> NegativeBank:
    """Embed at most ``size`` of ``photos`` (spread over ``sources`` evenly) as a bank for
    ``classifier``; ``labels`` marks look-alikes (default: every photo ``other``, ordinary).
    Unreadable photos are skipped with a warning."""
    labels = list(labels) if labels is not None else [ORDINARY_LABEL] * len(photos)
    if not len(photos) == len(sources) == len(labels):
        raise PackError(f"{len(photos)} photos but {len(sources)} sources, {len(labels)} labels.")
    chosen = balanced_choice(sources, size, seed)
    embedded = embed_views(classifier, [photos[i] for i in chosen], ("original",), desc="bank")
    _warn_skipped(embedded.skipped, "bank photo")
    kept = chosen[np.unique(embedded.groups)] if len(embedded.groups) else chosen[:0]
    return NegativeBank(
        embedded.embeddings, np.asarray(sources)[kept], classifier.sha256, np.asarray(labels)[kept]
    )


def _verdict_photos(
    verdict_files: Sequence[str | os.PathLike], label: str
) -> tuple[list[ImageInput], list[ImageInput]]:
    """The photos reviewers confirmed as ``label`` and those they judged not a wildlife
    product, from verdict files (conflicting verdicts are warned about and left out)."""
    if not verdict_files:
        return [], []
    from ..verdicts import NOT_WILDLIFE, read_verdicts

    found = read_verdicts(verdict_files)
    for conflict in found.conflicts:
        warnings.warn(f"conflicting verdicts left out: {conflict}", stacklevel=3)
    samples = found.samples()
    confirmed = [s.path for s in samples if s.label == label]
    rejected = [s.path for s in samples if s.label == NOT_WILDLIFE]
    return confirmed, rejected


def _warn_skipped(skipped: list[str], what: str) -> None:
    for reason in skipped:
        warnings.warn(f"skipped a {what}: {reason}", stacklevel=3)
