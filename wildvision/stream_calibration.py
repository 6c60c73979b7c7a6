"""Calibrate on your own stream: refit a model's thresholds to a random sample of a
platform's posts, so that at most a budget of them is flagged, and write a new model file.

The model scores the sample once (``score_sample``); thresholds are chosen on those scores
(``wildvision.stream_thresholds``) and written into a copy of the model's spec, with a record
of where they came from appended to ``spec.calibrations``. The weights are copied byte for
byte (``wildvision.onnx_metadata``); ``Classifier``, ``scan``, ``serve`` and the Node example
read the thresholds from the new file as from any other. Numpy and onnxruntime only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .calibrated_files import output_paths, write_models
from .classifier import Classifier
from .errors import CalibrationError, CalibrationWarning
from .fetching import FetchOptions
from .integrity import sha256_of, update_sums
from .models import resolve_model_path
from .pack_file import load_pack
from .prediction import Prediction
from .scanning import classify_items
from .sources import iter_source
from .spec import ModelSpec
from .stream_thresholds import (
    SampleScores,
    check_budgets,
    decision_shares,
    fit_stream_thresholds,
    photos_needed,
    thresholds_json,
)

logger = logging.getLogger(__name__)

#: More than this share of a sample flagged under the model's current thresholds: not a
#: random stream (a list of reported or pre-selected listings), refused unless allowed.
MAX_FLAGGED_BEFORE = 0.20
#: How many unreadable photos a warning names (all of them go to the log).
NAMED_ERRORS = 5


@dataclass(frozen=True)
class StreamCalibration:
    """What ``calibrate_stream`` wrote and why.

    Attributes:
        output: the calibrated model file.
        written: every file written (the model, its in-graph twin, packs, ``SHA256SUMS``).
        spec: the calibrated model's spec; ``spec.calibrations[-1]`` is this calibration.
        errors: (photo, why) for the sample's photos that could not be read (skipped).
        notes: what the user must know or do (variants left as they were, history kept).
    """

    output: Path
    written: tuple[Path, ...]
    spec: ModelSpec
    errors: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def record(self) -> dict[str, Any]:
        return dict(self.spec.calibrations[-1])

    def report(self) -> str:
        """A few lines for people: the sample, shares before and after, files written."""
        r = self.record
        sample, before, after = r["sample"], r["before"], r["after"]
        lines = [
            f"sample: {sample['photos']} photos (sha256 {sample['sha256'][:16]}…), "
            f"{sample['undecodable']} unreadable skipped",
            f"flagged {before['flagged']:.2%} -> {after['flagged']:.2%} of the sample "
            f"(budget {r['budgets']['review']:.2%}); blocked {before['blocked']:.2%} -> "
            f"{after['blocked']:.2%} (budget {r['budgets']['block']:.2%})",
            f"thresholds: {r['thresholds']}" + (f"; packs {r['packs']}" if r.get("packs") else ""),
            *(
                f"wrote {path}" + (f" (sha256 {sha256_of(path)})" if path.suffix == ".onnx" else "")
                for path in self.written
            ),
            *(f"note: {note}" for note in self.notes),
        ]
        return "\n".join(lines)


def score_sample(
    classifier: Classifier,
    sample: str | os.PathLike | Iterable[str],
    *,
    batch_size: int = 32,
    fetch: FetchOptions | None = None,
) -> SampleScores:
    """Score every photo of ``sample`` once: a folder, a path list, a listings table (see
    ``wildvision.sources``) or an iterable of paths and URLs. Unreadable photos are kept in
    ``errors`` and left out of the rows."""
    items = iter_source(sample) if isinstance(sample, (str, os.PathLike)) else sample
    paths = (getattr(item, "path", item) for item in items)
    results = classify_items(classifier, paths, batch_size=batch_size, fetch=fetch, start=_digest)
    return sample_of(((p, digest) for _, p, digest in results), classifier)


def sample_of(
    predictions: Iterable[tuple[Prediction, str | None]], classifier: Classifier
) -> SampleScores:
    """``SampleScores`` from ``(prediction, photo digest)`` pairs of ``classifier``'s
    predictions (failed ones become ``errors``)."""
    labels = (*classifier.spec.wildlife_labels, *classifier.pack_labels)
    rows, guard, digests, errors = [], [], [], []
    for prediction, digest in predictions:
        if not prediction.ok:
            errors.append((prediction.source or "?", prediction.error or ""))
            continue
        rows.append([prediction.scores[label] for label in labels])
        distance = prediction.guard_distance
        guard.append(np.nan if distance is None else distance)
        digests.append(digest or "")
    scores = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(labels))
    return SampleScores(
        labels, scores, np.asarray(guard, dtype=np.float64), tuple(digests), tuple(errors)
    )


def calibrate_stream(
    model: str | os.PathLike | None,
    sample: str | os.PathLike | Iterable[str],
    *,
    output: str | os.PathLike,
    review_budget: float = 0.01,
    block_budget: float = 0.001,
    packs: Sequence[str | os.PathLike] = (),
    allow_small: bool = False,
    allow_skewed: bool = False,
    batch_size: int = 32,
    fetch: FetchOptions | None = None,
) -> StreamCalibration:
    """Refit ``model``'s thresholds (and each pack's) so that at most ``review_budget`` of
    the sample is flagged and ``block_budget`` blocked; write the calibrated model to
    ``output`` (its in-graph twin and packs beside it). Nothing is overwritten in place.

    Args:
        model: an ``.onnx`` file or a shipped model name (None: the shipped default).
        sample: a random sample of the stream: a folder, a ``.txt`` of paths, a listings
            table, or an iterable of paths (unlabelled; wildlife must be far rarer than the
            budget).
        output: the calibrated model file (``.onnx``), not the model itself.
        packs: pack files built for ``model``; each is calibrated with the model's labels
            and written as ``OUTPUT_STEM.LABEL.wvpack``, fitting the new file.
        allow_small: go on (with a warning) with fewer than ``photos_needed`` photos.
        allow_skewed: go on (with a warning) when more than ``MAX_FLAGGED_BEFORE`` of the
            sample is flagged already (e.g. a second stage behind a keyword filter).

    Raises:
        CalibrationError: the sample is too small or not a stream (and not allowed), no photo
            could be read, or an output would overwrite an input.
        ConfigError: a budget out of range. ModelError, PackError: unusable inputs.
    """
    check_budgets(review_budget, block_budget)
    model_path = resolve_model_path(model, "fp32")
    pack_list = [load_pack(p) for p in packs]
    targets = output_paths(model_path, Path(output), [Path(p) for p in packs], pack_list)
    needed = photos_needed(review_budget, block_budget)
    if isinstance(sample, (str, os.PathLike)) and not allow_small:  # fail before scoring
        count = sum(1 for _ in iter_source(sample))
        _check_size(count, needed, review_budget, block_budget, False, "in the source")
    classifier = Classifier(model_path, packs=pack_list)
    spec = classifier.spec
    notes = []
    if spec.calibrations:
        notes.append(_already_calibrated(model_path, spec))
    scored = score_sample(classifier, sample, batch_size=batch_size, fetch=fetch)
    if scored.errors:
        _warn_unreadable(scored.errors)
    if len(scored) == 0:
        raise CalibrationError("no photo of the sample could be read; check the sample's paths.")
    small = _check_size(len(scored), needed, review_budget, block_budget, allow_small, "readable")
    before = decision_shares(scored, spec, pack_list)
    skewed = _check_stream(before["flagged"], allow_skewed)
    fit = fit_stream_thresholds(
        scored, spec, pack_list, review_budget=review_budget, block_budget=block_budget
    )
    record = {
        "method": "stream",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wildvision_version": __version__,
        "model_sha256": classifier.sha256,
        "sample": {
            "photos": len(scored),
            "sha256": scored.sha256,
            "undecodable": len(scored.errors),
            "photos_needed": needed,
            "small_allowed": small,
            "skewed_allowed": skewed,
        },
        "budgets": {"review": review_budget, "block": block_budget},
        "before": before,
        "after": {"flagged": fit.flagged, "blocked": fit.blocked},
        "previous_thresholds": thresholds_json(spec.thresholds),
        "previous_budgets": dict(spec.budgets) if spec.budgets is not None else None,
        "thresholds": thresholds_json(fit.thresholds),
    }
    if pack_list:
        record["packs"] = {
            p.label: {
                "previous": thresholds_json({"t": p.thresholds})["t"],
                "thresholds": thresholds_json({"t": fit.pack_thresholds[p.label]})["t"],
            }
            for p in pack_list
        }
    new_spec = spec.with_updates(
        thresholds=fit.thresholds,
        budgets={"review": review_budget, "block": block_budget},
        calibrations=(*spec.calibrations, record),
    )
    written, more_notes = write_models(model_path, classifier.sha256, spec, new_spec, targets)
    notes += more_notes
    digests = {p: sha256_of(p) for p in written}
    for pack, path in zip(pack_list, targets["packs"]):
        new = replace(
            pack,
            thresholds=fit.pack_thresholds[pack.label],
            model_sha256=digests[written[0]],
            also_fits=tuple(
                dict.fromkeys([*list(digests.values())[1:], pack.model_sha256, *pack.also_fits])
            ),
            budgets={"review": review_budget, "block": block_budget},
        )
        written.append(new.save(path))
    sums = update_sums([p for p in written if p.suffix == ".onnx"])
    if sums is not None:
        written.append(sums)
        notes.append(f"updated {sums} with the new files' SHA-256")
    return StreamCalibration(
        targets["model"], tuple(written), new_spec, scored.errors, tuple(notes)
    )


def _check_size(
    count: int, needed: int, review: float, block: float, allow: bool, what: str
) -> bool:
    """Raise (or warn, when allowed) if ``count`` photos are too few; True if too few."""
    if count >= needed:
        return False
    budget = min(b for b in (review, block) if b > 0)
    message = (
        f"{count} photos {what}, but a budget of {budget:.2%} needs about {needed:,} (ten "
        f"photos above the threshold) for the share on the stream to land near it: add about "
        f"{needed - count:,} more photos of the stream"
    )
    fix = (
        ", or pass --allow-small (allow_small=True) to calibrate anyway, knowing the share "
        "flagged on the stream may be far from the budget."
    )
    return _refuse_or_warn(message, fix, allow)


def _check_stream(flagged: float, allow: bool) -> bool:
    """Refuse (or warn, when allowed) a sample that looks selected, not random."""
    if flagged <= MAX_FLAGGED_BEFORE:
        return False
    message = (
        f"{flagged:.1%} of the sample is flagged under the model's current thresholds (more "
        f"than {MAX_FLAGGED_BEFORE:.0%}): a random sample of posts is nearly all ordinary, so "
        "this looks like reported or pre-selected listings, and thresholds fitted to it would "
        "not hold on the stream"
    )
    fix = (
        ". Sample at random from all posts, or pass --allow-skewed (allow_skewed=True) if the "
        "model only ever sees such posts (e.g. behind a filter)."
    )
    return _refuse_or_warn(message, fix, allow)


def _refuse_or_warn(message: str, fix: str, allow: bool) -> bool:
    """Raise ``CalibrationError`` (``message`` and the ``fix``), or warn when allowed."""
    if not allow:
        raise CalibrationError(message + fix)
    warnings.warn(message + "; calibrating anyway (allowed).", CalibrationWarning, stacklevel=4)
    return True


def _already_calibrated(model: Path, spec: ModelSpec) -> str:
    last = spec.calibrations[-1]
    note = (
        f"{model} was calibrated on a stream before ({len(spec.calibrations)} time(s), the "
        f"latest on {last.get('date', '?')}): the new thresholds replace those (they are fitted "
        "on the model's scores, which thresholds do not change) and this calibration is "
        "appended to the history in spec.calibrations"
    )
    warnings.warn(note, CalibrationWarning, stacklevel=3)
    return note


def _warn_unreadable(errors: Sequence[tuple[str, str]]) -> None:
    for source, error in errors:
        logger.info("skipped unreadable photo %s: %s", source, error)
    named = "; ".join(error for _, error in errors[:NAMED_ERRORS])
    more = f" and {len(errors) - NAMED_ERRORS} more" if len(errors) > NAMED_ERRORS else ""
    warnings.warn(
        f"{len(errors)} photo{'s' if len(errors) != 1 else ''} of the sample could not be read "
        f"and were skipped ({named}{more})",
        CalibrationWarning,
        stacklevel=3,
    )


def _digest(image: Any) -> str | None:
    """The SHA-256 of a photo's bytes (a path is read; a fetched photo is its bytes)."""
    try:
        if isinstance(image, (bytes, bytearray)):
            return hashlib.sha256(image).hexdigest()
        return sha256_of(image)
    except (OSError, TypeError, ValueError):
        return None
