"""The shipped default model: what it says about real photos, and that the model card's
figures are what the project's own evaluation measures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE_PHOTO, skimage_photo
from wildvision import Classifier
from wildvision.models import DEFAULT_MODEL, list_shipped_models

pytestmark = pytest.mark.skipif(
    DEFAULT_MODEL not in list_shipped_models(), reason="no shipped default model"
)
TEST_SPLIT = REPO / "training" / "splits" / "test.csv"
CARD_METRICS = REPO / "exported_models" / f"{DEFAULT_MODEL}.metrics.json"


SHIPPED_PRECISIONS = [
    p
    for p, n in (("int8", f"{DEFAULT_MODEL}.int8"), ("fp32", DEFAULT_MODEL))
    if n in list_shipped_models()
]


@pytest.mark.parametrize("precision", SHIPPED_PRECISIONS)
def test_default_model_allows_ordinary_photos(precision):
    classifier = Classifier(precision=precision)
    for photo in (SAMPLE_PHOTO, skimage_photo("chelsea.png"), skimage_photo("astronaut.png")):
        prediction = classifier.predict(photo)
        assert prediction.decision == "allow", (photo, prediction)


def test_default_model_metadata():
    classifier = Classifier()
    assert classifier.model_path.name == f"{DEFAULT_MODEL}.{SHIPPED_PRECISIONS[0]}.onnx".replace(
        ".fp32", ""
    )
    assert set(classifier.labels) == {"bone", "ceramic", "ivory", "other"}
    assert classifier.spec.wildlife_labels == ("ivory",)
    thresholds = classifier.spec.thresholds["ivory"]
    assert 0 < thresholds.review <= thresholds.block <= 1
    assert classifier.spec.temperature != 1.0  # calibrated on validation data


def test_default_model_loads_without_torch():
    code = (
        "import sys, wildvision; c = wildvision.Classifier(); "
        "print(c.predict(sys.argv[1]).decision); "
        "assert not {'torch', 'timm', 'albumentations'} & set(sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(SAMPLE_PHOTO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "allow"


def test_default_model_knows_held_out_museum_ivory(shared_datasets):
    from wildvision.data import read_manifest

    photos = [s.path for s in read_manifest(TEST_SPLIT) if s.label == "ivory"][:60]
    labels = [p.label for p in Classifier().predict_batch(photos)]
    assert labels.count("ivory") >= 45


def test_model_card_figures_are_reproduced_by_evaluate(shared_datasets, tmp_path):
    from wildvision.evaluation.evaluate import evaluate

    card = json.loads(CARD_METRICS.read_text())
    for precision in card:
        measured = evaluate(Classifier(precision=precision), TEST_SPLIT, shift=False, card=False)[
            "clean"
        ]
        expected = card[precision]["clean"]
        assert measured["count"] == expected["count"]
        assert measured["confusion_matrix"] == expected["confusion_matrix"]
        assert measured["per_class"]["ivory"]["auroc"] == pytest.approx(
            expected["per_class"]["ivory"]["auroc"], abs=1e-6
        )


def test_committed_test_split_points_at_the_shared_photos(shared_datasets):
    rows = TEST_SPLIT.read_text().splitlines()
    assert rows[0] == "path,label,split,group,source,category"
    first = rows[1].split(",")[0]
    assert (TEST_SPLIT.parent / first).resolve().is_file()
    assert Path(first).parts[:3] == ("..", "..", "..")
