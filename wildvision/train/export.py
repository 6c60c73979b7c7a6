"""Export a training run to a self-describing ONNX model, verified against PyTorch.

The graph takes ``pixel_values`` (Nx3xHxW float32, dynamic N) and gives ``logits`` and
``probabilities`` (softmax of logits / temperature). The spec is stored as JSON under the
``wildvision.spec`` metadata key. Before the file is written, onnxruntime must agree with
PyTorch on real images (same argmax, max |Δprob| below the tolerance), or nothing is written.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from .._atomic import atomic_write_bytes
from ..classifier import INPUT_NAME, PROBABILITIES_OUTPUT
from ..errors import ModelError
from ..imaging import load_image
from ..preprocess import preprocess_batch
from ..spec import METADATA_KEY, ModelSpec
from .data import read_manifest
from .ingraph import IMAGE_INPUT, InGraphModel
from .model_factory import create_model

OPSET = 17
DEFAULT_TOLERANCE = 1e-4


class ExportError(ModelError):
    """The exported graph disagrees with PyTorch; no file was written."""


class _WithProbabilities(nn.Module):
    def __init__(self, model: nn.Module, temperature: float) -> None:
        super().__init__()
        self.model = model
        self.temperature = temperature

    def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.model(pixel_values)
        return logits, torch.softmax(logits / self.temperature, dim=1)


def load_checkpoint(path: str | Path) -> tuple[nn.Module, ModelSpec]:
    """Rebuild the model and its spec from a run's checkpoint (``weights_only`` load)."""
    path = Path(path)
    if path.is_dir():
        path = path / "best.pt"
    if not path.is_file():
        raise ModelError(f"checkpoint {path} does not exist; pass a run folder holding best.pt.")
    state = torch.load(path, map_location="cpu", weights_only=True)
    spec = ModelSpec.from_dict(state["spec"])
    model = create_model(spec.model_name, len(spec.labels), pretrained="none")
    model.load_state_dict(state["model"])
    return model.eval(), spec


def split_photos(
    run_dir: Path, count: int = 16, splits: Sequence[str] = ("test", "val", "train")
) -> list[Path]:
    """Up to ``count`` real photos from the first of ``splits`` that the run's
    ``splits.csv`` has, spread evenly over its labels."""
    manifest = run_dir / "splits.csv"
    if not manifest.is_file():
        return []
    samples = read_manifest(manifest)
    for name in splits:
        chosen = sorted(
            (s for s in samples if s.split == name), key=lambda s: (s.label, str(s.path))
        )
        if chosen:
            step = max(1, len(chosen) // count)
            return [s.path for s in chosen[::step][:count] if Path(s.path).is_file()]
    return []


def export_onnx(
    run: str | Path,
    output: str | Path | None = None,
    *,
    images: Sequence[str | Path] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    spec_updates: dict | None = None,
) -> Path:
    """Export a run (folder or checkpoint) to ONNX and verify it; returns the written path.

    Args:
        output: target file (default ``RUN_DIR/model.onnx``).
        images: real photos to verify on (default: taken from the run's test split).
        tolerance: largest allowed |Δprob| between onnxruntime and PyTorch.
        spec_updates: spec fields to change on the way out (e.g. version, thresholds).
    """
    run_dir, model, spec, verify_paths = _load_for_export(run, images, spec_updates)
    wrapped = _WithProbabilities(model, spec.temperature).eval()
    data = _to_onnx(wrapped, spec).SerializeToString()
    _verify(wrapped, data, spec, verify_paths, tolerance)
    output = Path(output) if output else run_dir / "model.onnx"
    atomic_write_bytes(output, data)
    return output


def export_ingraph(
    run: str | Path,
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
    run_dir, model, spec, paths = _load_for_export(run, images, spec_updates)
    wrapped = InGraphModel(model, spec).eval()
    data = _to_onnx(wrapped, spec, ingraph=True).SerializeToString()
    standard = _WithProbabilities(model, spec.temperature).eval()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    worst, same = 0.0, True
    for path in paths:
        image = load_image(path)
        for variant in (image, image.resize((image.width * 3, image.height * 3))):
            with torch.no_grad():
                batch = torch.from_numpy(preprocess_batch([variant], spec))
                expected = standard(batch)[1].numpy()
            pixels = np.asarray(variant, dtype=np.uint8)[None]
            (actual,) = session.run([PROBABILITIES_OUTPUT], {IMAGE_INPUT: pixels})
            worst = max(worst, float(np.abs(actual - expected).max()))
            same &= bool(actual.argmax() == expected.argmax())
    if not same or worst > tolerance:
        raise ExportError(
            f"in-graph model disagrees with the standard path (same labels: {same}, max "
            f"|Δprob| {worst:.3f} > {tolerance}); nothing was written."
        )
    output = Path(output) if output else run_dir / "model.ingraph.onnx"
    atomic_write_bytes(output, data)
    return output


def _load_for_export(
    run: str | Path, images: Sequence[str | Path] | None, spec_updates: dict | None
) -> tuple[Path, nn.Module, ModelSpec, list]:
    """The run folder, model, (updated) spec and the real photos to verify an export on."""
    run = Path(run)
    run_dir = run if run.is_dir() else run.parent
    model, spec = load_checkpoint(run)
    if spec_updates:
        spec = spec.with_updates(**spec_updates)
    paths = list(images) if images is not None else split_photos(run_dir)
    if not paths:
        raise ExportError(
            "no real images to verify the export on; pass images=[...] (CLI: --images)."
        )
    return run_dir, model, spec, paths


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
            output_names=["logits", PROBABILITIES_OUTPUT],
            dynamic_axes={
                name: axes,
                "logits": {0: "batch"},
                PROBABILITIES_OUTPUT: {0: "batch"},
            },
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
    batch = preprocess_batch([load_image(p) for p in paths], spec)
    with torch.no_grad():
        expected = wrapped(torch.from_numpy(batch))[1].numpy()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (actual,) = session.run([PROBABILITIES_OUTPUT], {INPUT_NAME: batch})
    delta = float(np.abs(actual - expected).max())
    same = bool((actual.argmax(1) == expected.argmax(1)).all())
    if not same or delta >= tolerance:
        raise ExportError(
            f"exported model disagrees with PyTorch on {len(paths)} images (same argmax: "
            f"{same}, max |Δprob| {delta:.2e} >= {tolerance:.0e}); nothing was written."
        )
