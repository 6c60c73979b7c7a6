"""Classifier, scan, report and serve on a base install: the committed tiny model
(``tests/data/tiny.onnx``, made by ``tests/data/make_tiny_model.py``) needs no torch.

The tiny model's decisions follow colour (reddish -> ivory, blocked; bluish -> other;
greenish -> bone), so each photo's outcome is known without training anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wildvision import Classifier, ImageError, ModelError, scan
from wildvision.results import iter_rows
from wildvision.spec import EMBEDDING_OUTPUT, GUARD_OUTPUT, INPUT_NAME, PROBABILITIES_OUTPUT

TINY = Path(__file__).parent / "data" / "tiny.onnx"
COLOURS = {"red": (220, 40, 40), "blue": (40, 40, 220), "green": (40, 220, 40)}
EXPECTED = {"red": ("ivory", "block"), "blue": ("other", "allow"), "green": ("bone", "allow")}


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(TINY)


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, Path]:
    """One JPEG per colour, with some texture so the codec has something to do."""
    folder = tmp_path_factory.mktemp("colours")
    rng = np.random.default_rng(0)
    paths = {}
    for name, colour in COLOURS.items():
        pixels = np.clip(np.array(colour) + rng.normal(0, 12, (48, 64, 3)), 0, 255)
        paths[name] = folder / f"{name}.jpg"
        Image.fromarray(pixels.astype(np.uint8)).save(paths[name], quality=90)
    return paths


def test_the_tiny_model_is_small_and_carries_a_spec(classifier):
    assert TINY.stat().st_size < 300_000
    assert classifier.spec.labels == ("bone", "ivory", "other")
    assert classifier.spec.wildlife_labels == ("ivory",)
    assert classifier.has_embedding


def test_predict_decides_by_the_spec(classifier, photos):
    for name, path in photos.items():
        prediction = classifier.predict(path)
        assert (prediction.label, prediction.decision) == EXPECTED[name], name
        assert sum(prediction.scores.values()) == pytest.approx(1.0, abs=1e-5)


def test_batch_equals_one_by_one_and_a_bad_file_is_one_error(classifier, photos, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    items = [*photos.values(), broken]
    batch = list(classifier.predict_batch(items))
    assert batch[-1].decision == "error" and batch[-1].error
    for path, result in zip(photos.values(), batch):
        single = classifier.predict(path)
        assert result.label == single.label
        assert result.scores == pytest.approx(single.scores, abs=1e-6)
    with pytest.raises(ImageError):
        classifier.predict(broken)


def test_the_graph_outputs_are_those_the_classifier_reads():
    import onnxruntime as ort

    session = ort.InferenceSession(str(TINY), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == [INPUT_NAME]
    names = {o.name for o in session.get_outputs()}
    assert {PROBABILITIES_OUTPUT, EMBEDDING_OUTPUT, GUARD_OUTPUT} <= names


def test_embeddings_are_unit_vectors(classifier, photos):
    embeddings = classifier.embed(list(photos.values()))
    assert embeddings.shape == (3, 3)
    assert np.linalg.norm(embeddings, axis=1) == pytest.approx(np.ones(3), abs=1e-5)


def test_a_file_without_a_spec_is_refused(tmp_path):
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(b"\x08\x07" * 10)
    with pytest.raises(ModelError):
        Classifier(fake)


def test_scan_writes_a_row_per_photo_and_resumes(classifier, photos, tmp_path):
    out = tmp_path / "results.jsonl"
    summary = scan(photos["red"].parent, out, classifier, progress=False)
    assert summary.scanned == 3 and summary.decisions["block"] == 1
    rows = {Path(r["path"]).stem: r for r in iter_rows(out)}
    assert {name: (r["label"], r["decision"]) for name, r in rows.items()} == EXPECTED
    again = scan(photos["red"].parent, out, classifier, progress=False)
    assert again.scanned == 0 and again.skipped == 3


def test_report_pages_the_flagged_rows(classifier, photos, tmp_path):
    from wildvision.review import write_review_report

    out = tmp_path / "results.jsonl"
    scan(photos["red"].parent, out, classifier, progress=False)
    page = tmp_path / "review.html"
    shown = write_review_report(out, page, classifier, explain=False)
    html = page.read_text(encoding="utf-8")
    assert shown == 1 and "red.jpg" in html and "blue.jpg" not in html


def test_serve_answers_as_the_library(classifier, photos):
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from wildvision.server import create_app

    with TestClient(create_app(classifier)) as client:
        assert client.get("/healthz").json()["model_version"] == classifier.spec.version
        body = client.post(
            "/v1/classify", files={"file": ("red.jpg", photos["red"].read_bytes(), "image/jpeg")}
        ).json()
    expected = classifier.predict(photos["red"])
    assert (body["label"], body["decision"]) == (expected.label, expected.decision)
    assert json.dumps(body)  # plain JSON
