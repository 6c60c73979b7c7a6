"""Classifier: every input type, batches that survive bad inputs, and model-file checks."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.conftest import skimage_photo
from wildvision import Classifier, ImageError, ModelError, Prediction


@pytest.fixture(scope="module")
def classifier(tiny_model):
    return Classifier(tiny_model)


def test_every_input_type_gives_the_same_prediction(classifier, tmp_path):
    path = skimage_photo("chelsea.png")
    data = path.read_bytes()
    image = Image.open(path)
    inputs = [
        str(path),
        path,
        data,
        bytearray(data),
        memoryview(data),
        io.BytesIO(data),
        open(path, "rb"),
        image,
        np.asarray(image.convert("RGB")),
    ]
    results = [classifier.predict(item) for item in inputs]
    inputs[6].close()
    reference = results[0]
    assert reference.label == "animal" and reference.error is None
    assert set(reference.scores) == {"animal", "drink"}
    assert sum(reference.scores.values()) == pytest.approx(1.0, abs=1e-5)
    for result in results[1:]:
        assert result.label == reference.label
        assert result.scores == pytest.approx(reference.scores, abs=1e-6)


def test_predict_raises_image_error_for_undecodable_input(classifier, tmp_path):
    with pytest.raises(ImageError, match="not a recognised image"):
        classifier.predict(b"<html>not an image</html>")
    with pytest.raises(ImageError, match="no such image file"):
        classifier.predict(tmp_path / "missing.jpg")


def test_batch_goes_on_past_bad_inputs_in_order(classifier, photo_folder):
    photos = sorted(photo_folder.rglob("*.jpg"))
    truncated = photos[0].read_bytes()[:300]
    items = [photos[0], b"garbage", photos[-1], truncated, "missing.jpg", photos[1]]
    results = list(classifier.predict_batch(items, batch_size=4))
    assert len(results) == 6
    assert [r.ok for r in results] == [True, False, True, False, False, True]
    assert all(isinstance(r, Prediction) for r in results)
    assert results[1].decision == "error" and "not a recognised image" in results[1].error
    assert "truncated" in results[3].error
    assert results[0].scores == pytest.approx(classifier.predict(photos[0]).scores, abs=1e-6)
    assert results[5].source == str(photos[1])


def test_batch_accepts_a_generator_and_checks_batch_size(classifier, photo_folder):
    photos = sorted(photo_folder.rglob("*.jpg"))
    assert len(list(classifier.predict_batch(p for p in photos))) == len(photos)
    with pytest.raises(ValueError, match="batch_size"):
        list(classifier.predict_batch(photos, batch_size=0))


def test_labels_come_from_the_model(classifier):
    assert classifier.labels == ["animal", "drink"]
    assert classifier.spec.wildlife_labels == ()


def test_missing_and_corrupt_model_files_are_refused(tmp_path, tiny_model):
    with pytest.raises(ModelError, match="does not exist"):
        Classifier(tmp_path / "missing.onnx")
    with pytest.raises(ModelError, match="no shipped model"):
        Classifier("no-such-shipped-model")
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(tiny_model.read_bytes()[:5000])
    with pytest.raises(ModelError, match="truncated or corrupted"):
        Classifier(truncated)


def test_foreign_onnx_without_metadata_is_refused(tmp_path, tiny_model):
    onnx = pytest.importorskip("onnx")
    proto = onnx.load(tiny_model)
    del proto.metadata_props[:]
    foreign = tmp_path / "foreign.onnx"
    onnx.save(proto, foreign)
    with pytest.raises(ModelError, match="not a wildvision model"):
        Classifier(foreign)


def test_spec_label_count_must_match_the_output(tmp_path, tiny_model):
    onnx = pytest.importorskip("onnx")
    proto = onnx.load(tiny_model)
    entry = proto.metadata_props[0]
    entry.value = entry.value.replace('"drink"', '"drink", "third"')
    bad = tmp_path / "bad.onnx"
    onnx.save(proto, bad)
    with pytest.raises(ModelError, match="outputs 2 classes"):
        Classifier(bad)


def test_fast_decode_agrees_with_full_decode_on_a_big_jpeg(tiny_model, tmp_path):
    big = tmp_path / "big.jpg"
    Image.open(skimage_photo("chelsea.png")).convert("RGB").resize((1800, 1200)).save(big)
    fast = Classifier(tiny_model).predict(big)
    full = Classifier(tiny_model, fast_decode=False).predict(big)
    assert fast.label == full.label
    assert max(abs(fast.scores[k] - full.scores[k]) for k in fast.scores) < 0.02


def test_tta_flip_averages_the_photo_and_its_mirror(tiny_model):
    photo = Image.open(skimage_photo("astronaut.png")).convert("RGB")
    mirror = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    plain = Classifier(tiny_model)
    expected = {
        k: (plain.predict(photo).scores[k] + plain.predict(mirror).scores[k]) / 2
        for k in plain.labels
    }
    averaged = Classifier(tiny_model, tta_flip=True)
    for prediction in (averaged.predict(photo), next(averaged.predict_batch([mirror]))):
        assert prediction.scores == pytest.approx(expected, abs=1e-5)
    assert plain.predict(photo).scores != pytest.approx(expected, abs=1e-5)


def test_session_batch_splits_runs_without_changing_results(tiny_model, photo_folder):
    photos = sorted(photo_folder.rglob("*.jpg"))[:10]
    one_run = list(Classifier(tiny_model, session_batch=32).predict_batch(photos, batch_size=10))
    small_runs = list(Classifier(tiny_model, session_batch=3).predict_batch(photos, batch_size=10))
    assert [p.label for p in one_run] == [p.label for p in small_runs]
    for a, b in zip(one_run, small_runs):
        assert a.scores == pytest.approx(b.scores, abs=1e-5)
    with pytest.raises(ValueError, match="session_batch"):
        Classifier(tiny_model, session_batch=0)


def test_load_decodes_as_predict_does(tiny_model, tmp_path):
    big = tmp_path / "big.jpg"
    Image.open(skimage_photo("chelsea.png")).convert("RGB").resize((1800, 1200)).save(big)
    fast, full = Classifier(tiny_model), Classifier(tiny_model, fast_decode=False)
    assert full.load(big).size == (1800, 1200)
    assert min(fast.load(big).size) >= fast.spec.resize_size > min(fast.load(big).size) / 2
    with pytest.raises(ImageError):
        fast.load(tmp_path / "missing.jpg")


def test_predict_proba_pixels_is_for_ingraph_models(classifier):
    with pytest.raises(ModelError, match="needs an in-graph model"):
        classifier.predict_proba_pixels(np.zeros((1, 224, 224, 3), np.uint8))


def test_one_classifier_shared_by_threads_answers_as_serial_use(classifier, photo_folder):
    from concurrent.futures import ThreadPoolExecutor

    photos = sorted(photo_folder.rglob("*.jpg")) * 2
    serial = [classifier.predict(p).scores for p in photos]
    with ThreadPoolExecutor(8) as pool:
        threaded = list(pool.map(lambda p: classifier.predict(p).scores, photos))
        batches = list(pool.map(lambda ps: list(classifier.predict_batch(ps)), [photos] * 4))
    assert threaded == [pytest.approx(s, abs=1e-6) for s in serial]
    for batch in batches:
        assert [p.scores for p in batch] == [pytest.approx(s, abs=1e-6) for s in serial]


def test_known_photos_are_blocked_reviewed_and_allowed(wildlife_model, wildlife_folder):
    photos = sorted(wildlife_folder.rglob("*.jpg"))
    results = list(Classifier(wildlife_model.path).predict_batch(photos, batch_size=5))
    got = {photo: result.decision for photo, result in zip(photos, results)}
    assert got == wildlife_model.decisions
    assert [r.label for r in results] == [p.parent.name for p in photos]
    assert {got[p] for p in photos if p.parent.name == "ivory"} == {"block"}  # every one
    assert {got[p] for p in photos if p.parent.name == "other"} == {"review", "allow"}


def test_embed_batches_as_one_photo_at_a_time_would(tiny_model, photo_folder):
    photos = sorted(photo_folder.rglob("*.jpg"))[:7]
    clf = Classifier(tiny_model, session_batch=3)  # runs of 3, 3 and 1
    together = clf.embed(photos)
    alone = np.concatenate([clf.embed([p]) for p in photos])
    assert together.shape == (7, clf.spec.embedding_size)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1, atol=1e-4)
    assert clf.embed([]).shape == (0, clf.spec.embedding_size)


def test_embed_needs_the_embedding_output(tmp_path, tiny_model):
    onnx = pytest.importorskip("onnx")
    proto = onnx.load(tiny_model)
    kept = [o for o in proto.graph.output if o.name != "embedding"]
    del proto.graph.output[:]
    proto.graph.output.extend(kept)
    old = tmp_path / "old.onnx"
    onnx.save(proto, old)
    clf = Classifier(old)
    assert clf.predict(skimage_photo("coffee.png")).ok  # the rest still works
    with pytest.raises(ModelError, match="no 'embedding' output; re-export"):
        clf.embed([skimage_photo("coffee.png")])
