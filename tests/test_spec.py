"""The model spec: JSON round trip, derived values, defaults and refusals."""

from __future__ import annotations

import json
import math

import pytest

import wildvision
from wildvision.errors import ModelError
from wildvision.spec import (
    DEFAULT_BLOCK_THRESHOLD,
    DEFAULT_REVIEW_THRESHOLD,
    SCHEMA_VERSION,
    ModelSpec,
    Thresholds,
)
from wildvision.taxonomy import WILDLIFE_LABELS

LABELS = ("ivory", "rhino_horn", "bone", "ceramic", "other")


def full_spec() -> ModelSpec:
    return ModelSpec(
        labels=("ivory", "pangolin_scale", "shark_fin", "bone", "other"),
        model_name="tf_efficientnet_lite2",
        version="1.2.3",
        input_size=260,
        interpolation="bilinear",
        crop_pct=0.9,
        mean=(0.485, 0.456, 0.406),
        std=(0.229, 0.224, 0.225),
        temperature=1.7,
        wildlife_labels=("ivory", "pangolin_scale", "shark_fin"),
        thresholds={"ivory": Thresholds(block=0.8, review=0.4), "shark_fin": Thresholds(0.95, 0.6)},
    )


def test_json_round_trip_gives_an_equal_spec():
    spec = full_spec()
    text = spec.to_json()
    again = ModelSpec.from_json(text)
    assert again == spec
    assert again.to_json() == text
    assert ModelSpec.from_dict(json.loads(text)) == spec


def test_round_trip_keeps_every_value():
    spec = full_spec()
    data = json.loads(spec.to_json())
    assert data["labels"] == list(spec.labels)
    assert data["input_size"] == 260
    assert data["interpolation"] == "bilinear"
    assert data["crop_pct"] == 0.9
    assert data["mean"] == [0.485, 0.456, 0.406]
    assert data["std"] == [0.229, 0.224, 0.225]
    assert data["temperature"] == 1.7
    assert data["wildlife_labels"] == ["ivory", "pangolin_scale", "shark_fin"]
    assert data["thresholds"]["ivory"] == {"block": 0.8, "review": 0.4}
    assert data["thresholds"]["shark_fin"] == {"block": 0.95, "review": 0.6}
    assert data["schema_version"] == SCHEMA_VERSION
    again = ModelSpec.from_json(spec.to_json())
    assert isinstance(again.labels, tuple)
    assert isinstance(again.mean, tuple) and isinstance(again.std, tuple)
    assert all(isinstance(t, Thresholds) for t in again.thresholds.values())


def test_resize_size_is_timms_floor_of_size_over_crop_pct():
    spec = ModelSpec(labels=LABELS)
    assert (spec.input_size, spec.crop_pct) == (224, 0.875)
    assert spec.resize_size == math.floor(224 / 0.875) == 256
    assert ModelSpec(labels=LABELS, input_size=260, crop_pct=0.9).resize_size == 288
    assert ModelSpec(labels=LABELS, input_size=240, crop_pct=1.0).resize_size == 240


def test_wildlife_labels_default_to_the_taxonomy():
    spec = ModelSpec(labels=("shark_fin", *LABELS))
    assert spec.wildlife_labels == ("ivory", "rhino_horn")
    assert set(spec.wildlife_labels) == set(spec.labels) & WILDLIFE_LABELS


def test_declared_wildlife_labels_win_over_the_taxonomy():
    spec = ModelSpec(labels=("shark_fin", *LABELS), wildlife_labels=["shark_fin", "ivory"])
    assert spec.wildlife_labels == ("shark_fin", "ivory")


def test_thresholds_default_for_wildlife_labels_only():
    spec = ModelSpec(
        labels=LABELS,
        thresholds={"ivory": {"block": 0.9, "review": 0.7}, "bone": Thresholds(0.6, 0.2)},
    )
    assert set(spec.thresholds) == {"ivory", "rhino_horn"}
    assert spec.thresholds["ivory"] == Thresholds(block=0.9, review=0.7)
    default = Thresholds(block=DEFAULT_BLOCK_THRESHOLD, review=DEFAULT_REVIEW_THRESHOLD)
    assert spec.thresholds["rhino_horn"] == default


