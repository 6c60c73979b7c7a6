"""The training floor: run folders, data sources, augmentation, model factory, trainer,
calibration of a run and export. Evaluation, torch-free, is ``wildvision.evaluation``.

Needs the ``[train]`` extra (torch, timm, albumentations, onnx). Importing this package
without it raises an ImportError that says how to install it.
"""

from __future__ import annotations

import os

from .._extras import missing_packages, require_extra

# albumentations asks the network for a newer version at import: a name-resolution warning
# and a wait on offline machines. The training floor never needs that; a user's own setting
# of the variable wins.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

#: The packages the training floor imports, ``{import name: pip name}``.
_REQUIRED = {
    "torch": "torch",
    "timm": "timm",
    "albumentations": "albumentations",
    "onnx": "onnx",
    "yaml": "pyyaml",
    "tqdm": "tqdm",
}


def is_training_available() -> bool:
    """True when every package the training floor needs is importable."""
    return not missing_packages(_REQUIRED)


require_extra("train", _REQUIRED, "wildvision training")


def _import_tqdm_auto_quietly() -> None:
    """Import ``tqdm.auto`` once, here, without the ``TqdmWarning`` it prints in a notebook
    without ipywidgets ("IProgress not found"): huggingface_hub imports it (through timm)
    though wildvision draws its own bars with plain tqdm. Only that warning, only during
    this import (the filters are restored after); a later import finds the module loaded."""
    import warnings

    from tqdm import TqdmWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "IProgress not found", TqdmWarning)
        import tqdm.auto  # noqa: F401


_import_tqdm_auto_quietly()
