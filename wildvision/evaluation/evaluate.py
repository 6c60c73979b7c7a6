"""Evaluate an exported model on labelled photos, through the same ``Classifier`` users run,
on the clean photos and on the shift test (the same photos rendered as listings)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from .._atomic import atomic_write_text
from .._extras import require_extra
from .._progress import progress
from ..classifier import Classifier
from ..data import Sample, load_samples
from ..errors import ConfigError, ImageError
from ..imaging import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, load_image
from ..metrics import (
    classification_report,
    expected_precision,
    false_flag_table,
    recalls_at_false_flags,
)
from ..prediction import Prediction
from ..taxonomy import ORDINARY_LABEL
from . import REQUIRED
from .effects import render_card_test
from .report import reliability, write_report  # gated on the [eval] extra, as below
from .robustness import robustness_table, write_robustness

require_extra("eval", REQUIRED, "wildvision evaluation")

if TYPE_CHECKING:
    from ..runs.run import Run

#: The files that mark a training run's folder (``Run.is_run_folder``): evaluating one reads
#: its ``splits.csv`` through ``wildvision.runs`` (no torch; PyYAML for its config).
RUN_MARKERS = ("config.yaml", "spec.json")


def evaluate(
    model: str | os.PathLike | Classifier | None,
    data: str | os.PathLike | Run | Sequence[str | os.PathLike | Run],
    *,
    split: str | None = "test",
    group_column: str = "group",
    category_column: str = "category",
    shift: bool = True,
    card: bool = True,
    robustness: bool = False,
    batch_size: int = 32,
    output_dir: str | os.PathLike | None = None,
    tta_flip: bool = False,
    prevalence: float = 0.01,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, Any]:
    """Metrics of ``model`` on ``data``: a training run (a ``Run`` or its folder: its split's
    photos), a manifest, or an image folder; or a list of them, scored together (e.g. a
    run's test split and a stream of real posts, each its own source in the tables).

    Args:
        split: keep only rows of this split when the data has a ``split`` column; ``None``
            uses every row. Data without the column is used whole.
        category_column: the manifest column whose values break the false flags down by
            category (e.g. ``animal_elephant``, ``piano``); ignored when absent.
        shift: also score the shift test (each photo re-rendered as a listing).
        card: also score the card test (each photo on a held-out advertising card, at
            30-70% of its width, half of them with price and slogans).
        robustness: add the robustness table (``clean["robustness"]``; each held-out effect
            of ``effects.EFFECTS`` alone, caught and ordinary flagged at the model's own
            thresholds), and with ``output_dir`` its ``robustness.md`` and ``.png``.
        output_dir: write ``metrics.json`` and ``report.html`` there.
        tta_flip: average each photo's probabilities with its mirror image's (when ``model``
            is not already a ``Classifier``).
        prevalence: the share of wildlife photos in the stream that ``expected_precision``
            is worked out for (a real stream: 1% or less).
        max_pixels, max_bytes: decoding limits (``Classifier``, when ``model`` is not
            already one; the shift and card renderings decode within the classifier's).

    Returns ``{"clean": metrics, "shift": metrics}``; each holds accuracy, macro-F1,
    per-class precision/recall/F1/AUROC/recall at precision 0.9, the confusion matrix, the
    reliability bins and ECE, decision counts, and on the ``other`` photos:

    - ``other_false_flag_rate``: share sent to review or block;
    - ``<label>_recall_at_false_flags``: per wildlife label, ``{"0.01": r, "0.001": r}``,
      the recall at the threshold that flags 1% / 0.1% of the ``other`` photos;
    - ``false_flags_by_source`` / ``false_flags_by_category``: ``{name: {"photos": n,
      "flagged": rate, "blocked": rate}}`` per the manifest's ``source`` and
      ``category_column`` (empty when the data has no such column);
    - ``expected_precision``: ``{"prevalence": p, "<label>": {"flagged": x, "blocked": y}}``,
      the precision of the model's own decisions on a stream with that share of the label.
    """
    if not 0.0 < prevalence < 1.0:
        raise ConfigError(
            f"prevalence is the share of wildlife photos in a stream, in (0, 1); got "
            f"{prevalence!r} (e.g. 0.01 for 1%)."
        )
    classifier = (
        model
        if isinstance(model, Classifier)
        else Classifier(model, tta_flip=tta_flip, max_pixels=max_pixels, max_bytes=max_bytes)
    )
    sources = list(data) if isinstance(data, (list, tuple)) else [data]
    samples: list[Sample] = []
    categories: dict[Path, str] = {}
    for source in sources:
        manifest = _manifest_of(source)
        found = load_samples(manifest, group_column=group_column)
        if split and any(s.split for s in found):
            found = [s for s in found if s.split == split]
        if not found:
            raise ConfigError(f"no photos to evaluate in {manifest} (split={split!r}).")
        samples += found
        categories.update(read_column(manifest, category_column))
    unknown = sorted({s.label for s in samples} - set(classifier.labels))
    if unknown:
        raise ConfigError(f"data labels {unknown} are not model labels {classifier.labels}.")

    conditions: dict[str, Iterable[Any]] = {"clean": [s.path for s in samples]}
    if shift:
        conditions["shift"] = _rendered(samples, "shift", classifier)
    if card:
        conditions["card"] = _rendered(samples, "card", classifier)
    results = {
        name: _score(classifier, samples, inputs, batch_size, name, categories, prevalence)
        for name, inputs in conditions.items()
    }
    summary = {name: result["metrics"] for name, result in results.items()}
    for metrics in summary.values():
        metrics.update(
            model=str(classifier.model_path),
            model_version=classifier.spec.version,
            data=", ".join(str(_manifest_of(source)) for source in sources),
            split=split,
            tta_flip=classifier.tta_flip,
        )
    if robustness:
        summary["clean"]["robustness"] = robustness_table(
            classifier, samples, batch_size=batch_size, progress=_progress
        )
    if output_dir:
        folder = Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / "metrics.json", json.dumps(summary, indent=2))

        def render_error(condition: str, index: int) -> Any:
            photo = samples[index].path
            return photo if condition == "clean" else _render(condition, photo, index, classifier)

        write_report(
            folder / "report.html",
            results,
            classifier.labels,
            f"wildvision evaluation: {Path(str(classifier.model_path)).name}",
            render_error,
        )
        if robustness:
            title = f"{Path(str(classifier.model_path)).name} ({classifier.spec.version})"
            write_robustness(folder, summary["clean"]["robustness"], title)
    return summary


def headline(metrics: dict[str, Any], label: str = "ivory") -> dict[str, Any]:
    """The figures the model card leads with: AUROC and recall at precision 0.9 for
    ``label`` against the rest, its recall when 1% and 0.1% of ordinary photos may be
    flagged (None without ``other`` photos), and the false-flag rate on ``other``."""
    row = metrics["per_class"].get(label, {})
    at_flags = metrics.get(f"{label}_recall_at_false_flags") or {}
    return {
        f"{label}_auroc": row.get("auroc"),
        f"{label}_recall_at_precision_0.9": row.get("recall_at_precision_0.9"),
        f"{label}_recall_at_1pct_false_flags": at_flags.get("0.01"),
        f"{label}_recall_at_0.1pct_false_flags": at_flags.get("0.001"),
        "other_false_flag_rate": metrics.get("other_false_flag_rate"),
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
    }


def headline_cells(h: dict[str, Any], label: str = "ivory") -> str:
    """A ``headline`` as markdown table cells, ``AUROC | recall at precision 0.9 | false
    flags on other``, the way the model card and training/README.md show them."""
    return (
        f"{h[f'{label}_auroc']:.4f} | {h[f'{label}_recall_at_precision_0.9']:.3f} | "
        f"{h['other_false_flag_rate']:.2%}"
    )


def budget_cells(h: dict[str, Any], label: str = "ivory") -> str:
    """A ``headline``'s recall at 1% and at 0.1% false flags on ordinary photos as markdown
    table cells, ``recall@1% | recall@0.1%`` (``n/a`` without ``other`` photos)."""
    cells = (
        h.get(f"{label}_recall_at_1pct_false_flags"),
        h.get(f"{label}_recall_at_0.1pct_false_flags"),
    )
    return " | ".join("n/a" if v is None else f"{v:.3f}" for v in cells)


def read_column(data: str | os.PathLike, column: str) -> dict[Path, str]:
    """One manifest column by photo path (the paths ``load_samples`` gives), for columns
    ``Sample`` does not carry, such as ``category``. Empty when ``data`` is an image
    folder or the manifest has no such column."""
    source = Path(data)
    manifest = source if source.is_file() else source / "manifest.csv"
    if not manifest.is_file():
        return {}
    with open(manifest, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if column not in (reader.fieldnames or []):
            return {}
        return {
            manifest.parent / row["path"]: (row.get(column) or "").strip()
            for row in reader
            if row.get("path")
        }


def _manifest_of(data: str | os.PathLike | Run) -> str | os.PathLike:
    """``data`` as ``load_samples`` reads it: a training run (a ``Run``, or a folder holding a
    run's config or spec) gives its ``splits.csv``; a manifest or an image folder is itself.

    ``wildvision.runs`` (PyYAML) is imported only for a run; neither needs torch."""
    is_path = isinstance(data, (str, os.PathLike))
    if is_path and not any((Path(data) / name).is_file() for name in RUN_MARKERS):
        return data
    from ..runs.run import Run

    return Run.open(data).splits_path


def _render(condition: str, photo: Any, index: int, classifier: Classifier) -> Image.Image:
    """Photo ``index`` as the ``shift`` or ``card`` test shows it (decoded in full, within the
    classifier's ``max_pixels`` and ``max_bytes``)."""
    image = load_image(photo, max_pixels=classifier.max_pixels, max_bytes=classifier.max_bytes)
    if condition == "shift":
        from .shift import render_shifted

        return render_shifted(image, index)
    return render_card_test(image, index)


def _rendered(samples: Sequence[Sample], condition: str, classifier: Classifier) -> Iterable[Any]:
    """Shift- or card-test renderings, made lazily; an unreadable photo passes through to
    fail later, as an error row."""
    for index, sample in enumerate(samples):
        try:
            yield np.asarray(_render(condition, sample.path, index, classifier))
        except ImageError:
            yield sample.path


def _progress(items: Iterable[Any], total: int, desc: str) -> Iterable[Any]:
    """A bar on stderr when it is a terminal (``wildvision._progress``), else none."""
    return progress(items, total=total, desc=desc)


def _score(
    classifier: Classifier,
    samples: Sequence[Sample],
    inputs: Iterable[Any],
    batch_size: int,
    name: str,
    categories: Mapping[Path, str] | None = None,
    prevalence: float = 0.01,
) -> dict[str, Any]:
    labels = classifier.labels
    predictions: list[Prediction] = list(
        _progress(
            classifier.predict_batch(inputs, batch_size=batch_size),
            total=len(samples),
            desc=f"evaluating ({name})",
        )
    )
    kept = [i for i, p in enumerate(predictions) if p.ok]
    targets = np.array([labels.index(samples[i].label) for i in kept], dtype=np.int64)
    probabilities = np.array([[predictions[i].scores[k] for k in labels] for i in kept])
    probabilities = probabilities.reshape(-1, len(labels))
    metrics = classification_report(targets, probabilities, labels)
    decisions: dict[str, int] = {}
    for i in kept:
        decisions[predictions[i].decision] = decisions.get(predictions[i].decision, 0) + 1
    decided = np.array([predictions[i].decision for i in kept], dtype=object)
    flagged, blocked = decided != "allow", decided == "block"
    ordinary = np.array([samples[i].label == ORDINARY_LABEL for i in kept], dtype=bool)
    wildlife = classifier.spec.wildlife_labels
    metrics.update(
        reliability=reliability(probabilities, targets),
        decisions=decisions,
        errors=[
            {"path": str(samples[i].path), "error": p.error}
            for i, p in enumerate(predictions)
            if not p.ok
        ],
        other_false_flag_rate=float(flagged[ordinary].mean()) if ordinary.any() else None,
        other_block_rate=float(blocked[ordinary].mean()) if ordinary.any() else None,
        caught=_caught(targets, labels, wildlife, flagged, blocked),
        **recalls_at_false_flags(probabilities, targets, labels, wildlife, ordinary),
        false_flags_by_source=_false_flags_by(
            [samples[i].source for i in kept], ordinary, flagged, blocked
        ),
        false_flags_by_category=_false_flags_by(
            [(categories or {}).get(samples[i].path) for i in kept], ordinary, flagged, blocked
        ),
        expected_precision=_expected_precision(
            prevalence, targets, labels, wildlife, ordinary, flagged, blocked
        ),
    )
    return {
        "metrics": metrics,
        "targets": targets,
        "probabilities": probabilities,
        "sources": [str(samples[i].path) for i in kept],
    }


def _false_flags_by(
    names: Sequence[str | None], ordinary: np.ndarray, flagged: np.ndarray, blocked: np.ndarray
) -> dict[str, dict[str, Any]]:
    """``false_flag_table`` of the ordinary photos by ``names`` (a missing name reads
    ``(none)``); empty when no photo has a name (the data lacks the column)."""
    if not any(names):
        return {}
    rows = np.flatnonzero(ordinary)
    return false_flag_table(
        [names[i] or "(none)" for i in rows], flagged[rows].tolist(), blocked[rows].tolist()
    )


def _caught(
    targets: np.ndarray,
    labels: Sequence[str],
    wildlife_labels: Sequence[str],
    flagged: np.ndarray,
    blocked: np.ndarray,
) -> dict[str, dict[str, float | None]]:
    """Per wildlife label, the share of its photos the model's decisions flag (review or
    block) and block: recall at the model's own operating point, guard included."""
    caught = {}
    for label in wildlife_labels:
        positive = targets == list(labels).index(label)
        caught[label] = {
            key: float(hit[positive].mean()) if positive.any() else None
            for key, hit in (("flagged", flagged), ("blocked", blocked))
        }
    return caught


def _expected_precision(
    prevalence: float,
    targets: np.ndarray,
    labels: Sequence[str],
    wildlife_labels: Sequence[str],
    ordinary: np.ndarray,
    flagged: np.ndarray,
    blocked: np.ndarray,
) -> dict[str, Any]:
    """Per wildlife label, the precision of the model's decisions (flagged = review or
    block, and blocked) on a stream of ``prevalence`` of that label and ordinary photos."""
    result: dict[str, Any] = {"prevalence": prevalence}
    for label in wildlife_labels:
        positive = targets == list(labels).index(label)
        row = {}
        for key, hit in (("flagged", flagged), ("blocked", blocked)):
            recall = float(hit[positive].mean()) if positive.any() else None
            false_flags = float(hit[ordinary].mean()) if ordinary.any() else None
            row[key] = expected_precision(prevalence, recall, false_flags)
        result[label] = row
    return result
