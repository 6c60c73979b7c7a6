"""The training floor: data sources, augmentation, model factory, trainer, calibration of a
run and export. Evaluation, torch-free, is ``wildvision.evaluation``; the run folder and
the config schema, torch-free too, are ``wildvision.runs``.

The face::

    from wildvision.train import train, export, calibrate, Run, load_config, load_model

``train``, ``export``, ``calibrate`` and ``load_model`` need the ``[train]`` extra (torch,
timm, albumentations, onnx) and are imported when first asked for, so ``import
wildvision.train`` stays cheap; a module that needs the extra raises ``MissingExtraError``
naming it (``_check``). ``Run`` and ``load_config`` need PyYAML only.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from .._extras import missing_packages

# albumentations asks the network for a newer version at import: a name-resolution warning
# and a wait on offline machines. The training floor never needs that; a user's own setting
# of the variable wins.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

#: The packages the training floor imports, ``{import name: pip name}``.
REQUIRED = {
    "torch": "torch",
    "timm": "timm",
    "albumentations": "albumentations",
    "onnx": "onnx",
    "yaml": "pyyaml",
    "tqdm": "tqdm",
}

#: The face's names and the modules they live in (imported on first use).
_FACE = {
    "train": ".trainer",
    "export": ".exporter",
    "calibrate": ".operating_points",
    "load_model": ".model_factory",
    "Run": "..runs",
    "load_config": "..runs",
    "TrainConfig": "..runs",
}

__all__ = [
    "REQUIRED",
    "Run",
    "TrainConfig",
    "calibrate",
    "export",
    "is_training_available",
    "load_config",
    "load_model",
    "train",
]

if TYPE_CHECKING:
    from ..runs import Run, TrainConfig, load_config
    from .exporter import export
    from .model_factory import load_model
    from .operating_points import calibrate
    from .trainer import train


def is_training_available() -> bool:
    """True when every package the training floor needs is importable."""
    return not missing_packages(REQUIRED)


def __getattr__(name: str) -> Any:
    """The face's names, imported when first used (the training ones need torch)."""
    if name not in _FACE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_FACE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_FACE})
