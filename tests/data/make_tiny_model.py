"""Write ``tests/data/tiny.onnx``: a tiny model with the graph and spec a wildvision
``Classifier`` expects, so its tests run on a base install (no torch).

Built with onnx's helper API (``pip install onnx``; no torch), deterministic, a few KB::

    python tests/data/make_tiny_model.py

The graph: ``pixel_values`` [N, 3, 32, 32] -> per-channel means [N, 3] (the pooled features);
``embedding`` = their L2-normalised vector; ``logits`` = features @ W + b with one column per
label; ``probabilities`` = softmax(logits / temperature); ``guard_distance`` = 1 - the
embedding's cosine with a "wildlife" direction. Its decisions follow colour: reddish photos
score ``ivory``, bluish ones ``other``, greenish ones ``bone``, which tests can count on.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository's wildvision

from wildvision.spec import (  # noqa: E402
    EMBEDDING_OUTPUT,
    GUARD_OUTPUT,
    INPUT_NAME,
    LOGITS_OUTPUT,
    METADATA_KEY,
    PROBABILITIES_OUTPUT,
    Guard,
    ModelSpec,
    Thresholds,
)

PATH = Path(__file__).with_name("tiny.onnx")
LABELS = ("bone", "ivory", "other")
SIZE = 32
#: features (channel means, normalised to about -1..1) -> logits: red -> ivory, blue -> other.
WEIGHTS = np.array([[-2.0, 6.0, -2.0], [3.0, -3.0, 0.0], [-2.0, -2.0, 6.0]], np.float32)
BIAS = np.array([0.0, 0.0, 1.0], np.float32)
TEMPERATURE = 1.5
#: The embedding direction the guard measures from (reddish photos lie near it).
WILDLIFE_DIRECTION = np.array([1.0, 0.0, 0.0], np.float32)


def spec() -> ModelSpec:
    """The spec stored in the model's metadata."""
    return ModelSpec(
        labels=LABELS,
        model_name="tiny-test-model",
        version="0.0.1",
        input_size=SIZE,
        interpolation="bilinear",
        crop_pct=1.0,
        temperature=TEMPERATURE,
        wildlife_labels=("ivory",),
        thresholds={"ivory": Thresholds(block=0.85, review=0.5)},
        guard=Guard(k=1, block_distance=0.6, review_distance=0.9, bank_size=1),
        embedding_size=3,
    )


def build() -> onnx.ModelProto:
    """The graph, with the spec under the ``wildvision.spec`` metadata key."""
    f32 = TensorProto.FLOAT
    inits = [
        numpy_helper.from_array(WEIGHTS, "W"),
        numpy_helper.from_array(BIAS, "b"),
        numpy_helper.from_array(np.array(TEMPERATURE, np.float32), "T"),
        numpy_helper.from_array(WILDLIFE_DIRECTION.reshape(3, 1), "direction"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("GlobalAveragePool", [INPUT_NAME], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["features"], axis=1),
        helper.make_node("LpNormalization", ["features"], [EMBEDDING_OUTPUT], axis=1, p=2),
        helper.make_node("MatMul", ["features", "W"], ["scaled"]),
        helper.make_node("Add", ["scaled", "b"], [LOGITS_OUTPUT]),
        helper.make_node("Div", [LOGITS_OUTPUT, "T"], ["tempered"]),
        helper.make_node("Softmax", ["tempered"], [PROBABILITIES_OUTPUT], axis=1),
        helper.make_node("MatMul", [EMBEDDING_OUTPUT, "direction"], ["cosine"]),
        helper.make_node("Sub", ["one", "cosine"], ["distance"]),
        helper.make_node("Squeeze", ["distance", "axis1"], [GUARD_OUTPUT]),
    ]
    graph = helper.make_graph(
        nodes,
        "wildvision_tiny_test_model",
        [helper.make_tensor_value_info(INPUT_NAME, f32, ["batch", 3, SIZE, SIZE])],
        [
            helper.make_tensor_value_info(LOGITS_OUTPUT, f32, ["batch", len(LABELS)]),
            helper.make_tensor_value_info(PROBABILITIES_OUTPUT, f32, ["batch", len(LABELS)]),
            helper.make_tensor_value_info(EMBEDDING_OUTPUT, f32, ["batch", 3]),
            helper.make_tensor_value_info(GUARD_OUTPUT, f32, ["batch"]),
        ],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="make_tiny_model"
    )
    model.ir_version = 8  # readable by every onnxruntime the [base] install allows
    helper.set_model_props(model, {METADATA_KEY: spec().to_json()})
    onnx.checker.check_model(model)
    return model


def main() -> None:
    PATH.write_bytes(build().SerializeToString())
    print(f"wrote {PATH} ({PATH.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
