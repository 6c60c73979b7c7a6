"""Reading manifests and image folders, and splitting without group leakage."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from wildvision.errors import ConfigError
from wildvision.train.data import (
    Sample,
    load_samples,
    read_image_folder,
    read_manifest,
    split_samples,
    subsample_per_class,
)


def write_manifest(path, rows, header=("path", "label", "split", "group")):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def grouped_samples(n_groups=60, per_group=3):
    labels = ["ivory", "ceramic", "other"]
    return [
        Sample(path=f"/x/{g}_{i}.jpg", label=labels[g % 3], group=f"g{g}")
        for g in range(n_groups)
        for i in range(per_group)
    ]


def test_manifest_paths_are_relative_to_its_folder(tmp_path):
    manifest = write_manifest(tmp_path / "m.csv", [["a/1.jpg", "ivory", "train", "obj1"]])
    (sample,) = read_manifest(manifest)
    assert sample == Sample(tmp_path / "a/1.jpg", "ivory", "train", "obj1")


def test_manifest_group_column_and_label_map(tmp_path):
    manifest = write_manifest(
        tmp_path / "m.csv", [["1.jpg", "porcelain", "42"]], header=("path", "label", "object_id")
    )
    (sample,) = read_manifest(
        manifest, group_column="object_id", label_map={"porcelain": "ceramic"}
    )
    assert (sample.label, sample.group, sample.split) == ("ceramic", "42", None)


def test_manifest_errors_name_the_problem(tmp_path):
    with pytest.raises(ConfigError, match="lacks column"):
        read_manifest(write_manifest(tmp_path / "a.csv", [["1.jpg"]], header=("path",)))
    with pytest.raises(ConfigError, match="split 'holdout'"):
        read_manifest(write_manifest(tmp_path / "b.csv", [["1.jpg", "ivory", "holdout", ""]]))
    with pytest.raises(ConfigError, match="does not exist"):
        read_manifest(tmp_path / "missing.csv")


def test_image_folder_reads_one_folder_per_class(photo_folder):
    samples = read_image_folder(photo_folder)
    assert Counter(s.label for s in samples) == {"drink": 12, "animal": 12}
    assert load_samples(photo_folder) == samples


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="no images found"):
        read_image_folder(tmp_path)


def test_split_keeps_each_group_on_one_side():
    splits = split_samples(grouped_samples(), val_fraction=0.2, test_fraction=0.2, seed=3)
    sides = {}
    for name, part in splits.items():
        for s in part:
            assert sides.setdefault(s.group, name) == name, f"group {s.group} leaks"
    assert sum(len(p) for p in splits.values()) == 180


def test_split_is_stratified_and_seeded():
    samples = grouped_samples()
    first = split_samples(samples, val_fraction=0.2, test_fraction=0.2, seed=1)
    assert first == split_samples(samples, val_fraction=0.2, test_fraction=0.2, seed=1)
    assert first != split_samples(samples, val_fraction=0.2, test_fraction=0.2, seed=2)
    for name, share in (("test", 0.2), ("val", 0.2)):
        counts = Counter(s.label for s in first[name])
        for label in ("ivory", "ceramic", "other"):
            assert abs(counts[label] - share * 60) <= 3  # one group of 3 at most off


def test_explicit_split_column_wins():
    samples = [Sample(f"/x/{i}.jpg", "ivory", split="test") for i in range(5)]
    splits = split_samples(samples, seed=0)
    assert len(splits["test"]) == 5 and not splits["train"]


def test_subsample_per_class_caps_every_label():
    capped = subsample_per_class(grouped_samples(), 7, seed=0)
    assert Counter(s.label for s in capped) == {"ivory": 7, "ceramic": 7, "other": 7}


def test_real_museum_manifest_splits_by_object(shared_datasets):
    samples = read_manifest(
        shared_datasets / "museum-ivory" / "manifest.csv", group_column="met_object_id"
    )
    assert Counter(s.label for s in samples) == {"ivory": 1375, "ceramic": 1767, "bone": 195}
    assert all(s.path.is_file() for s in samples[:50])
    splits = split_samples(samples, seed=0)
    groups = {name: {s.group for s in part} for name, part in splits.items()}
    assert not groups["train"] & groups["test"] and not groups["val"] & groups["test"]
    test_share = Counter(s.label for s in splits["test"])["bone"] / 195
    assert 0.12 <= test_share <= 0.18