def test_with_updates_revalidates():
    spec = ModelSpec(labels=LABELS)
    assert spec.with_updates(temperature=2.0).temperature == 2.0
    assert spec.temperature == 1.0
    with pytest.raises(ModelError, match="temperature"):
        spec.with_updates(temperature=0.0)


def test_model_error_is_exported_and_a_value_error():
    assert wildvision.ModelError is ModelError
    assert issubclass(ModelError, wildvision.WildvisionError)
    assert issubclass(ModelError, ValueError)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"labels": ("ivory", "bone", "ivory")}, "unique"),
        ({"labels": ()}, "non-empty"),
        ({"labels": ("ivory", "")}, "non-empty"),
        ({"interpolation": "area"}, "interpolation"),
        ({"interpolation": "BICUBIC"}, "interpolation"),
        ({"std": (0.5, 0.0, 0.5)}, "std"),
        ({"std": (0.5, -0.1, 0.5)}, "std"),
        ({"mean": (0.5, 0.5)}, "mean"),
        ({"input_size": 8}, "input_size"),
        ({"input_size": 224.0}, "input_size"),
        ({"crop_pct": 0.0}, "crop_pct"),
        ({"crop_pct": 1.5}, "crop_pct"),
        ({"temperature": 0.0}, "temperature"),
        ({"temperature": -1.0}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"wildlife_labels": ("tiger_part",)}, "wildlife_labels"),
        ({"thresholds": {"ivory": Thresholds(block=0.5, review=0.8)}}, "review <= block"),
        ({"thresholds": {"ivory": Thresholds(block=1.2, review=0.5)}}, "review <= block"),
        ({"thresholds": {"ivory": Thresholds(block=0.5, review=-0.1)}}, "review <= block"),
    ],
)
def test_invalid_values_raise_model_error(changes, match):
    with pytest.raises(ModelError, match=match):
        ModelSpec(**{"labels": LABELS, **changes})


def test_review_above_block_is_refused_from_json():
    data = ModelSpec(labels=LABELS).to_dict()
    data["thresholds"]["rhino_horn"] = {"block": 0.6, "review": 0.9}
    with pytest.raises(ModelError, match="rhino_horn"):
        ModelSpec.from_dict(data)


@pytest.mark.parametrize("version", [None, 0, 2, "1"])
def test_wrong_schema_version_is_refused(version):
    data = ModelSpec(labels=LABELS).to_dict()
    if version is None:
        del data["schema_version"]
    else:
        data["schema_version"] = version
    with pytest.raises(ModelError, match="schema_version"):
        ModelSpec.from_dict(data)


def test_unknown_fields_are_refused():
    data = ModelSpec(labels=LABELS).to_dict()
    data["resize"] = 256
    data["labelz"] = ["x"]
    with pytest.raises(ModelError, match="unknown fields") as exc:
        ModelSpec.from_dict(data)
    assert "labelz" in str(exc.value) and "resize" in str(exc.value)


def test_missing_labels_are_refused():
    data = ModelSpec(labels=LABELS).to_dict()
    del data["labels"]
    with pytest.raises(ModelError, match="labels"):
        ModelSpec.from_dict(data)


def test_malformed_thresholds_are_refused():
    data = ModelSpec(labels=LABELS).to_dict()
    data["thresholds"]["ivory"] = {"block": 0.9, "reveiw": 0.5}
    with pytest.raises(ModelError, match="malformed"):
        ModelSpec.from_dict(data)


@pytest.mark.parametrize("text", ["", "{", "not json", '{"labels": ["ivory"],}'])
def test_invalid_json_is_refused(text):
    with pytest.raises(ModelError, match="not valid JSON"):
        ModelSpec.from_json(text)


@pytest.mark.parametrize("text", ["[]", '"spec"', "42", "null"])
def test_json_that_is_not_an_object_is_refused(text):
    with pytest.raises(ModelError, match="JSON object"):
        ModelSpec.from_json(text)


def test_lookalikes_cannot_be_declared_wildlife():
    with pytest.raises(ModelError, match="look-alikes"):
        ModelSpec(labels=("ivory", "bone"), wildlife_labels=("ivory", "bone"))


def test_non_finite_mean_is_refused():
    with pytest.raises(ModelError, match="finite"):
        ModelSpec(labels=("ivory",), mean=(float("nan"), 0.5, 0.5))
