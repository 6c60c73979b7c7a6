"""Occlusion heatmaps: they point at the region that decides the score, for standard and
in-graph models, and overlay onto the crop the model saw."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.conftest import skimage_photo
from wildvision import Classifier, ModelError, ModelSpec
from wildvision.explain import explain, jet, occlusion_map, overlay
from wildvision.spec import METADATA_KEY

#: The spotlight model looks only here (rows, columns of its 224x224 input): top right.
ROWS, COLS = (16, 80), (144, 208)


@pytest.fixture(scope="module")
def spotlight(tmp_path_factory):
    """A hand-built ONNX model whose label ``lit`` grows with the mean brightness of one
    off-centre square of its input and nothing else: a heatmap that does not point at that
    square (or points at its transpose or mirror image) is wrong."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    def const(name, values, dtype=TensorProto.INT64):
        return helper.make_node(
            "Constant",
            [],
            [name],
            value=helper.make_tensor(name, dtype, [len(values)], values),
        )

    nodes = [
        const("starts", [ROWS[0], COLS[0]]),
        const("ends", [ROWS[1], COLS[1]]),
        const("axes", [2, 3]),
        const("gain", [2.0, -2.0], TensorProto.FLOAT),
        helper.make_node("Slice", ["pixel_values", "starts", "ends", "axes"], ["square"]),
        const("column", [-1, 1]),
        helper.make_node("ReduceMean", ["square"], ["mean"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Reshape", ["mean", "column"], ["brightness"]),
        helper.make_node("Mul", ["brightness", "gain"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "spotlight",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["N", 3, 224, 224])],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    spec = ModelSpec(labels=("lit", "dark"), version="spot-1")
    helper.set_model_props(model, {METADATA_KEY: spec.to_json()})
    path = tmp_path_factory.mktemp("spotlight") / "spotlight.onnx"
    onnx.save(model, path)
    return Classifier(path)


def white(size=(300, 260)):
    return Image.new("RGB", size, (255, 255, 255))


def inside(heatmap, rows=ROWS, cols=COLS):
    mask = np.zeros(heatmap.shape, dtype=bool)
    mask[rows[0] : rows[1], cols[0] : cols[1]] = True
    return mask


def test_the_heatmap_points_at_the_region_the_model_uses(spotlight):
    result = explain(spotlight, white())
    heat = result.heatmap
    assert result.label == "lit" and 0.8 < result.score < 0.99 and result.max_drop > 0.2
    assert heat.shape == (224, 224) and heat.dtype == np.float32
    assert heat.min() >= 0.0 and heat.max() == pytest.approx(1.0)
    row, col = np.unravel_index(np.argmax(heat), heat.shape)
    assert inside(heat)[row, col], (row, col)
    mask = inside(heat)
    assert heat[mask].mean() > 5 * heat[~mask].mean()
    assert heat[150:, :80].max() == 0.0  # the far corner changes nothing


def test_the_view_is_the_centre_crop_the_model_sees(spotlight):
    photo = Image.open(skimage_photo("chelsea.png")).convert("RGB")
    result = explain(spotlight, photo, grid=3)
    assert result.view.size == (224, 224) and result.view.mode == "RGB"
    assert occlusion_map(spotlight, photo, grid=3).shape == (224, 224)


def test_a_label_that_occlusion_only_raises_gets_an_empty_map(spotlight):
    result = explain(spotlight, white(), "dark")
    assert result.label == "dark" and result.max_drop == 0.0
    assert not result.heatmap.any()


def test_patch_size_and_the_blur_baseline(spotlight):
    photo = Image.open(skimage_photo("coffee.png")).convert("RGB")
    mean = explain(spotlight, photo, "lit", grid=4, patch=40)
    blur = explain(spotlight, photo, "lit", grid=4, patch=40, baseline="blur")
    assert not np.allclose(mean.heatmap, blur.heatmap)
    for heat in (mean.heatmap, blur.heatmap):
        assert heat.shape == (224, 224) and heat.min() >= 0.0 and heat.max() <= 1.0
    assert explain(spotlight, white(), grid=1).heatmap.shape == (224, 224)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"label": "ivory"}, "not one of the model's labels"),
        ({"baseline": "noise"}, "baseline must be one of"),
        ({"grid": 0}, "grid must be between"),
        ({"patch": 500}, "patch must be between"),
    ],
)
def test_bad_options_say_what_is_allowed(spotlight, options, message):
    with pytest.raises(ValueError, match=message):
        explain(spotlight, white(), **options)


