"""Preprocessing inside the ONNX graph, so an embedder in any language only decodes pixels.

The in-graph model takes ``image``: uint8 ``[N, H, W, 3]`` RGB at any H and W (N photos of one
size; usually N = 1) and does what ``wildvision.preprocess`` does: resize the shorter side to
``floor(size / crop_pct)``, centre-crop ``size``, normalise. The resize is Pillow's separable
filter written as two matrix products — for each output row and column, the filter weights
over every input pixel, normalised — applied in Pillow's order (horizontal, round to 8 bits,
vertical), so it matches Pillow's antialiased bicubic/bilinear resampling to within a level
(ONNX ``Resize`` does not antialias the same way). Only the crop's rows and columns are computed.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..classifier import IMAGE_INPUT
from ..spec import ModelSpec
from .graph_outputs import ModelOutputs

__all__ = ["IMAGE_INPUT", "InGraphModel", "InGraphPreprocess"]


def _cubic(x: torch.Tensor, a: float = -0.5) -> torch.Tensor:
    x = x.abs()
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return torch.where(x < 1, near, torch.where(x < 2, far, torch.zeros_like(x)))


def _linear(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(1 - x.abs(), min=0)


_FILTERS = {"bicubic": (_cubic, 2.0), "bilinear": (_linear, 1.0)}


def _weights(
    in_size: torch.Tensor, out_size: torch.Tensor, first: torch.Tensor, count: int, kind: str
) -> torch.Tensor:
    """[count, in_size] filter weights for output indices ``first .. first+count-1`` of a
    resize from ``in_size`` to ``out_size`` (Pillow's convention: centres at +0.5)."""
    kernel, _ = _FILTERS[kind]
    in_f, out_f = in_size.to(torch.float32), out_size.to(torch.float32)
    scale = in_f / out_f
    filterscale = torch.clamp(scale, min=1.0)
    rows = first.to(torch.float32) + torch.arange(count, dtype=torch.float32)
    centres = (rows + 0.5) * scale
    pixels = _arange(in_size)
    w = kernel((pixels[None, :] + 0.5 - centres[:, None]) / filterscale)
    return w / w.sum(dim=1, keepdim=True)


def _arange(n: torch.Tensor) -> torch.Tensor:
    # ones().cumsum() keeps the length symbolic in the traced graph
    return torch.ones(n, dtype=torch.float32).cumsum(0) - 1


class InGraphPreprocess(nn.Module):
    """uint8 [N, H, W, 3] -> normalised float [N, 3, size, size], as ``preprocess`` does."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        if spec.interpolation not in _FILTERS:
            raise ValueError(
                f"in-graph preprocessing supports {sorted(_FILTERS)}, not {spec.interpolation!r}"
            )
        self.kind = spec.interpolation
        self.size = spec.input_size
        self.resize = spec.resize_size
        mean = torch.tensor(spec.mean, dtype=torch.float32) * 255
        std = torch.tensor(spec.std, dtype=torch.float32) * 255
        self.register_buffer("mean", mean.view(1, 3, 1, 1))
        self.register_buffer("inv_std", (1 / std).view(1, 3, 1, 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        height = torch.tensor(image.shape[1])
        width = torch.tensor(image.shape[2])
        short = torch.minimum(height, width)
        out_h = torch.div(self.resize * height, short, rounding_mode="floor")
        out_w = torch.div(self.resize * width, short, rounding_mode="floor")
        top = torch.round((out_h - self.size).to(torch.float32) / 2).to(torch.int64)
        left = torch.round((out_w - self.size).to(torch.float32) / 2).to(torch.int64)
        wy = _weights(height, out_h, top, self.size, self.kind)  # [S, H]
        wx = _weights(width, out_w, left, self.size, self.kind)  # [S, W]
        pixels = image.to(torch.float32).permute(0, 3, 1, 2)  # [N, 3, H, W]
        # Pillow's order and rounding: a horizontal pass to 8-bit, then a vertical pass.
        across = torch.clamp(torch.round(torch.matmul(pixels, wx.transpose(0, 1))), 0, 255)
        resized = torch.clamp(torch.round(torch.matmul(wy, across)), 0, 255)  # [N, 3, S, S]
        return (resized - self.mean) * self.inv_std


class InGraphModel(nn.Module):
    """Preprocessing and classifier in one graph: uint8 image -> the outputs of
    ``ModelOutputs`` (logits, probabilities, embedding[, guard_distance])."""

    def __init__(self, model: nn.Module, spec: ModelSpec, bank: np.ndarray | None = None) -> None:
        super().__init__()
        self.preprocess = InGraphPreprocess(spec)
        self.outputs = ModelOutputs(model, spec, bank)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.outputs(self.preprocess(image))
