"""Export a training run to self-describing ONNX models, each verified before it is written.

``export(run, formats)`` is the one call (the ``wildvision export`` verb and the notebooks
use it); ``export_onnx``, ``export_ingraph`` and ``quantize.quantize_int8`` are its building
blocks. The standard graph takes ``pixel_values`` (Nx3xHxW float32, dynamic N) and gives
``logits``, ``probabilities`` (softmax of logits / temperature), ``embedding`` (the
L2-normalised pooled features) and, for a run with a guard, ``guard_distance`` (see
``graph_outputs``). The spec is stored as JSON under the ``wildvision.spec`` metadata key.
Before a file is written, onnxruntime must agree with PyTorch on real images (same argmax,
max |Δ| of every output below the tolerance), or nothing is written.
"""

from __future__ import annotations

import io
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from .._atomic import atomic_write_bytes
from ..errors import ConfigError, ExportError, ModelError
from ..imaging import load_image
from ..models import EXPORT_FORMATS, variant_path
from ..preprocess import preprocess_batch
from ..runs.run import Run
from ..spec import IMAGE_INPUT, INPUT_NAME, METADATA_KEY, ModelSpec
from .graph_outputs import ModelOutputs, output_names
from .ingraph import InGraphModel
from .model_factory import load_model
from .quantize import quantize_int8

OPSET = 17
DEFAULT_TOLERANCE = 1e-4
#: Photos the exports are checked on (held-out first), int8 calibrates on (training
#: photos, spread over the labels) and int8 is checked against fp32 on.
VERIFY_PHOTOS, INT8_CALIBRATION_PHOTOS, INT8_CHECK_PHOTOS = 16, 256, 64


def export(
    run: Run | str | Path,
    formats: Sequence[str] = EXPORT_FORMATS,
    output: str | Path | None = None,
    *,
    version: str | None = None,
    images: Sequence[str | Path] | None = None,
) -> dict[str, Path]:
    """Export ``run`` (a ``Run`` or its folder) in each of ``formats``; returns
    ``{format: path}`` for what was written.

    - ``fp32``: ``output`` (default ``RUN/model.onnx``), checked against PyTorch.
    - ``ingraph``: ``NAME.ingraph.onnx`` beside it, input the decoded uint8 photo at any
      size, preprocessing in the graph; checked against the standard path.
    - ``int8``: ``NAME.int8.onnx``, static QDQ quantization calibrated on the run's training
      photos; checked against fp32 (refused if it changes too many labels). It is made from
      the fp32 model, exported to a temporary file when ``fp32`` is not asked for.

    Args:
        version: the model version to record in every file's spec.
        images: photos to check the exports on (default: the run's held-out photos).

    Raises:
        ConfigError: an unknown format, or a run without its best checkpoint.
        ModelError: an export disagrees with its reference (its file is not written; the
            formats before it are, and the message names them).
    """
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown or not formats:
        raise ConfigError(
            f"unknown export format(s) {unknown}; choose from {', '.join(EXPORT_FORMATS)}."
        )
    run = Run.open(run)
    output = Path(output) if output else run.model_path
    updates = {"version": version} if version else None
    written: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = output if "fp32" in formats else Path(tmp) / output.name
        if "fp32" in formats or "int8" in formats:
            export_onnx(run, fp32, images=images, spec_updates=updates)
            if "fp32" in formats:
                written["fp32"] = fp32
        if "ingraph" in formats:
            path = variant_path(output, "ingraph")
            written["ingraph"] = export_ingraph(run, path, images=images, spec_updates=updates)
        if "int8" in formats:
            try:
                written["int8"] = quantize_int8(
                    fp32,
                    variant_path(output, "int8"),
                    run.photos("train", count=INT8_CALIBRATION_PHOTOS),
                    check_images=images or run.photos(count=INT8_CHECK_PHOTOS),
                )
            except ModelError as exc:
                done = ", ".join(f"{k} {v}" for k, v in written.items()) or "nothing"
                others = tuple(f for f in formats if f != "int8")
                raise ModelError(
                    f"{exc} (That is the int8 file; written before it: {done}.) To export "
                    f"without int8: formats={others} (CLI: --formats {' '.join(others)})."
                ) from None
    return written


def export_onnx(
    run: Run | str | Path,
    output: str | Path | None = None,
    *,
    images: Sequence[str | Path] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    spec_updates: dict | None = None,
) -> Path:
    """Export a run's best checkpoint to ONNX and verify it; returns the written path.

    Args:
        output: target file (default ``RUN_DIR/model.onnx``).
        images: real photos to verify on (default: taken from the run's test split).
        tolerance: largest allowed |Δprob| between onnxruntime and PyTorch.
        spec_updates: spec fields to change on the way out (e.g. version, thresholds).
    """
    run, model, spec, bank, verify_paths = _load_for_export(run, images, spec_updates)
    wrapped = ModelOutputs(model, spec, bank).eval()
    data = _to_onnx(wrapped, spec).SerializeToString()
    _verify(wrapped, data, spec, verify_paths, tolerance)
    output = Path(output) if output else run.model_path
    atomic_write_bytes(output, data)
    return output


