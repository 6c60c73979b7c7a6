"""Synthetic wildvision models whose scores are a known function of a photo, and streams of
uniform-colour photos, so stream calibration can be checked against an exact distribution.

For a photo of one colour (r, g, b), every model here says:

- ``probabilities``: ivory ``(r + g + b) / 765``, other the rest;
- ``guard_distance``: ``2 b / 255`` (blue photos lie far from the "wildlife");
- ``embedding``: ``(r, g, b) / 255``, which a pack's head can score.

Each is rounded to whole pixel levels inside the graph, so the standard model (preprocessed
floats), its in-graph twin (decoded uint8 pixels) and Node give the very same numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wildvision.spec import Guard, ModelSpec, Thresholds

INPUT_SIZE = 16
SPEC = ModelSpec(
    labels=("ivory", "other"),
    version="9.9.9",
    input_size=INPUT_SIZE,
    wildlife_labels=("ivory",),
    guard=Guard(k=1, block_distance=1.2, review_distance=1.5, bank_size=1),
    embedding_size=3,
    thresholds={"ivory": Thresholds(block=0.9, review=0.75)},  # ~5% flagged, ~0.03% blocked
)


def synthetic_model(path: Path, spec: ModelSpec = SPEC, ingraph: bool = False) -> Path:
    """Write the model (standard: ``pixel_values`` floats; in-graph: ``image`` uint8)."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    def const(name: str, values: list[float] | list[int], kind=TensorProto.FLOAT) -> onnx.NodeProto:
        tensor = helper.make_tensor(name, kind, [len(values)], values)
        return helper.make_node("Constant", [], [name], value=tensor)

    nodes = [
        const("one", [1.0]),
        const("levels", [255.0]),
        const("total", [765.0]),
        const("two", [2.0]),
        const("blue", [2], TensorProto.INT64),
    ]
    if ingraph:
        source = helper.make_tensor_value_info("image", TensorProto.UINT8, ["N", "H", "W", 3])
        nodes += [
            helper.make_node("Cast", ["image"], ["pixels"], to=TensorProto.FLOAT),
            helper.make_node("ReduceMean", ["pixels"], ["sum_levels"], axes=[1, 2], keepdims=0),
        ]
    else:
        shape = ["N", 3, INPUT_SIZE, INPUT_SIZE]
        source = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, shape)
        nodes += [  # (x * std + mean) * 255: back to pixel levels (mean = std = 0.5)
            const("half", [0.5]),
            helper.make_node("ReduceMean", ["pixel_values"], ["normal"], axes=[2, 3], keepdims=0),
            helper.make_node("Mul", ["normal", "half"], ["scaled"]),
            helper.make_node("Add", ["scaled", "half"], ["unit"]),
            helper.make_node("Mul", ["unit", "levels"], ["sum_levels"]),
        ]
    nodes += [
        helper.make_node("Round", ["sum_levels"], ["channels"]),  # [N, 3] whole levels
        helper.make_node("ReduceSum", ["channels"], ["sum"], axes=[1], keepdims=1),
        helper.make_node("Div", ["sum", "total"], ["ivory"]),
        helper.make_node("Sub", ["one", "ivory"], ["other"]),
        helper.make_node("Concat", ["ivory", "other"], ["probabilities"], axis=1),
        helper.make_node("Gather", ["channels", "blue"], ["blue_level"], axis=1),
        helper.make_node("Div", ["blue_level", "levels"], ["blue_unit"]),
        helper.make_node("Mul", ["blue_unit", "two"], ["guard_2d"]),
        helper.make_node("Squeeze", ["guard_2d"], ["guard_distance"], axes=[1]),
        helper.make_node("Div", ["channels", "levels"], ["embedding"]),
    ]
    outputs = [
        helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2]),
        helper.make_tensor_value_info("guard_distance", TensorProto.FLOAT, ["N"]),
        helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 3]),
    ]
    graph = helper.make_graph(nodes, "synthetic", [source], outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])
    model.ir_version = 7
    entry = model.metadata_props.add()
    entry.key, entry.value = "wildvision.spec", spec.to_json()
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def draw_colours(count: int, seed: int) -> np.ndarray:
    """``count`` colours, each channel uniform on 0..255: the stream's photos."""
    return np.random.default_rng(seed).integers(0, 256, size=(count, 3))


def write_stream(folder: Path, colours: np.ndarray, size: int = 20) -> Path:
    """One uniform PNG per colour in ``folder`` (lossless, so every decoder sees the colour)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, (r, g, b) in enumerate(colours.tolist()):
        Image.new("RGB", (size, size), (r, g, b)).save(folder / f"{i:05d}.png")
    return folder


def true_shares(review: float, block: float, spec: ModelSpec = SPEC) -> tuple[float, float]:
    """The exact share of the stream (channels uniform on 0..255) flagged and blocked at
    ivory thresholds ``review`` and ``block`` with ``spec``'s guard."""
    one = np.ones(256) / 256
    red_green = np.convolve(one, one)  # P(r + g = s), s = 0..510
    at_least = np.cumsum(red_green[::-1])[::-1]  # P(r + g >= s)

    def share(threshold: float, distance: float) -> float:
        total = 0.0
        for b in range(256):
            if 2 * b / 255 > distance:
                continue
            need = max(0, int(np.ceil(threshold * 765 - 1e-9)) - b)
            total += one[b] * (at_least[need] if need <= 510 else 0.0)
        return total

    guard = spec.guard
    return share(review, guard.review_distance), share(block, guard.block_distance)
