"""Reading manifests and image folders, and splitting without group leakage."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from wildvision.data import Sample, load_samples, read_image_folder, read_manifest
from wildvision.errors import ConfigError

pytest.importorskip("yaml", reason="the training config needs PyYAML ([train] or [eval])")
from wildvision.train.samples import split_samples, subsample_per_class  # noqa: E402


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


def test_an_image_folder_takes_the_files_a_scan_takes(tmp_path):
    from wildvision.sources import iter_images

    for name in ("a.jpg", "b.JFIF", "c.webp", "notes.txt", "d.jpeg"):
        (tmp_path / "ivory").mkdir(exist_ok=True)
        (tmp_path / "ivory" / name).write_bytes(b"")
    found = [s.path for s in read_image_folder(tmp_path)]
    assert found == list(iter_images(tmp_path)) and len(found) == 4  # .jfif too, not .txt


def test_a_photo_is_no_manifest(tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a jpeg's first bytes")
    with pytest.raises(ConfigError, match="is not a CSV manifest"):
        load_samples(photo)


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


# --- data sources: exclusions, source names, rendered graphics ---------------------------


def broad_like_manifest(tmp_path):
    header = ("path", "label", "category", "source")
    rows = [
        ("a.jpg", "other", "animal_elephant", "caltech101"),
        ("b.jpg", "other", "Faces", "caltech101"),
        ("c.jpg", "other", "painting", "dvscripts"),
        ("d.jpg", "other", "artwork", ""),
    ]
    return write_manifest(tmp_path / "manifest.csv", rows, header)


def test_exclude_drops_rows_by_column_value(tmp_path):
    from wildvision.train.config import DataSource
    from wildvision.train.samples import samples_from_source

    broad_like_manifest(tmp_path)
    source = DataSource(str(tmp_path), exclude={"category": ["animal_elephant", "painting"]})
    assert [s.path.name for s in samples_from_source(source)] == ["b.jpg", "d.jpg"]


def test_exclude_names_a_missing_column(tmp_path):
    from wildvision.train.config import DataSource
    from wildvision.train.samples import samples_from_source

    broad_like_manifest(tmp_path)
    with pytest.raises(ConfigError, match=r"no column\(s\) \['kind'\]"):
        samples_from_source(DataSource(str(tmp_path), exclude={"kind": ["x"]}))


def test_a_source_name_keeps_two_datasets_apart(tmp_path):
    from wildvision.train.config import DataSource
    from wildvision.train.samples import samples_from_source

    broad_like_manifest(tmp_path)
    sources = [s.source for s in samples_from_source(DataSource(str(tmp_path), name="broad"))]
    assert sources == ["broad/caltech101", "broad/caltech101", "broad/dvscripts", "broad"]
    by_category = samples_from_source(DataSource(str(tmp_path), source_column="category"))
    assert [s.source for s in by_category][:2] == ["animal_elephant", "Faces"]


def test_an_image_folder_takes_the_source_name(photo_folder):
    from wildvision.train.config import DataSource
    from wildvision.train.samples import samples_from_source

    found = samples_from_source(DataSource(str(photo_folder), name="mine"))
    assert {s.source for s in found} == {"mine"}


def test_synthetic_graphics_render_once_into_the_cache(tmp_path):
    from wildvision.train.config import DataSource
    from wildvision.train.samples import samples_from_source

    source = DataSource("synthetic:graphics", count=12)
    first = samples_from_source(source, seed=3, cache_dir=tmp_path)
    assert len(first) == 12 and {s.label for s in first} == {"other"}
    assert {s.source for s in first} == {"synthetic"} and all(s.path.is_file() for s in first)
    assert samples_from_source(source, seed=3, cache_dir=tmp_path) == first
    with pytest.raises(ConfigError, match="needs 'count'"):
        samples_from_source(DataSource("synthetic:graphics"), cache_dir=tmp_path)
    with pytest.raises(ConfigError, match="synthetic:graphics"):
        samples_from_source(DataSource("synthetic:faces", count=3), cache_dir=tmp_path)


def test_a_source_with_its_own_split_leaves_the_others_split_alone(tmp_path, photo_folder):
    from wildvision.train.config import load_config
    from wildvision.train.trainer import gather_splits

    extra = {"source": "synthetic:graphics", "count": 20, "own_split": True}
    common = {"val_fraction": 0.25, "test_fraction": 0.25, "output_dir": str(tmp_path)}
    alone = gather_splits(load_config(None, data=[str(photo_folder)], **common))
    mixed = gather_splits(load_config(None, data=[str(photo_folder), extra], **common))
    for split in ("train", "val", "test"):
        rendered = [s for s in mixed[split] if s.source == "synthetic"]
        assert [s for s in mixed[split] if s.source != "synthetic"] == alone[split]
        assert 0 < len(rendered) < 20 or split == "train"
    again = gather_splits(load_config(None, data=[str(photo_folder), extra], **common))
    assert again == mixed  # the hash split is stable


def test_weights_raise_a_category_within_its_source_and_leave_the_split(tmp_path):
    from wildvision.train.config import DataSource
    from wildvision.train.samples import samples_from_source

    broad_like_manifest(tmp_path)
    plain = samples_from_source(DataSource(str(tmp_path)))
    weighted = samples_from_source(
        DataSource(str(tmp_path), weights={"category": {"painting": 3, "Faces": 0.5}})
    )
    assert [s.weight for s in plain] == [1.0] * 4
    by_name = {s.path.name: s.weight for s in weighted}
    assert by_name == {"a.jpg": 1.0, "b.jpg": 0.5, "c.jpg": 3.0, "d.jpg": 1.0}
    assert [(s.path, s.label, s.split, s.source) for s in weighted] == [
        (s.path, s.label, s.split, s.source) for s in plain
    ]
    with pytest.raises(ConfigError, match=r"no column\(s\) \['kind'\] to weight by"):
        samples_from_source(DataSource(str(tmp_path), weights={"kind": {"x": 2}}))


def test_lookalikes_come_from_training_photos_only(tmp_path, photo_folder):
    from wildvision.train.config import load_config
    from wildvision.train.trainer import gather_splits

    extra = {"source": "synthetic:lookalikes", "from_labels": ["animal"], "count": 9}
    common = {"val_fraction": 0.25, "test_fraction": 0.25, "output_dir": str(tmp_path)}
    alone = gather_splits(load_config(None, data=[str(photo_folder)], **common))
    mixed = gather_splits(load_config(None, data=[str(photo_folder), extra], **common))
    made = [s for s in mixed["train"] if s.source == "synthetic/lookalikes"]
    assert len(made) == 9 and {s.label for s in made} == {"other"}
    assert [s for s in mixed["train"] if s not in made] == alone["train"]
    assert mixed["val"] == alone["val"] and mixed["test"] == alone["test"]
    with open(made[0].path.parent.parent / "manifest.csv") as handle:
        origins = {row["origin"] for row in csv.DictReader(handle)}
    animals = {str(s.path) for s in alone["train"] if s.label == "animal"}
    assert origins <= animals and len(origins) == 6  # nine renders of the six training cats
    again = gather_splits(load_config(None, data=[str(photo_folder), extra], **common))
    assert again == mixed  # read back from the cache, the same files


def test_lookalikes_need_labels_that_the_training_split_has(tmp_path, photo_folder):
    from wildvision.train.config import load_config
    from wildvision.train.trainer import gather_splits

    for source, message in (
        ({"source": "synthetic:lookalikes"}, "needs 'from_labels'"),
        ({"source": "synthetic:lookalikes", "from_labels": ["ivory"]}, "no photos of"),
    ):
        config = load_config(None, data=[str(photo_folder), source], output_dir=str(tmp_path))
        with pytest.raises(ConfigError, match=message):
            gather_splits(config)


def reviewed_photos(tmp_path, photo_folder):
    """A review page's verdicts.csv over ``photo_folder``: 8 cat crops confirmed as ivory,
    6 coffee crops rejected, one coffee crop in conflict and one unsure."""
    from wildvision.verdicts import VERDICT_COLUMNS

    cats = sorted((photo_folder / "animal").glob("*.jpg"))[:8]
    coffees = sorted((photo_folder / "drink").glob("*.jpg"))
    rows = [(cat, "ivory") for cat in cats] + [(cup, "other") for cup in coffees[:6]]
    rows += [(coffees[6], "ivory"), (coffees[6], "other"), (coffees[7], "unsure")]
    path = tmp_path / "verdicts.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(VERDICT_COLUMNS)
        for i, (photo, verdict) in enumerate(rows):
            writer.writerow([f"l{i}", photo, verdict, "ivory", 0.9, "0.3.0", ""])
    return path


def test_a_verdict_file_is_a_data_source_split_by_hash(tmp_path, photo_folder):
    from dataclasses import replace

    from wildvision.data import SPLITS
    from wildvision.train.config import DataSource
    from wildvision.train.samples import hashed_split, samples_from_source

    path = reviewed_photos(tmp_path, photo_folder)
    fractions = {"val_fraction": 0.25, "test_fraction": 0.25}
    with pytest.warns(UserWarning, match=r"1 photos have conflicting verdicts.*06.jpg: ivory vs"):
        found = samples_from_source(DataSource(str(path)), seed=1, **fractions)
    assert Counter(s.label for s in found) == {"ivory": 8, "other": 6}
    assert {s.source for s in found} == {"verdicts/verdicts"}
    assert {s.split for s in found} == set(SPLITS)  # every photo has a side: by hash
    assert [s.split for s in found] == [
        hashed_split(replace(s, split=None), 1, 0.25, 0.25) for s in found
    ]
    with pytest.warns(UserWarning, match="conflicting verdicts"):
        named = samples_from_source(
            DataSource(str(path), name="reviews", label_map={"other": "ordinary"}), seed=1
        )
    assert {s.source for s in named} == {"reviews"}
    assert Counter(s.label for s in named) == {"ivory": 8, "ordinary": 6}
    with pytest.raises(ConfigError, match="'exclude' works on manifests only"):
        samples_from_source(DataSource(str(path), exclude={"listing_id": ["l1"]}))


def test_training_takes_a_verdict_file_beside_other_data(tmp_path, photo_folder):
    from wildvision.train.config import load_config
    from wildvision.train.trainer import gather_splits

    path = reviewed_photos(tmp_path, photo_folder)
    config = load_config(None, data=[str(photo_folder), str(path)], output_dir=str(tmp_path))
    with pytest.warns(UserWarning, match="conflicting verdicts"):
        splits = gather_splits(config)
    everything = [s for part in splits.values() for s in part]
    reviewed = Counter(s.label for s in everything if s.source == "verdicts/verdicts")
    assert reviewed == {"ivory": 8, "other": 6}
    assert Counter(s.label for s in everything if s.source is None) == {"animal": 12, "drink": 12}
