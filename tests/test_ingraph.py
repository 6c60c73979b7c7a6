"""Preprocessing in the graph agrees with the standard Python path on real photos."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.conftest import skimage_photo

torch = pytest.importorskip("torch")

from wildvision import Classifier, ModelSpec  # noqa: E402
from wildvision.preprocess import preprocess  # noqa: E402
from wildvision.train.exporter import export_ingraph  # noqa: E402
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


def carded(photo: Image.Image, size=(900, 600), at=(60, 140), strip=True) -> np.ndarray:
    """``photo`` on a white card with a blue strip at the bottom: uniform margins."""
    card = np.full((size[1], size[0], 3), 255, np.uint8)
    pixels = np.asarray(photo.convert("RGB").resize((300, 240)))
    card[at[1] : at[1] + 240, at[0] : at[0] + 300] = pixels
    if strip:
        card[-40:] = (20, 60, 140)
    return card


@pytest.mark.parametrize("size", [(900, 600), (500, 800)])
def test_graph_trimming_matches_python(size):
    from wildvision.preprocess import margin_box
    from wildvision.train.ingraph import margin_box as graph_box

    spec = ModelSpec(labels=("a",), trim_margins=12)
    photo = Image.open(skimage_photo("coffee.png"))
    card = carded(photo, size)
    assert margin_box(card, 12) == (60, 140, 360, 380)  # the photo: white rows, strip, columns
    top, bottom, left, right = (int(v) for v in graph_box(torch.from_numpy(card)[None], 12))
    assert (left, top, right, bottom) == (60, 140, 360, 380)
    expected = preprocess(Image.fromarray(card), spec)
    with torch.no_grad():
        actual = InGraphPreprocess(spec)(torch.from_numpy(card)[None])[0].numpy()
    levels = np.abs(actual - expected) * 127.5
    assert levels.mean() < 0.5 and np.percentile(levels, 99.9) <= 3.0
    untrimmed = preprocess(Image.fromarray(card), ModelSpec(labels=("a",)))
    assert np.abs(untrimmed - expected).mean() > 0.1  # trimming changed the view


def test_trimming_leaves_photos_without_uniform_margins_alone():
    from wildvision.preprocess import margin_box, trim_margins

    photo = Image.open(skimage_photo("chelsea.png")).convert("RGB")
    assert margin_box(np.asarray(photo), 12) == (0, 0, *photo.size)
    assert trim_margins(photo, 12) is photo
    blank = np.full((100, 200, 3), 255, np.uint8)
    blank[50, 50] = 0  # a speck on a flat image: kept whole, not blown up
    assert margin_box(blank, 12) == (0, 0, 200, 100)
    with pytest.raises(Exception, match="trim_margins must be null or a whole number"):
        ModelSpec(labels=("a",), trim_margins=-1)


def test_a_trimming_in_graph_export_agrees_with_python(tiny_run, photo_folder, tmp_path):
    """A batch of two cards of one size with different margins: each image its own box."""
    photos = sorted(photo_folder.rglob("*.jpg"))[::4]
    updates = {"trim_margins": 12}
    path = export_ingraph(
        tiny_run.run_dir, tmp_path / "t.onnx", images=photos, spec_updates=updates
    )
    ingraph = Classifier(path)
    assert ingraph.spec.trim_margins == 12
    sources = [Image.open(p) for p in photos[:2]]
    cards = [carded(sources[0]), carded(sources[1], at=(500, 40), strip=False)]
    from wildvision.train.exporter import export_onnx

    standard = Classifier(export_onnx(tiny_run.run_dir, tmp_path / "s.onnx", spec_updates=updates))
    a = list(standard.predict_batch(cards))
    b = list(ingraph.predict_batch(cards, batch_size=2))
    assert [p.label for p in a] == [p.label for p in b]
    assert max(abs(x.scores[k] - y.scores[k]) for x, y in zip(a, b) for k in x.scores) <= 0.02
