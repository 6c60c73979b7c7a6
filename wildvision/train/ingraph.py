"""Preprocessing inside the ONNX graph, so an embedder in any language only decodes pixels.

The in-graph model takes ``image``: uint8 ``[N, H, W, 3]`` RGB at any H and W (N photos of one
size; usually N = 1) and does what ``wildvision.preprocess`` does: resize the shorter side to
``floor(size / crop_pct)``, centre-crop ``size``, normalise (after cutting uniform margins
when the spec's ``trim_margins`` asks, per image). The resize is Pillow's separable
filter written as two matrix products — for each output row and column, the filter weights
over every input pixel, normalised — applied in Pillow's order (horizontal, round to 8 bits,
vertical), so it matches Pillow's antialiased bicubic/bilinear resampling to within a level
(ONNX ``Resize`` does not antialias the same way). Only the crop's rows and columns are computed.
"""

from __future__ import annotations

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import numpy as np
import torch
from torch import nn

from ..preprocess import MIN_TRIMMED_SHARE
from ..spec import IMAGE_INPUT, ModelSpec
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
    full: torch.Tensor,
    start: torch.Tensor,
    stop: torch.Tensor,
    out_size: torch.Tensor,
    first: torch.Tensor,
    count: int,
    kind: str,
) -> torch.Tensor:
    """[N, count, full] filter weights, per image, for output indices ``first ..
    first+count-1`` of a resize of the input's ``start:stop`` window (a side of ``full``
    pixels) to ``out_size`` (Pillow's convention: centres at +0.5; pixels outside the window
    weigh nothing, as if it had been cropped first). ``start``, ``stop``, ``out_size`` and
    ``first`` are [N]."""
    kernel, _ = _FILTERS[kind]
    in_f, out_f = (stop - start).to(torch.float32), out_size.to(torch.float32)
    scale = (in_f / out_f)[:, None, None]
    filterscale = torch.clamp(scale, min=1.0)
    rows = first.to(torch.float32)[:, None] + torch.arange(count, dtype=torch.float32)[None, :]
    centres = start.to(torch.float32)[:, None, None] + (rows[:, :, None] + 0.5) * scale
    pixels = _arange(full)[None, None, :]
    inside = (pixels >= start[:, None, None]) & (pixels < stop[:, None, None])
    w = kernel((pixels + 0.5 - centres) / filterscale) * inside
    return w / w.sum(dim=2, keepdim=True)


def _arange(n: torch.Tensor) -> torch.Tensor:
    # ones().cumsum() keeps the length symbolic in the traced graph
    return torch.ones(n, dtype=torch.float32).cumsum(0) - 1


def _span(keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """First and one-past-last index of True along dim 1 of ``keep`` [N, L]; (0, L) where
    a row has none."""
    length = keep.shape[1]
    hits = keep.to(torch.int64)
    first = torch.argmax(hits, dim=1)
    last = length - torch.argmax(torch.flip(hits, dims=[1]), dim=1)
    anything = keep.any(dim=1)
    zero, full = torch.zeros_like(first), torch.full_like(first, length)
    return torch.where(anything, first, zero), torch.where(anything, last, full)


def margin_box(image: torch.Tensor, tolerance: int) -> tuple[torch.Tensor, ...]:
    """``(top, bottom, left, right)``, each [N], of uint8 ``image`` [N, H, W, 3] without its
    uniform margins: what ``wildvision.preprocess.margin_box`` computes, per image."""
    pixels = image.to(torch.int32)
    height, width = image.shape[1], image.shape[2]
    row_range = pixels.amax(dim=2) - pixels.amin(dim=2)  # [N, H, 3]
    top, bottom = _span((row_range > tolerance).any(dim=2))
    rows = torch.arange(height)[None, :]
    kept = ((rows >= top[:, None]) & (rows < bottom[:, None]))[:, :, None, None]
    high = torch.where(kept, pixels, torch.full_like(pixels, -1)).amax(dim=1)  # [N, W, 3]
    low = torch.where(kept, pixels, torch.full_like(pixels, 256)).amin(dim=1)
    left, right = _span(((high - low) > tolerance).any(dim=2))
    small = ((bottom - top).to(torch.float32) < MIN_TRIMMED_SHARE * height) | (
        (right - left).to(torch.float32) < MIN_TRIMMED_SHARE * width
    )
    zero = torch.zeros_like(top)
    return (
        torch.where(small, zero, top),
        torch.where(small, torch.full_like(bottom, height), bottom),
        torch.where(small, zero, left),
        torch.where(small, torch.full_like(right, width), right),
    )


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
        self.trim = spec.trim_margins
        mean = torch.tensor(spec.mean, dtype=torch.float32) * 255
        std = torch.tensor(spec.std, dtype=torch.float32) * 255
        self.register_buffer("mean", mean.view(1, 3, 1, 1))
        self.register_buffer("inv_std", (1 / std).view(1, 3, 1, 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        height = torch.tensor(image.shape[1])
        width = torch.tensor(image.shape[2])
        batch = image.shape[0]
        if self.trim is None:
            y0 = x0 = torch.zeros(batch, dtype=torch.int64)
            y1, x1 = height.expand(batch), width.expand(batch)
        else:
            y0, y1, x0, x1 = margin_box(image, self.trim)
        box_h, box_w = y1 - y0, x1 - x0
        short = torch.minimum(box_h, box_w)
        out_h = torch.div(self.resize * box_h, short, rounding_mode="floor")
        out_w = torch.div(self.resize * box_w, short, rounding_mode="floor")
        top = torch.round((out_h - self.size).to(torch.float32) / 2).to(torch.int64)
        left = torch.round((out_w - self.size).to(torch.float32) / 2).to(torch.int64)
        wy = _weights(height, y0, y1, out_h, top, self.size, self.kind)  # [N, S, H]
        wx = _weights(width, x0, x1, out_w, left, self.size, self.kind)  # [N, S, W]
        pixels = image.to(torch.float32).permute(0, 3, 1, 2)  # [N, 3, H, W]
        # Pillow's order and rounding: a horizontal pass to 8-bit, then a vertical pass.
        across = torch.matmul(pixels, wx.transpose(1, 2)[:, None])  # [N, 3, H, S]
        across = torch.clamp(torch.round(across), 0, 255)
        resized = torch.clamp(torch.round(torch.matmul(wy[:, None], across)), 0, 255)
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
