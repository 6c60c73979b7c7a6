"""The ``[train]`` extra's check: importing this raises ``MissingExtraError`` naming the extra
when a package of the training floor is missing.

Every module here that imports torch, timm, albumentations, OpenCV or onnx imports this
first, so the message is the same whichever module a user reaches first, while
``wildvision.train`` itself (its face, ``Run``, the config schema) imports without them.
"""

from __future__ import annotations

from .._extras import require_extra
from . import REQUIRED

require_extra("train", REQUIRED, "wildvision training")


def _import_tqdm_auto_quietly() -> None:
    """Import ``tqdm.auto`` once, here, without the ``TqdmWarning`` it prints in a notebook
    without ipywidgets ("IProgress not found"): huggingface_hub imports it (through timm)
    though wildvision draws its own bars with plain tqdm. Only that warning, only during
    this import (the filters are restored after); a later import finds the module loaded."""
    import warnings

    try:
        from tqdm import TqdmWarning
    except ImportError:
        return  # no tqdm, no warning to hide
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "IProgress not found", TqdmWarning)
        import tqdm.auto  # noqa: F401


_import_tqdm_auto_quietly()