def collage(left: str, right: str) -> Image.Image:
    image = Image.new("RGB", (400, 400))
    for x, name in ((0, left), (200, right)):
        photo = Image.open(skimage_photo(name)).convert("RGB").resize((200, 400))
        image.paste(photo, (x, 0))
    return image


@pytest.mark.parametrize("cat_side", ["left", "right"])
def test_a_trained_model_looks_at_the_cat_for_animal(tiny_model, cat_side):
    """The tiny model is weak, but its 'animal' evidence lies in the cat half of a
    cat-and-coffee collage, whichever side the cat is on."""
    names = ("chelsea.png", "coffee.png") if cat_side == "left" else ("coffee.png", "chelsea.png")
    heat = occlusion_map(Classifier(tiny_model), collage(*names), "animal")
    if not heat.any():  # the hand-built spotlight model above is the check that always runs
        pytest.skip("the tiny model is saturated on this collage: no patch moves its score")
    cat, coffee = (
        (heat[:, :112], heat[:, 112:]) if cat_side == "left" else (heat[:, 112:], heat[:, :112])
    )
    assert cat.mean() > 2 * coffee.mean()
    assert cat.max() == pytest.approx(1.0)


def test_an_ingraph_model_gets_the_same_map(tiny_run, tiny_model, photo_folder, tmp_path):
    pytest.importorskip("torch")
    from wildvision.train.exporter import export_ingraph

    photos = sorted(photo_folder.rglob("*.jpg"))[::6]
    ingraph = Classifier(export_ingraph(tiny_run.run_dir, tmp_path / "m.onnx", images=photos))
    photo = collage("chelsea.png", "coffee.png")
    standard = explain(Classifier(tiny_model), photo, "animal")
    in_graph = explain(ingraph, photo, "animal")
    assert ingraph.ingraph and in_graph.label == "animal"
    assert in_graph.score == pytest.approx(standard.score, abs=0.02)
    assert np.corrcoef(standard.heatmap.ravel(), in_graph.heatmap.ravel())[0, 1] > 0.95
    with pytest.raises(ModelError, match="needs a standard model"):
        ingraph.predict_proba(np.zeros((1, 3, 224, 224), np.float32))


def test_overlay_colours_heat_red_and_cold_blue():
    grey = Image.new("RGB", (224, 224), (128, 128, 128))
    heat = np.zeros((224, 224), np.float32)
    heat[:, 112:] = 1.0
    out = np.asarray(overlay(grey, heat), dtype=int)
    assert out.shape == (224, 224, 3)
    hot, cold = out[:, 150].mean(axis=0), out[:, 50].mean(axis=0)
    assert hot[0] > hot[2] + 60 and cold[2] > cold[0] + 20
    stretched = overlay(Image.new("RGB", (300, 200), (128, 128, 128)), heat)
    assert stretched.size == (300, 200)
    with pytest.raises(ValueError, match="2-D"):
        overlay(grey, np.zeros((2, 2, 2)))


def test_jet_runs_from_blue_to_red():
    low, high = jet(np.array([0.0, 1.0]))
    assert low[2] > 100 and low[0] == 0 and high[0] > 100 and high[2] == 0


def test_a_trimming_model_explains_the_view_it_predicts_on(spotlight, tmp_path):
    """With ``trim_margins`` the heatmap covers the trimmed photo, as ``predict`` sees it,
    not the white card around it."""
    onnx = pytest.importorskip("onnx")
    from onnx import helper

    from wildvision.preprocess import resize_and_crop, trim_margins

    model = onnx.load(spotlight.model_path)
    spec = ModelSpec(labels=("lit", "dark"), version="spot-trim", trim_margins=12)
    del model.metadata_props[:]
    helper.set_model_props(model, {METADATA_KEY: spec.to_json()})
    onnx.save(model, tmp_path / "trim.onnx")
    trimming = Classifier(tmp_path / "trim.onnx")
    card = white((900, 700))
    card.paste(Image.open(skimage_photo("chelsea.png")).convert("RGB").resize((300, 200)), (80, 90))
    result = explain(trimming, card, grid=3)
    expected = resize_and_crop(trim_margins(card, 12), trimming.spec)
    assert np.array_equal(np.asarray(result.view), np.asarray(expected))
    assert not np.array_equal(
        np.asarray(result.view), np.asarray(explain(spotlight, card, grid=3).view)
    )
    assert result.score == pytest.approx(trimming.predict(card).scores[result.label], abs=1e-4)
