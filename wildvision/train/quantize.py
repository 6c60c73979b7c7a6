"""INT8 export: static QDQ quantization (per-channel weights) calibrated on training photos.

onnxruntime's quantizer inserts QuantizeLinear/DequantizeLinear pairs whose activation ranges
are measured by running real photos through the fp32 model. Activations are uint8 with ranges
symmetric around zero. Measured on the shipped lite0 and its test split: asymmetric uint8
activations changed the label of 5.4% of photos and cost 0.45 points of ivory AUROC;
symmetric uint8 changed 2.5% and cost 0.36 points; symmetric int8 changed 1.0% and cost
0.02 points, but onnxruntime has no fast x86 kernels for int8 activations, so it ran at less
than half the speed, no faster than fp32. The spec metadata is carried
over (with ``precision: int8`` noted in the producer string), so the int8 file is as
self-describing as the fp32 one. Like the fp32 export, nothing is written unless the result
passes its check against the fp32 model.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quant_pre_process,
    quantize_static,
)

from .._atomic import atomic_write_bytes
from ..errors import ModelError
from ..preprocess import decode_for_model, preprocess
from ..spec import INPUT_NAME, METADATA_KEY, PROBABILITIES_OUTPUT, ModelSpec


class _PhotoReader(CalibrationDataReader):
    """Feeds photos to the calibrator a few at a time, decoded and preprocessed as they are
    served (``decode_for_model``), so the ranges fit the pixels the model will see."""

    def __init__(self, paths: Sequence[str | Path], spec: ModelSpec, batch_size: int = 8) -> None:
        self._batches = self._iterate(list(paths), spec, batch_size)

    @staticmethod
    def _iterate(paths, spec, batch_size) -> Iterator[dict[str, np.ndarray]]:
        for start in range(0, len(paths), batch_size):
            chunk = paths[start : start + batch_size]
            arrays = [preprocess(decode_for_model(p, spec), spec) for p in chunk]
            yield {INPUT_NAME: np.stack(arrays)}

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def quantize_int8(
    fp32_model: str | Path,
    output: str | Path,
    calibration_images: Sequence[str | Path],
    *,
    check_images: Sequence[str | Path] = (),
    min_agreement: float = 0.95,
    max_median_drift: float = 0.05,
) -> Path:
    """Write an int8 copy of ``fp32_model``; returns its path.

    Args:
        calibration_images: photos whose activations set the quantization ranges (a few
            hundred training photos, spread over the labels, are plenty).
        check_images: photos on which int8 must give fp32's label on at least
            ``min_agreement`` of them, with a median probability change of at most
            ``max_median_drift`` (a gross-error check: the accuracy change itself is measured
            by ``wildvision evaluate`` on the test split).
    """
    if not calibration_images:
        raise ModelError("int8 quantization needs calibration photos; pass some training images.")
    fp32_model = Path(fp32_model)
    fp32 = onnx.load(fp32_model)
    metadata = {p.key: p.value for p in fp32.metadata_props}
    if METADATA_KEY not in metadata:
        raise ModelError(f"{fp32_model} is not a wildvision model (no {METADATA_KEY} metadata).")
    spec = ModelSpec.from_json(metadata[METADATA_KEY])
    with tempfile.TemporaryDirectory() as tmp:
        prepared, quantized = Path(tmp) / "prepared.onnx", Path(tmp) / "int8.onnx"
        quant_pre_process(str(fp32_model), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(quantized),
            _PhotoReader(calibration_images, spec),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=_float_nodes(prepared),
            extra_options={"ActivationSymmetric": True, "WeightSymmetric": True},
        )
        model = onnx.load(quantized)
    del model.metadata_props[:]
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.producer_name = "wildvision (int8 QDQ)"
    model.doc_string = (
        fp32.doc_string + " Weights int8 per-channel, activations uint8 symmetric (QDQ)."
    )
    data = model.SerializeToString()
    if check_images:
        _check_against_fp32(fp32_model, data, spec, check_images, min_agreement, max_median_drift)
    output = Path(output)
    atomic_write_bytes(output, data)
    return output


#: The pooling that ends the backbone: every node after it but the classifier stays float.
_POOLING_OPS = ("GlobalAveragePool", "ReduceMean")
#: Fallback when no pooling node is found: kept in float by type.
_FLOAT_OPS = ("Softmax", "Div", "MatMul", "TopK", "ReduceL2", "Sub", "Cast", "Clip", "Max")


def _float_nodes(path: Path) -> list[str]:
    """The nodes kept in float: everything after the pooled features (the temperature and
    softmax, the embedding's normalisation, the guard's comparison with its bank, where int8
    would move every distance) but the classifier's Gemm. Selected by position, not by
    type: the backbone's own Clip (ReLU6), Sub, Cast and Div nodes stay int8 (choosing them
    by type kept 136 nodes of lite0 in float, and the int8 model agreed with fp32 less)."""
    graph = onnx.load(path).graph
    pooling = [n for n in graph.node if n.op_type in _POOLING_OPS]
    if not pooling:
        return [n.name for n in graph.node if n.op_type in _FLOAT_OPS]
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    after, frontier = {}, list(pooling[-1].output)
    while frontier:
        for node in consumers.get(frontier.pop(), []):
            if node.name not in after:
                after[node.name] = node
                frontier.extend(node.output)
    return [name for name, node in after.items() if node.op_type != "Gemm"]


def _check_against_fp32(
    fp32_model: Path,
    data: bytes,
    spec: ModelSpec,
    paths: Sequence[str | Path],
    min_agreement: float,
    max_median_drift: float,
) -> None:
    batch = np.stack([preprocess(decode_for_model(p, spec), spec) for p in paths])
    feeds = {INPUT_NAME: batch}
    fp32 = ort.InferenceSession(str(fp32_model), providers=["CPUExecutionProvider"])
    int8 = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (expected,) = fp32.run([PROBABILITIES_OUTPUT], feeds)
    (actual,) = int8.run([PROBABILITIES_OUTPUT], feeds)
    agreement = float(np.mean(expected.argmax(1) == actual.argmax(1)))
    drift = float(np.median(np.abs(expected - actual).max(1)))
    if agreement < min_agreement or drift > max_median_drift:
        raise ModelError(
            f"int8 model gives fp32's label on {agreement:.1%} of {len(paths)} check photos "
            f"(need {min_agreement:.0%}) with a median probability change of {drift:.3f} "
            f"(limit {max_median_drift}); calibrate on more, and more varied, training photos. "
            "Nothing was written."
        )
