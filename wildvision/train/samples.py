"""Training data: the photos of configured data sources, and their train/val/test split
(no torch; ``torch_dataset`` turns the samples into tensors).

Reading a manifest or an image folder (``Sample``, ``read_manifest``, ``load_samples``, ...)
lives in ``wildvision.data``, which evaluation uses without the training floor;
this module adds what needs the training config: data sources (``samples_from_source``:
reviewers' verdict files, rendered sets), subsampling, and the split (seeded and stratified,
or ``own_split`` by hash).
"""

from __future__ import annotations

import hashlib
import random
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..data import SPLITS, Sample, load_samples
from ..data import class_counts as class_counts  # re-exported: its old home
from ..errors import ConfigError
from ..runs.config import DataSource
from ..verdicts import is_verdict_file, read_verdicts

SYNTHETIC_PREFIX = "synthetic:"
#: A source made from the training split itself: its carvings re-rendered in other materials.
LOOKALIKES_SOURCE = f"{SYNTHETIC_PREFIX}lookalikes"


def samples_from_source(
    source: DataSource,
    seed: int = 0,
    cache_dir: str | Path = "runs",
    *,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
) -> list[Sample]:
    """The photos of one configured data source: a manifest, a folder, a verdict file of the
    review page (a CSV with a ``verdict_label`` column), or a rendered set.

    A verdict file's photos are split by hash, as an ``own_split`` source's are: a reviewed
    photo keeps its side whatever else is in the data. ``synthetic:graphics`` renders
    ``source.count`` text cards, memes, screenshots and the like (label ``other``) into
    ``cache_dir/.synthetic/`` once, seeded, and reads them back like any manifest.
    """
    verdicts = is_verdict_file(source.source)
    if verdicts:
        found = _verdict_samples(source)
    else:
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
            weights=source.weights,
        )
    if source.name:  # an image-folder tree has no source column: the name is the source
        found = [s if s.source else replace(s, source=source.name) for s in found]
    if source.limit_per_class:
        found = subsample_per_class(found, source.limit_per_class, seed)
    if source.own_split or verdicts:
        found = [
            s if s.split else replace(s, split=hashed_split(s, seed, val_fraction, test_fraction))
            for s in found
        ]
    return found


def _verdict_samples(source: DataSource) -> list[Sample]:
    """The photos of a reviewers' verdict file (``wildvision.verdicts``); photos with
    conflicting verdicts are left out with a warning that lists them."""
    if source.exclude:
        raise ConfigError(
            f"{source.source} is a verdict file: 'exclude' works on manifests only; "
            "remove it (or delete the rows from the verdict file)."
        )
    verdict_set = read_verdicts([source.source])
    if verdict_set.conflicts:
        listed = "; ".join(f"{c.path}: {' vs '.join(c.labels)}" for c in verdict_set.conflicts)
        warnings.warn(
            f"{source.source}: {len(verdict_set.conflicts)} photos have conflicting verdicts "
            f"and are left out of training ({listed}); settle them in the verdict file.",
            UserWarning,
            stacklevel=3,
        )
    found = verdict_set.samples()
    if source.label_map:
        found = [replace(s, label=source.label_map.get(s.label, s.label)) for s in found]
    if source.name:  # the configured name replaces ``verdicts/<file stem>``
        found = [replace(s, source=source.name) for s in found]
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


def lookalike_samples(
    source: DataSource, train: Sequence[Sample], seed: int = 0, cache_dir: str | Path = "runs"
) -> list[Sample]:
    """``synthetic:lookalikes``: the training photos of ``source.from_labels`` re-rendered
    as gilt, bronze, silver, dark wood, jade and ebony (``wildvision.train.materials``),
    label ``other``, training split only; ``count`` of them (default: one per photo)."""
    if not source.from_labels:
        raise ConfigError(
            f"{source.source} needs 'from_labels': the labels whose training photos are "
            "re-rendered in other materials, e.g. [ivory, bone]."
        )
    photos = [s for s in train if s.label in source.from_labels]
    if not photos:
        raise ConfigError(
            f"{source.source}: the training split has no photos of {source.from_labels}; "
            f"its labels are {sorted({s.label for s in train})}."
        )
    from .materials import render_lookalikes

    name = source.name or "synthetic/lookalikes"
    folder = Path(cache_dir) / ".synthetic"
    return render_lookalikes(photos, folder, source.count, seed=seed, source=name)


def _render_synthetic(source: DataSource, seed: int, cache_dir: Path) -> Path:
    kind = source.source[len(SYNTHETIC_PREFIX) :]
    if kind != "graphics":
        raise ConfigError(
            f"unknown synthetic source {source.source!r}; there are "
            f"'{SYNTHETIC_PREFIX}graphics' and '{LOOKALIKES_SOURCE}'."
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
