"""Export a training run to a self-describing ONNX model, verified against PyTorch.

The graph takes ``pixel_values`` (Nx3xHxW float32, dynamic N) and gives ``logits``,
``probabilities`` (softmax of logits / temperature), ``embedding`` (the L2-normalised pooled
features) and, for a run with a guard, ``guard_distance`` (see ``graph_outputs``). The spec
is stored as JSON under the ``wildvision.spec`` metadata key. Before the file is written,
onnxruntime must agree with PyTorch on real images (same argmax, max |Δ| of every output
below the tolerance), or nothing is written.
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
from ..classifier import INPUT_NAME
from ..errors import ModelError
from ..imaging import load_image
from ..preprocess import preprocess_batch
from ..spec import METADATA_KEY, ModelSpec
from .graph_outputs import ModelOutputs, output_names
from .guard import BANK_FILE, load_bank
from .ingraph import IMAGE_INPUT, InGraphModel
from .model_factory import create_model
from .samples import read_manifest

OPSET = 17
DEFAULT_TOLERANCE = 1e-4


class ExportError(ModelError):
    """The exported graph disagrees with PyTorch; no file was written."""


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
    wrapped = ModelOutputs(model, spec, load_bank(run_dir) if spec.guard else None).eval()
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
    bank = load_bank(run_dir) if spec.guard else None
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
    if spec.guard is not None and load_bank(run_dir) is None:
        raise ExportError(
            f"the spec has a guard but {run_dir} holds no {BANK_FILE}; run "
            f"`wildvision calibrate {run_dir}` again to fit it."
        )
    width = model.num_features
    if spec.embedding_size != width:
        spec = spec.with_updates(embedding_size=width)
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
