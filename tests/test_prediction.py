"""Prediction results and the score -> block/review/allow rule."""

from __future__ import annotations

import json

import pytest

from wildvision.prediction import Prediction, decide
from wildvision.spec import ModelSpec, Thresholds

LABELS = ("ivory", "rhino_horn", "pangolin_scale", "bone", "ceramic", "other")


@pytest.fixture
def spec() -> ModelSpec:
    return ModelSpec(
        labels=LABELS,
        thresholds={
            "ivory": Thresholds(block=0.9, review=0.6),
            "rhino_horn": Thresholds(block=0.7, review=0.3),
        },
    )


def scores(**values: float) -> dict[str, float]:
    out = dict.fromkeys(LABELS, 0.0)
    out.update(values)
    return out


@pytest.mark.parametrize(
    ("probability", "expected"),
    [
        (0.0, "allow"),
        (0.59, "allow"),
        (0.6, "review"),  # review threshold is inclusive
        (0.89, "review"),
        (0.9, "block"),  # block threshold is inclusive
        (1.0, "block"),
    ],
)
def test_decide_follows_the_label_thresholds(spec, probability, expected):
    assert decide(scores(ivory=probability), spec) == expected


def test_each_wildlife_label_uses_its_own_thresholds(spec):
    # 0.75 is only "review" for ivory (block 0.9) but "block" for rhino_horn (block 0.7).
    assert decide(scores(ivory=0.75), spec) == "review"
    assert decide(scores(rhino_horn=0.75), spec) == "block"
    assert decide(scores(rhino_horn=0.35), spec) == "review"
    assert decide(scores(rhino_horn=0.25), spec) == "allow"


def test_labels_without_explicit_thresholds_use_the_defaults(spec):
    default = Thresholds()
    assert spec.thresholds["pangolin_scale"] == default
    assert decide(scores(pangolin_scale=default.block), spec) == "block"
    assert decide(scores(pangolin_scale=default.review), spec) == "review"
    below = default.review - 0.01
    assert decide(scores(pangolin_scale=below), spec) == "allow"


def test_block_on_any_label_wins_over_review_on_another(spec):
    # Whatever the label order, one blocking label decides.
    assert decide(scores(ivory=0.65, rhino_horn=0.72), spec) == "block"
    assert decide(scores(ivory=0.95, rhino_horn=0.35), spec) == "block"


@pytest.mark.parametrize("label", ["bone", "ceramic", "other"])
def test_lookalikes_at_full_probability_always_allow(spec, label):
    assert decide(scores(**{label: 1.0}), spec) == "allow"


def test_missing_scores_count_as_zero(spec):
    assert decide({}, spec) == "allow"
    assert decide({"rhino_horn": 0.8}, spec) == "block"


def test_a_wildlife_label_declared_by_the_model_takes_part():
    spec = ModelSpec(labels=("shark_fin", "other"), wildlife_labels=("shark_fin",))
    assert decide({"shark_fin": 0.99, "other": 0.01}, spec) == "block"
    assert decide({"shark_fin": 0.01, "other": 0.99}, spec) == "allow"


def test_failed_prediction_carries_the_error():
    result = Prediction.failed("photo.jpg: corrupt image", source="photo.jpg")
    assert result.error == "photo.jpg: corrupt image"
    assert result.decision == "error"
    assert result.source == "photo.jpg"
    assert result.label == ""
    assert result.score == 0.0
    assert dict(result.scores) == {}
    assert result.ok is False


def test_a_prediction_is_one_results_row_for_every_table():
    row = Prediction(label="ivory", score=0.123456789, decision="review").to_row("1.0")
    assert row == {
        "label": "ivory",
        "score": 0.123457,
        "decision": "review",
        "error": None,
        "model_version": "1.0",
    }
    failed = Prediction.failed("x.jpg: corrupt\nimage").to_row("1.0")
    assert failed == {
        "label": None,
        "score": None,
        "decision": "error",
        "error": "x.jpg: corrupt image",  # one line: a row is one line of a results file
        "model_version": "1.0",
    }


def test_a_successful_prediction_is_ok():
    result = Prediction(label="ivory", score=0.9, scores={"ivory": 0.9, "other": 0.1})
    assert result.ok is True
    assert result.error is None


@pytest.mark.parametrize(
    "prediction",
    [
        Prediction(
            label="ivory",
            score=0.93,
            scores={"ivory": 0.93, "bone": 0.05, "other": 0.02},
            decision="block",
            source="listing/42.jpg",
        ),
        Prediction.failed("<12 bytes>: not a recognised image format", source="<12 bytes>"),
    ],
)
def test_to_dict_round_trips(prediction):
    data = prediction.to_dict()
    assert set(data) == {
        "label",
        "score",
        "scores",
        "decision",
        "error",
        "source",
        "guard_distance",
    }
    assert data["label"] == prediction.label
    assert data["score"] == prediction.score
    assert data["scores"] == dict(prediction.scores)
    assert type(data["scores"]) is dict
    assert data["decision"] == prediction.decision
    assert data["error"] == prediction.error
    assert data["source"] == prediction.source
    assert Prediction(**data) == prediction
    assert Prediction(**json.loads(json.dumps(data))) == prediction
