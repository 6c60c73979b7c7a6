"""The training floor: data, augmentation, model factory, trainer, evaluation and export.

Needs the ``[train]`` extra (torch, timm, albumentations, onnx). Importing this package
without it raises an ImportError that says how to install it.
"""

from __future__ import annotations

import importlib.util
import os

# albumentations asks the network for a newer version at import: a name-resolution warning
# and a wait on offline machines. The training floor never needs that; a user's own setting
# of the variable wins.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

_REQUIRED = ("torch", "timm", "albumentations", "onnx", "yaml", "tqdm")


def is_training_available() -> bool:
    """True when every package the training floor needs is importable."""
    return all(importlib.util.find_spec(name) is not None for name in _REQUIRED)


if not is_training_available():
    missing = [n for n in _REQUIRED if importlib.util.find_spec(n) is None]
    raise ImportError(
        f"wildvision training needs {', '.join(missing)}; install the training extra: "
        "pip install 'wildvision[train]'"
    )
