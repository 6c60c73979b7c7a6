"""Preprocessing in the graph agrees with the standard Python path on real photos."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.conftest import skimage_photo

torch = pytest.importorskip("torch")

from wildvision import Classifier, ModelSpec  # noqa: E402
from wildvision.preprocess import preprocess  # noqa: E402
from wildvision.train.export import export_ingraph  # noqa: E402
from wildvision.train.ingraph import InGraphPreprocess  # noqa: E402

SIZES = [(600, 400), (400, 600), (1800, 1200), (180, 240), (256, 256), (1000, 257)]


@pytest.mark.parametrize("interpolation", ["bicubic", "bilinear"])
@pytest.mark.parametrize("size", SIZES)
def test_graph_preprocessing_matches_pillow(size, interpolation):
    spec = ModelSpec(labels=("a",), interpolation=interpolation)
    image = Image.open(skimage_photo("coffee.png")).convert("RGB").resize(size)
    expected = preprocess(image, spec)
    with torch.no_grad():
        actual = InGraphPreprocess(spec)(torch.from_numpy(np.array(image))[None])[0].numpy()
    assert actual.shape == expected.shape
    levels = np.abs(actual - expected) * 127.5  # back to 0..255 pixel levels
    assert levels.mean() < 0.5 and np.percentile(levels, 99.9) <= 3.0


@pytest.fixture(scope="module")
def ingraph_model(tiny_run, photo_folder, tmp_path_factory):
    photos = sorted(photo_folder.rglob("*.jpg"))[::4]
    return export_ingraph(tiny_run.run_dir, tmp_path_factory.mktemp("ig") / "m.onnx", images=photos)


def test_ingraph_model_agrees_with_the_standard_model(
    ingraph_model, tiny_model, photo_folder, tmp_path
):
    big = tmp_path / "big.jpg"
    Image.open(skimage_photo("chelsea.png")).convert("RGB").resize((1500, 1000)).save(big)
    photos = [*sorted(photo_folder.rglob("*.jpg")), big]
    standard = list(Classifier(tiny_model).predict_batch(photos))
    ingraph = Classifier(ingraph_model)
    assert ingraph.ingraph and ingraph.spec == Classifier(tiny_model).spec
    in_graph = list(ingraph.predict_batch(photos, batch_size=4))
    assert [p.label for p in in_graph] == [p.label for p in standard]
    drift = max(
        abs(a.scores[k] - b.scores[k]) for a, b in zip(standard, in_graph) for k in a.scores
    )
    assert drift <= 0.02


def test_ingraph_model_takes_decoded_uint8_photos_directly(ingraph_model):
    import onnxruntime as ort

    session = ort.InferenceSession(str(ingraph_model), providers=["CPUExecutionProvider"])
    (image_input,) = session.get_inputs()
    assert image_input.name == "image" and image_input.type == "tensor(uint8)"
    pixels = np.asarray(Image.open(skimage_photo("coffee.png")).convert("RGB"))[None]
    names = [o.name for o in session.get_outputs()]
    assert names == ["logits", "probabilities", "embedding"]  # no wildlife label: no guard
    logits, probabilities, embedding = session.run(None, {"image": pixels})
    assert probabilities.shape == (1, 2) and abs(float(probabilities.sum()) - 1) < 1e-5
    assert embedding.shape == (1, 1280) and abs(float(np.linalg.norm(embedding)) - 1) < 1e-4


def test_ingraph_tta_flip_averages_the_photo_and_its_mirror(ingraph_model, photo_folder):
    photo = Image.open(sorted(photo_folder.rglob("*.jpg"))[0]).convert("RGB")
    mirror = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    plain = Classifier(ingraph_model)
    a, b = plain.predict(photo).scores, plain.predict(mirror).scores
    expected = {k: (a[k] + b[k]) / 2 for k in a}
    flipped = Classifier(ingraph_model, tta_flip=True).predict(photo)
    assert flipped.scores == pytest.approx(expected, abs=1e-5)
