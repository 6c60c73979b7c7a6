"""Labelled photos: read an image-folder tree or a CSV manifest, and split them.

A manifest is a CSV with at least ``path`` and ``label`` columns and optionally ``split``
(train/val/test) and ``group`` (photos of one object or seller, kept on one side of a
split). Relative paths are taken from the manifest's folder.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ConfigError
from .config import DataSource

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
SPLITS = ("train", "val", "test")
SYNTHETIC_PREFIX = "synthetic:"


@dataclass(frozen=True)
class Sample:
    """One labelled photo."""

    path: Path
    label: str
    split: str | None = None
    group: str | None = None
    source: str | None = None  # where the photo comes from (a dataset, a platform)


def read_manifest(
    manifest: str | Path,
    *,
    group_column: str = "group",
    label_map: Mapping[str, str] | None = None,
    source_column: str = "source",
    source_prefix: str | None = None,
    exclude: Mapping[str, Sequence[str]] | None = None,
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
    """
    manifest = Path(manifest)
    if not manifest.is_file():
        raise ConfigError(f"manifest {manifest} does not exist; check the data path.")
    try:
        samples = _read_rows(
            manifest, group_column, label_map, source_column, source_prefix, exclude
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
        absent = sorted(set(drop) - set(reader.fieldnames or []))
        if absent:
            raise ConfigError(
                f"manifest {manifest} has no column(s) {absent} to exclude by; its columns "
                f"are {reader.fieldnames}."
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
                )
            )
    return samples


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
        if path.suffix.lower() in IMAGE_SUFFIXES
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


def samples_from_source(
    source: DataSource,
    seed: int = 0,
    cache_dir: str | Path = "runs",
    *,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
) -> list[Sample]:
    """The photos of one configured data source: a manifest, a folder, or a rendered set.

    ``synthetic:graphics`` renders ``source.count`` text cards, memes, screenshots and the
    like (label ``other``) into ``cache_dir/.synthetic/`` once, seeded, and reads them back
    like any manifest.
    """
    path: str | Path = source.source
    if source.source.startswith(SYNTHETIC_PREFIX):
        path = _render_synthetic(source, seed, Path(cache_dir))
    found = load_samples(
        path,
        group_column=source.group_column,
        label_map=source.label_map,
        source_column=source.source_column,
        source_prefix=source.name,
        exclude=source.exclude,
    )
    if source.name:  # an image-folder tree has no source column: the name is the source
        found = [s if s.source else replace(s, source=source.name) for s in found]
    if source.limit_per_class:
        found = subsample_per_class(found, source.limit_per_class, seed)
    if source.own_split:
        found = [
            s if s.split else replace(s, split=hashed_split(s, seed, val_fraction, test_fraction))
            for s in found
        ]
    return found


def hashed_split(sample: Sample, seed: int, val_fraction: float, test_fraction: float) -> str:
    """A split drawn from a hash of (seed, the photo's group or its last three path parts):
    the same photo lands on the same side whatever else is in the data."""
    key = sample.group or "/".join(Path(sample.path).parts[-3:])
    digest = hashlib.sha1(f"{seed}:{key}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    if draw < test_fraction:
        return "test"
    return "val" if draw < test_fraction + val_fraction else "train"


def _render_synthetic(source: DataSource, seed: int, cache_dir: Path) -> Path:
    kind = source.source[len(SYNTHETIC_PREFIX) :]
    if kind != "graphics":
        raise ConfigError(
            f"unknown synthetic source {source.source!r}; the one there is is "
            f"'{SYNTHETIC_PREFIX}graphics'."
        )
    if not source.count or source.count < 1:
        raise ConfigError(f"{source.source} needs 'count': how many images to render.")
    from .synthetic import RENDER_VERSION, render_set

    folder = cache_dir / ".synthetic" / f"graphics-v{RENDER_VERSION}-n{source.count}-seed{seed}"
    return render_set(folder, source.count, seed=seed)


def split_samples(
    samples: Sequence[Sample],
    *,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
) -> dict[str, list[Sample]]:
    """Seeded split into train/val/test, stratified by label, with each group on one side.

    Samples that already carry a ``split`` keep it. Groups (or single photos without a group)
    are shuffled per label and dealt out until each side holds its fraction of that label.
    """
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ConfigError("val_fraction and test_fraction must be in [0, 1) and sum below 1.")
    result: dict[str, list[Sample]] = {name: [] for name in SPLITS}
    unassigned = []
    for sample in samples:
        (result[sample.split] if sample.split else unassigned).append(sample)

    groups: dict[str, list[Sample]] = defaultdict(list)
    for sample in unassigned:
        groups[sample.group or f"path:{sample.path}"].append(sample)
    by_label: dict[str, list[str]] = defaultdict(list)
    for key, members in groups.items():
        majority = Counter(s.label for s in members).most_common(1)[0][0]
        by_label[majority].append(key)

    rng = random.Random(seed)
    for label in sorted(by_label):
        keys = sorted(by_label[label])
        rng.shuffle(keys)
        total = sum(len(groups[k]) for k in keys)
        targets = {"test": test_fraction * total, "val": val_fraction * total}
        counts = {"test": 0, "val": 0}
        for key in keys:
            side = next((s for s in ("test", "val") if counts[s] < targets[s]), "train")
            if side != "train":
                counts[side] += len(groups[key])
            result[side].extend(groups[key])
    return result


def class_counts(samples: Iterable[Sample]) -> dict[str, int]:
    """How many photos each label has, sorted by label."""
    return dict(sorted(Counter(s.label for s in samples).items()))


def subsample_per_class(samples: Sequence[Sample], limit: int, seed: int = 0) -> list[Sample]:
    """At most ``limit`` photos per label, chosen at random (for quick runs and tests)."""
    rng = random.Random(seed)
    by_label: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_label[sample.label].append(sample)
    chosen = []
    for label in sorted(by_label):
        members = list(by_label[label])
        rng.shuffle(members)
        chosen.extend(members[:limit])
    return chosen
