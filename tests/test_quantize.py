"""INT8 export: smaller, self-describing, and close to fp32 on real photos."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime.quantization")
onnx = pytest.importorskip("onnx")

from wildvision import Classifier, ModelError  # noqa: E402
from wildvision.train.quantize import quantize_int8  # noqa: E402


@pytest.fixture(scope="module")
def int8_model(tiny_model, photo_folder, tmp_path_factory):
    photos = sorted(photo_folder.rglob("*.jpg"))
    output = tmp_path_factory.mktemp("int8") / "model.int8.onnx"
    return quantize_int8(tiny_model, output, photos[::2], check_images=photos[1::4])


def test_int8_is_smaller_and_keeps_the_spec(int8_model, tiny_model):
    assert int8_model.stat().st_size < tiny_model.stat().st_size / 2
    assert Classifier(int8_model).spec == Classifier(tiny_model).spec
    ops = {node.op_type for node in onnx.load(int8_model).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops


def test_int8_agrees_with_fp32_on_real_photos(int8_model, tiny_model, photo_folder):
    photos = sorted(photo_folder.rglob("*.jpg"))
    fp32 = list(Classifier(tiny_model).predict_batch(photos))
    int8 = list(Classifier(int8_model).predict_batch(photos))
    assert np.mean([a.label == b.label for a, b in zip(fp32, int8)]) >= 0.95
    drift = [max(abs(a.scores[k] - b.scores[k]) for k in a.scores) for a, b in zip(fp32, int8)]
    assert np.median(drift) < 0.05  # the export's own gross-error bound
    assert max(drift) < 0.5


def test_quantization_needs_photos_and_refuses_a_drifting_model(tiny_model, photo_folder, tmp_path):
    with pytest.raises(ModelError, match="calibration photos"):
        quantize_int8(tiny_model, tmp_path / "a.onnx", [])
    photos = sorted(photo_folder.rglob("*.jpg"))
    with pytest.raises(ModelError, match="Nothing was written"):
        quantize_int8(
            tiny_model,
            tmp_path / "b.onnx",
            photos[:4],
            check_images=photos,
            min_agreement=1.0,
            max_median_drift=0.0,
        )
    assert not (tmp_path / "b.onnx").exists()
