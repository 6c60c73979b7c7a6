"""Where the shipped models live, and how a model name or path resolves to a file."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ModelError

DEFAULT_MODEL = "wildvision-lite0"
_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_models_dir() -> Path:
    """The folder of shipped models: inside the package for a wheel, else the repo's."""
    for candidate in (_PACKAGE_DIR / "exported_models", _PACKAGE_DIR.parent / "exported_models"):
        if candidate.is_dir():
            return candidate
    raise ModelError(
        "no shipped models found (exported_models/ is missing); reinstall wildvision or "
        "pass a model path: Classifier('path/to/model.onnx')."
    )


def list_shipped_models() -> list[str]:
    """Names of the shipped ONNX models (file stems)."""
    try:
        folder = shipped_models_dir()
    except ModelError:
        return []
    return sorted(p.stem for p in folder.glob("*.onnx"))


PRECISIONS = ("auto", "int8", "fp32")
#: The files an export writes for one model, by format: ``NAME.onnx`` (fp32),
#: ``NAME.ingraph.onnx`` (preprocessing in the graph) and ``NAME.int8.onnx``.
EXPORT_FORMATS = ("fp32", "ingraph", "int8")


def variant_path(fp32_path: str | os.PathLike, format: str) -> Path:
    """The file of ``format`` beside an fp32 model ``NAME.onnx``: ``NAME.ingraph.onnx``,
    ``NAME.int8.onnx`` (``NAME.onnx`` itself for ``fp32``)."""
    if format not in EXPORT_FORMATS:
        raise ModelError(f"unknown model format {format!r}; one of {', '.join(EXPORT_FORMATS)}.")
    path = Path(fp32_path)
    return path if format == "fp32" else path.with_suffix(f".{format}.onnx")


def resolve_model_path(model: str | os.PathLike | None = None, precision: str = "auto") -> Path:
    """Turn ``None`` (the default), a shipped model name or a path into an existing file.

    For a shipped model, ``precision`` picks the file: ``auto`` takes the int8 variant
    (``NAME.int8.onnx``, faster on CPUs) when it is shipped, else fp32; ``int8`` and ``fp32``
    insist on one. A path is used as it is.
    """
    if precision not in PRECISIONS:
        raise ModelError(f"precision must be one of {PRECISIONS}, got {precision!r}.")
    if model is None:
        model = DEFAULT_MODEL
    path = Path(model)
    if path.suffix == ".onnx" or path.exists() or os.sep in str(model):
        if not path.is_file():
            raise ModelError(f"model file {path} does not exist; check the path.")
        return path
    folder = shipped_models_dir()
    fp32 = folder / f"{model}.onnx"
    int8 = variant_path(fp32, "int8")
    order = {"auto": (int8, fp32), "int8": (int8,), "fp32": (fp32,)}[precision]
    for candidate in order:
        if candidate.is_file():
            return candidate
    names = ", ".join(list_shipped_models()) or "none"
    raise ModelError(
        f"no shipped model {str(model)!r} at precision {precision!r}; pass a path to an .onnx "
        f"file or one of the shipped models: {names}."
    )
