"""The optimiser and learning-rate schedule of a training phase.

AdamW over the head only (``head`` phase) or the whole model (``full``), the head at
``head_lr_scale`` times the backbone's rate in the full phase, optionally with layer-wise
learning-rate decay (timm's grouping: the stem learns slowest, the last blocks fastest), and a
linear warm-up into cosine decay over the phase's steps.
"""

from __future__ import annotations

import math

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import torch
from timm.optim import param_groups_layer_decay
from torch import nn

from ..runs.config import TrainConfig


def build_optimizer(
    model: nn.Module, config: TrainConfig, phase: str, total_steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """AdamW and a warm-up + cosine schedule for ``phase`` ("head" or "full")."""
    head = model.get_classifier()
    head_ids = {id(p) for p in head.parameters()}
    backbone = [p for p in model.parameters() if id(p) not in head_ids]
    for p in backbone:
        p.requires_grad_(phase == "full")
    if phase == "head":
        groups = [{"params": list(head.parameters()), "lr": config.head_lr}]
    elif config.layer_decay:
        groups = _layer_decay_groups(model, config, head_ids)
    else:
        groups = [
            {"params": list(head.parameters()), "lr": config.lr * config.head_lr_scale},
            {"params": backbone, "lr": config.lr},
        ]
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    total = max(1, total_steps)
    warmup = max(1, int(config.warmup_fraction * total))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _layer_decay_groups(model: nn.Module, config: TrainConfig, head_ids: set[int]) -> list[dict]:
    """timm's layer-decay groups (each with an ``lr_scale``), the head split out at the head
    rate; weight decay as in the other recipes (on every parameter)."""
    groups = []
    for group in param_groups_layer_decay(
        model, weight_decay=config.weight_decay, layer_decay=config.layer_decay
    ):
        scale = group.get("lr_scale", 1.0)
        head = [p for p in group["params"] if id(p) in head_ids]
        rest = [p for p in group["params"] if id(p) not in head_ids]
        if head:
            groups.append({"params": head, "lr": config.lr * config.head_lr_scale})
        if rest:
            groups.append({"params": rest, "lr": config.lr * scale})
    return groups
