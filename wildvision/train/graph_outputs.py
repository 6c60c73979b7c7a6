"""What an exported graph outputs, built once for the standard and the in-graph model:
``logits``, ``probabilities`` (softmax of logits / temperature), ``embedding`` (the pooled
features the head sees, L2-normalised) and, when the run has a guard bank,
``guard_distance`` (see ``guard``)."""

from __future__ import annotations

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import numpy as np
import torch
from torch import nn

from ..spec import EMBEDDING_OUTPUT, GUARD_OUTPUT, LOGITS_OUTPUT, PROBABILITIES_OUTPUT, ModelSpec
from .guard import Embedded, GuardDistance


def output_names(spec: ModelSpec) -> list[str]:
    """The graph's output names, in order."""
    names = [LOGITS_OUTPUT, PROBABILITIES_OUTPUT, EMBEDDING_OUTPUT]
    return [*names, GUARD_OUTPUT] if spec.guard is not None else names


class ModelOutputs(nn.Module):
    """Preprocessed pixels -> the exported outputs (see the module docstring)."""

    def __init__(self, model: nn.Module, spec: ModelSpec, bank: np.ndarray | None = None) -> None:
        super().__init__()
        if (spec.guard is None) != (bank is None):
            raise ValueError("a guard needs its bank and a bank its guard (spec.guard)")
        self.embedded = Embedded(model)
        self.temperature = spec.temperature
        self.guard = GuardDistance(bank, spec.guard.k) if spec.guard is not None else None

    def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        logits, embedding = self.embedded(pixel_values)
        outputs = (logits, torch.softmax(logits / self.temperature, dim=1), embedding)
        if self.guard is not None:
            return (*outputs, self.guard(embedding))
        return outputs
