"""examples/node prints the same labels as Python on the same in-graph model."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from PIL import Image

from tests.conftest import REPO, SAMPLE_PHOTO, skimage_photo
from wildvision import Classifier

NODE_DIR = REPO / "examples" / "node"
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_DIR / "node_modules" / "onnxruntime-node").is_dir(),
    reason="needs Node.js and `npm ci --ignore-scripts` in examples/node",
)


@pytest.fixture(scope="module")
def ingraph_model(tiny_run, photo_folder, tmp_path_factory):
    from wildvision.train.exporter import export_ingraph

    photos = sorted(photo_folder.rglob("*.jpg"))[::6]
    return export_ingraph(
        tiny_run.run_dir, tmp_path_factory.mktemp("node") / "m.onnx", images=photos
    )


def classify_js(model, photos, *options: str) -> subprocess.CompletedProcess:
    """``node classify.js MODEL PHOTO... OPTIONS``, its output captured."""
    command = ["node", "classify.js", str(model), *map(str, photos), *options]
    return subprocess.run(command, cwd=NODE_DIR, capture_output=True, text=True, timeout=120)


def run_node(model, photos, *options: str):
    result = classify_js(model, photos, "--json", *options)
    return result.returncode, [json.loads(line) for line in result.stdout.splitlines()]


def test_node_matches_python_exactly_on_png(ingraph_model, tmp_path):
    photos = []
    for name in ("chelsea.png", "coffee.png", "astronaut.png"):
        target = tmp_path / name
        Image.open(skimage_photo(name)).convert("RGB").save(target)  # lossless: same pixels
        photos.append(target)
    code, node = run_node(ingraph_model, photos)
    assert code == 0
    python = list(Classifier(ingraph_model).predict_batch(photos))
    for js, py in zip(node, python):
        assert js["label"] == py.label and js["decision"] == py.decision
        assert js["scores"] == pytest.approx(py.scores, abs=1e-4)


def test_node_matches_python_labels_on_jpeg(ingraph_model, photo_folder):
    photos = [SAMPLE_PHOTO, *sorted(photo_folder.rglob("*.jpg"))[::3]]
    code, node = run_node(ingraph_model, photos)
    python = list(Classifier(ingraph_model, fast_decode=False).predict_batch(photos))
    assert code == 0
    assert [js["label"] for js in node] == [py.label for py in python]
    for js, py in zip(node, python):  # two JPEG decoders differ by a level here and there
        assert js["scores"] == pytest.approx(py.scores, abs=0.02)


def test_node_reports_bad_files_and_goes_on(ingraph_model, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    code, node = run_node(ingraph_model, [bad, SAMPLE_PHOTO])
    assert code == 1
    assert node[0]["decision"] == "error" and node[1]["error"] is None


@pytest.fixture(scope="module")
def guarded_ingraph_model(wildlife_run, wildlife_folder, tmp_path_factory):
    from wildvision.train.exporter import export_ingraph

    photos = sorted(wildlife_folder.rglob("*.jpg"))[::6]
    folder = tmp_path_factory.mktemp("node-guard")
    return export_ingraph(wildlife_run.run_dir, folder / "m.ingraph.onnx", images=photos)


def test_node_matches_python_on_the_guard_and_the_embedding(guarded_ingraph_model, tmp_path):
    photos = []
    for name in ("chelsea.png", "coffee.png", "astronaut.png"):
        target = tmp_path / name
        Image.open(skimage_photo(name)).convert("RGB").save(target)
        photos.append(target)
    code, node = run_node(guarded_ingraph_model, photos, "--embedding")
    assert code == 0
    classifier = Classifier(guarded_ingraph_model)
    assert classifier.spec.guard is not None
    python = list(classifier.predict_batch(photos))
    embeddings = classifier.embed(photos)
    for js, py, embedding in zip(node, python, embeddings):
        assert js["decision"] == py.decision
        assert js["guard_distance"] == pytest.approx(py.guard_distance, abs=1e-4)
        assert js["embedding"] == pytest.approx(embedding.tolist(), abs=1e-4)


def test_node_applies_a_pack_like_python(guarded_ingraph_model, photo_folder, tmp_path):
    """A pack built on the in-graph model: Node's pack scores and decisions are Python's."""
    pytest.importorskip("sklearn")
    from wildvision.packs import build_negative_bank, build_pack

    classifier = Classifier(guarded_ingraph_model)
    ordinary = sorted(photo_folder.rglob("*.jpg"))
    bank = build_negative_bank(classifier, ordinary, [p.parent.name for p in ordinary])
    product = tmp_path / "product"
    product.mkdir()
    image = Image.open(skimage_photo("astronaut.png")).convert("RGB")
    for i in range(5):
        image.crop((i * 20, i * 10, 400 + i * 20, 400 + i * 10)).save(product / f"{i}.png")
    pack = build_pack(product, "space_suit", model=classifier, bank=bank)
    pack_path = pack.save(tmp_path / "space_suit.wvpack")
    photos = []
    for name in ("astronaut.png", "coffee.png", "chelsea.png"):
        target = tmp_path / name
        Image.open(skimage_photo(name)).convert("RGB").save(target)
        photos.append(target)
    code, node = run_node(guarded_ingraph_model, photos, "--pack", str(pack_path))
    assert code == 0
    python = list(Classifier(guarded_ingraph_model, packs=[pack_path]).predict_batch(photos))
    assert python[0].label == "space_suit"
    for js, py in zip(node, python):
        assert (js["label"], js["decision"]) == (py.label, py.decision)
        assert js["scores"]["space_suit"] == pytest.approx(py.scores["space_suit"], abs=1e-4)
    other = tmp_path / "other.wvpack"
    other.write_text(pack_path.read_text().replace(pack.model_sha256, "0" * 64))
    refused = classify_js(guarded_ingraph_model, photos[:1], "--pack", str(other))
    assert refused.returncode == 2 and "built for another model" in refused.stderr
