"""Labelled photos: read an image-folder tree or a CSV manifest (no torch).

A manifest is a CSV with at least ``path`` and ``label`` columns and optionally ``split``
(train/val/test), ``group`` (photos of one object or seller, kept on one side of a split)
and ``source`` (where a photo comes from). Relative paths are taken from the manifest's
folder. Evaluation reads its photos here; training (``wildvision.train.samples``) adds data
sources and splitting on top.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .imaging import IMAGE_EXTENSIONS

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Sample:
    """One labelled photo."""

    path: Path
    label: str
    split: str | None = None
    group: str | None = None
    source: str | None = None  # where the photo comes from (a dataset, a platform)
    weight: float = 1.0  # how often training draws it, relative to its source's other photos


def read_manifest(
    manifest: str | Path,
    *,
    group_column: str = "group",
    label_map: Mapping[str, str] | None = None,
    source_column: str = "source",
    source_prefix: str | None = None,
    exclude: Mapping[str, Sequence[str]] | None = None,
    weights: Mapping[str, Mapping[str, float]] | None = None,
) -> list[Sample]:
    """Read a CSV manifest (``path,label[,split][,group][,source]``); paths are relative to
    its folder.

    Args:
        group_column: the column that groups photos of one object or seller.
        source_column: the column naming where a photo comes from (for ``balance_sources``).
        source_prefix: put in front of each source ("broad" -> "broad/caltech101"), so
            sources of two datasets that share a name stay apart.
        label_map: rename labels on the way in (e.g. ``{"porcelain": "ceramic"}``).
        exclude: drop rows whose column holds one of the values
            (``{"category": ["animal_elephant"]}``).
        weights: draw rows whose column holds a value this many times as often as the
            rest of their source (``{"category": {"menorah": 3}}``); several matches multiply.
    """
    manifest = Path(manifest)
    if not manifest.is_file():
        raise ConfigError(f"manifest {manifest} does not exist; check the data path.")
    try:
        samples = _read_rows(
            manifest, group_column, label_map, source_column, source_prefix, exclude, weights
        )
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(
            f"{manifest} is not a CSV manifest ({exc}); pass a manifest.csv with a "
            "'path,label' header, or a folder with one sub-folder of photos per label."
        ) from None
    if not samples:
        raise ConfigError(f"manifest {manifest} lists no photos.")
    return samples


def _read_rows(
    manifest: Path,
    group_column: str,
    label_map: Mapping[str, str] | None,
    source_column: str,
    source_prefix: str | None,
    exclude: Mapping[str, Sequence[str]] | None,
    weights: Mapping[str, Mapping[str, float]] | None = None,
) -> list[Sample]:
    root = manifest.parent
    label_map = dict(label_map or {})
    samples = []
    with open(manifest, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"path", "label"} - set(reader.fieldnames or [])
        if missing:
            raise ConfigError(
                f"manifest {manifest} lacks column(s) {sorted(missing)}; it needs a header "
                "with at least 'path,label' (optional 'split', 'group')."
            )
        drop = {column: set(values) for column, values in (exclude or {}).items()}
        weights = {column: dict(values) for column, values in (weights or {}).items()}
        for what, columns in (("exclude", drop), ("weight", weights)):
            absent = sorted(set(columns) - set(reader.fieldnames or []))
            if absent:
                raise ConfigError(
                    f"manifest {manifest} has no column(s) {absent} to {what} by; its "
                    f"columns are {reader.fieldnames}."
                )
        for line, row in enumerate(reader, start=2):
            if any((row.get(column) or "").strip() in values for column, values in drop.items()):
                continue
            label = (row["label"] or "").strip()
            if not label or not row["path"]:
                raise ConfigError(f"{manifest}:{line}: empty path or label.")
            split = (row.get("split") or "").strip() or None
            if split is not None and split not in SPLITS:
                raise ConfigError(f"{manifest}:{line}: split {split!r} is not one of {SPLITS}.")
            samples.append(
                Sample(
                    path=root / row["path"],
                    label=label_map.get(label, label),
                    split=split,
                    group=(row.get(group_column) or "").strip() or None,
                    source=_source_name(source_prefix, row.get(source_column)),
                    weight=_row_weight(row, weights),
                )
            )
    return samples


def _row_weight(row: Mapping[str, str], weights: Mapping[str, Mapping[str, float]]) -> float:
    weight = 1.0
    for column, values in weights.items():
        weight *= float(values.get((row.get(column) or "").strip(), 1.0))
    return weight


def _source_name(prefix: str | None, value: str | None) -> str | None:
    value = (value or "").strip() or None
    if prefix and value:
        return f"{prefix}/{value}"
    return prefix or value


def read_image_folder(root: str | Path) -> list[Sample]:
    """Read ``root/<label>/*.jpg`` (one folder per class, searched recursively)."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"image folder {root} does not exist; check the data path.")
    samples = [
        Sample(path=path, label=class_dir.name)
        for class_dir in sorted(p for p in root.iterdir() if p.is_dir())
        for path in sorted(class_dir.rglob("*"))
        if path.suffix.lower() in IMAGE_EXTENSIONS
    ]
    if not samples:
        raise ConfigError(
            f"no images found under {root}; expected one sub-folder per class, e.g. "
            f"{root}/ivory/photo.jpg, or a manifest.csv."
        )
    return samples


def load_samples(source: str | Path, **manifest_options) -> list[Sample]:
    """Read a manifest file, a folder holding ``manifest.csv``, or an image-folder tree."""
    source = Path(source)
    if source.is_file():
        return read_manifest(source, **manifest_options)
    if (source / "manifest.csv").is_file():
        return read_manifest(source / "manifest.csv", **manifest_options)
    return read_image_folder(source)


def class_counts(samples: Iterable[Sample]) -> dict[str, int]:
    """How many photos each label has, sorted by label."""
    return dict(sorted(Counter(s.label for s in samples).items()))