def export_ingraph(
    run: Run | str | Path,
    output: str | Path | None = None,
    *,
    images: Sequence[str | Path] | None = None,
    tolerance: float = 0.02,
    spec_updates: dict | None = None,
) -> Path:
    """Export the variant whose input is the decoded photo, uint8 ``[N, H, W, 3]`` at any
    size, with resize, crop and normalisation in the graph (see ``ingraph``).

    Before writing, it must agree with the standard path (Python preprocessing + PyTorch) on
    real photos at their own sizes and upscaled: same label, max |Δprob| below ``tolerance``.
    ``spec_updates`` as for ``export_onnx``, so both files carry the same spec.
    """
    run, model, spec, bank, paths = _load_for_export(run, images, spec_updates)
    wrapped = InGraphModel(model, spec, bank).eval()
    data = _to_onnx(wrapped, spec, ingraph=True).SerializeToString()
    standard = ModelOutputs(model, spec, bank).eval()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    worst, same = 0.0, True
    for path in paths:
        image = load_image(path)
        for variant in (image, image.resize((image.width * 3, image.height * 3))):
            with torch.no_grad():
                batch = torch.from_numpy(preprocess_batch([variant], spec))
                expected = [t.numpy() for t in standard(batch)]
            pixels = np.asarray(variant, dtype=np.uint8)[None]
            actual = session.run(None, {IMAGE_INPUT: pixels})
            worst = max(
                worst, *(float(np.abs(a - e).max()) for a, e in zip(actual[1:], expected[1:]))
            )
            same &= bool(actual[1].argmax() == expected[1].argmax())
    if not same or worst > tolerance:
        raise ExportError(
            f"in-graph model disagrees with the standard path (same labels: {same}, max |Δ| "
            f"of probabilities, embedding, guard distance {worst:.3f} > {tolerance}); nothing "
            "was written."
        )
    output = Path(output) if output else variant_path(run.model_path, "ingraph")
    atomic_write_bytes(output, data)
    return output


def _load_for_export(
    run: Run | str | Path, images: Sequence[str | Path] | None, spec_updates: dict | None
) -> tuple[Run, nn.Module, ModelSpec, np.ndarray | None, list]:
    """The run, its best model, its (updated) spec, the guard's bank (None without a guard)
    and the real photos to verify an export on."""
    run = Run.open(run)
    model, spec = load_model(run), run.spec
    if spec_updates:
        spec = spec.with_updates(**spec_updates)
    bank = run.guard_bank() if spec.guard is not None else None
    if spec.guard is not None and bank is None:
        raise ExportError(
            f"the spec has a guard but {run.folder} holds no guard bank; run "
            f"`wildvision calibrate {run.folder}` again to fit it."
        )
    width = model.num_features
    if spec.embedding_size != width:
        spec = spec.with_updates(embedding_size=width)
    paths = list(images) if images is not None else run.photos(count=VERIFY_PHOTOS)
    if not paths:
        raise ExportError(
            "no real images to verify the export on; pass images=[...] (CLI: --images)."
        )
    return run, model, spec, bank, paths


def _to_onnx(wrapped: nn.Module, spec: ModelSpec, ingraph: bool = False) -> onnx.ModelProto:
    if ingraph:
        dummy = torch.zeros(1, 300, 400, 3, dtype=torch.uint8)
        name, axes = IMAGE_INPUT, {0: "batch", 1: "height", 2: "width"}
    else:
        dummy = torch.zeros(2, 3, spec.input_size, spec.input_size)
        name, axes = INPUT_NAME, {0: "batch"}
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped,
            (dummy,),
            buffer,
            dynamo=False,
            opset_version=OPSET,
            input_names=[name],
            output_names=output_names(spec),
            dynamic_axes={name: axes, **{out: {0: "batch"} for out in output_names(spec)}},
        )
    proto = onnx.load_from_string(buffer.getvalue())
    proto.producer_name = "wildvision"
    proto.doc_string = (
        f"wildvision {spec.model_name} v{spec.version}: labels {list(spec.labels)}. "
        f"Preprocessing and thresholds in metadata key {METADATA_KEY!r}."
    )
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, spec.to_json()
    onnx.checker.check_model(proto)
    return proto


def _verify(
    wrapped: nn.Module, data: bytes, spec: ModelSpec, paths: Sequence[str | Path], tolerance: float
) -> None:
    """Every output (probabilities, embedding, guard distance) must match PyTorch's."""
    batch = preprocess_batch([load_image(p) for p in paths], spec)
    with torch.no_grad():
        expected = [t.numpy() for t in wrapped(torch.from_numpy(batch))]
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    actual = session.run(None, {INPUT_NAME: batch})
    delta = max(float(np.abs(a - e).max()) for a, e in zip(actual[1:], expected[1:]))
    same = bool((actual[1].argmax(1) == expected[1].argmax(1)).all())
    if not same or delta >= tolerance:
        raise ExportError(
            f"exported model disagrees with PyTorch on {len(paths)} images (same argmax: "
            f"{same}, max |Δ| of probabilities, embedding, guard distance {delta:.2e} >= "
            f"{tolerance:.0e}); nothing was written."
        )
