"""Train -> export -> reload -> predict on real photos, and what the run folder holds."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from wildvision import Classifier, ModelSpec  # noqa: E402
from wildvision.data import read_manifest  # noqa: E402
from wildvision.spec import METADATA_KEY  # noqa: E402
from wildvision.train.exporter import ExportError, export_onnx  # noqa: E402
from wildvision.train.model_factory import load_model  # noqa: E402
from wildvision.train.trainer import train  # noqa: E402


@pytest.fixture(scope="module")
def exported(tiny_model):
    return tiny_model


def test_run_folder_holds_config_metrics_and_checkpoints(tiny_run):
    run = tiny_run.run_dir
    for name in ("config.yaml", "spec.json", "splits.csv", "metrics.csv", "best.pt", "last.pt"):
        assert (run / name).is_file(), name
    with open(run / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["phase"] for r in rows] == ["head"] * 3 + ["full"] * 3
    assert max(float(r["val_macro_f1"]) for r in rows) == pytest.approx(
        tiny_run.val_macro_f1, abs=1e-4
    )
    assert json.loads((run / "test_metrics.json").read_text())["count"] == 6
    with open(run / "splits.csv") as handle:
        assert csv.DictReader(handle).fieldnames == ["path", "label", "split", "group", "source"]


def test_exported_model_carries_the_spec(exported, tiny_run):
    proto = onnx.load(exported)
    metadata = {p.key: p.value for p in proto.metadata_props}
    spec = ModelSpec.from_json(metadata[METADATA_KEY])
    assert spec == ModelSpec.from_json((tiny_run.run_dir / "spec.json").read_text())
    assert spec.labels == ("animal", "drink")
    assert proto.opset_import[0].version >= 17


def test_onnx_agrees_with_pytorch_on_real_photos(exported, tiny_run, photo_folder):
    model, spec = load_model(tiny_run.run), tiny_run.run.spec
    classifier = Classifier(exported)
    photos = sorted(photo_folder.rglob("*.jpg"))[::3]
    from wildvision.imaging import load_image
    from wildvision.preprocess import preprocess_batch

    batch = preprocess_batch([load_image(p) for p in photos], spec)
    with torch.no_grad():
        expected = (model(torch.from_numpy(batch)) / spec.temperature).softmax(1).numpy()
    predictions = list(classifier.predict_batch(photos, batch_size=3))
    actual = np.array([[p.scores[label] for label in spec.labels] for p in predictions])
    assert np.abs(actual - expected).max() < 1e-4
    assert [p.label for p in predictions] == [spec.labels[i] for i in expected.argmax(1)]


def test_export_refuses_to_write_a_model_that_disagrees(tiny_run, tmp_path):
    target = tmp_path / "bad.onnx"
    with pytest.raises(ExportError, match="nothing was written"):
        export_onnx(tiny_run.run_dir, target, tolerance=0.0)
    assert not target.exists() and not list(tmp_path.iterdir())


def test_tiny_model_learns_the_two_photos(exported, photo_folder):
    predictions = list(Classifier(exported).predict_batch(sorted(photo_folder.rglob("*.jpg"))))
    truth = [p.parent.name for p in sorted(photo_folder.rglob("*.jpg"))]
    accuracy = np.mean([p.label == t for p, t in zip(predictions, truth)])
    assert accuracy >= 0.9


def test_training_on_the_shared_photos_round_trips(shared_datasets, tmp_path):
    result = train(
        None,
        data=[
            {
                "source": str(shared_datasets / "museum-ivory"),
                "group_column": "met_object_id",
                "limit_per_class": 8,
            },
            {"source": str(shared_datasets / "everyday"), "limit_per_class": 8},
        ],
        epochs=5,  # two head epochs, then three of the full network: about 10 s
        head_epochs=2,
        batch_size=8,
        num_workers=0,
        output_dir=str(tmp_path),
        val_fraction=0.25,
        test_fraction=0.25,
    )
    path = export_onnx(result.run_dir)
    classifier = Classifier(path)
    assert classifier.labels == ["bone", "ceramic", "ivory", "other"]
    assert classifier.spec.wildlife_labels == ("ivory",)
    # 16 training photos are too few to generalise from, but the exported file must give
    # the labels the run learned back: its training photos, read through Classifier
    trained = [s for s in read_manifest(result.run_dir / "splits.csv") if s.split == "train"]
    labels = [p.label for p in classifier.predict_batch([s.path for s in trained])]
    assert [label for label, s in zip(labels, trained) if s.label == "ivory"] == ["ivory"] * 4
    assert np.mean([label == s.label for label, s in zip(labels, trained)]) >= 0.75  # 15/16 seen
