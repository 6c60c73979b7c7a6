"""Where a stream calibration writes: the calibrated model, its in-graph (or fp32) twin and
packs beside it, never over an input; the new spec goes into a byte-for-byte copy of each
model file (``wildvision.onnx_metadata``)."""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any

from ._atomic import atomic_write_bytes
from .errors import CalibrationError, CalibrationWarning, ModelError
from .models import variant_path
from .pack_file import PACK_SUFFIX, Pack
from .spec import METADATA_KEY, ModelSpec


def twin_path(path: Path) -> Path:
    """The other float export of a model: ``NAME.ingraph.onnx`` for ``NAME.onnx`` and back."""
    name = path.name
    if name.endswith(".ingraph.onnx"):
        return path.with_name(name.removesuffix(".ingraph.onnx") + ".onnx")
    return variant_path(path, "ingraph")


def output_paths(
    model: Path, output: Path, pack_paths: list[Path], packs: list[Pack]
) -> dict[str, Any]:
    """Where each file goes; refuses any that would overwrite an input."""
    if output.suffix != ".onnx":
        raise CalibrationError(f"{output}: the calibrated model is an ONNX file; name it *.onnx.")
    stem = output.name.removesuffix(".onnx").removesuffix(".ingraph")
    targets = {
        "model": output,
        "twin": twin_path(output),
        "packs": [output.with_name(f"{stem}.{p.label}{PACK_SUFFIX}") for p in packs],
    }
    inputs = [model, twin_path(model), *pack_paths]
    for target in [output, targets["twin"], *targets["packs"]]:
        for source in inputs:
            if _same_file(target, source):
                raise CalibrationError(
                    f"{target} would overwrite the input {source}; nothing is calibrated in "
                    "place: give another output, e.g. -o model.stream.onnx."
                )
    if model.name.endswith(".ingraph.onnx") != output.name.endswith(".ingraph.onnx"):
        kind = "an in-graph" if model.name.endswith(".ingraph.onnx") else "a standard"
        raise CalibrationError(
            f"{model} is {kind} model: name the output like it ({output.name} would be read "
            "as the other kind, and its twin written under the wrong name)."
        )
    return targets


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def write_models(
    model: Path, sha256: str, spec: ModelSpec, new_spec: ModelSpec, targets: dict[str, Any]
) -> tuple[list[Path], list[str]]:
    """Write the calibrated model and, when ``model`` has an in-graph (or fp32) twin with
    the same spec, the twin with the same new spec. Returns the files and notes."""
    # protobuf (onnxruntime's own dependency) only when a file is written: not on import
    from .onnx_metadata import read_metadata, with_metadata

    data = model.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelError(f"{model} changed while it was being calibrated; run it again.")
    updates = {METADATA_KEY: new_spec.to_json()}
    atomic_write_bytes(targets["model"], with_metadata(data, updates, str(model)))
    written, notes = [targets["model"]], []
    twin = twin_path(model)
    if twin.is_file():
        twin_data = twin.read_bytes()
        twin_spec = read_metadata(twin_data, str(twin)).get(METADATA_KEY)
        if twin_spec is not None and ModelSpec.from_json(twin_spec) == spec:
            atomic_write_bytes(targets["twin"], with_metadata(twin_data, updates, str(twin)))
            written.append(targets["twin"])
        else:
            notes.append(
                f"{twin} has another spec than {model}, so it was not calibrated with it: "
                "calibrate it on its own, or export both again."
            )
    fp32 = twin if model.name.endswith(".ingraph.onnx") else model
    int8 = variant_path(fp32, "int8")
    if int8.is_file() and int8 != model:
        notes.append(
            f"{int8} keeps its old thresholds (int8 scores differ from fp32's): calibrate it "
            f"on its own, `wildvision calibrate {int8} --stream SAMPLE -o ...`."
        )
    for note in notes:
        warnings.warn(note, CalibrationWarning, stacklevel=3)
    return written, notes
