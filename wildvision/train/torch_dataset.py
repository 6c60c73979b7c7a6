"""A torch Dataset over ``Sample`` records (see ``samples``), decoding through wildvision's
safe decoder, and the class-balanced sampler."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import torch
from torch.utils.data import Dataset, WeightedRandomSampler

from ..errors import ConfigError
from ..imaging import load_image
from .samples import Sample


class ImageDataset(Dataset):
    """(image tensor, label index) pairs; labels outside ``labels`` are refused up front."""

    def __init__(
        self,
        samples: Sequence[Sample],
        labels: Sequence[str],
        transform: Callable[..., torch.Tensor],
    ) -> None:
        index = {label: i for i, label in enumerate(labels)}
        unknown = sorted({s.label for s in samples} - set(index))
        if unknown:
            raise ConfigError(
                f"data has labels {unknown} that the model does not know ({list(labels)}); "
                "add them to 'labels' in the config or map them with 'label_map'."
            )
        self.samples = list(samples)
        self.targets = [index[s.label] for s in self.samples]
        self.transform = transform
        self.epoch = 0  # set by the trainer; DataLoader workers seed their augmentation from it

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(load_image(self.samples[i].path)), self.targets[i]


def balanced_sampler(
    targets: Sequence[int], seed: int, sources: Sequence[str | None] | None = None
) -> WeightedRandomSampler:
    """Draw each class equally often (with replacement), one epoch = len(targets) draws.

    With ``sources``, each source within a class is also drawn equally often, so one big
    source (and its backgrounds) cannot dominate its class.
    """
    if sources is None:
        counts = Counter(targets)
        weights = torch.tensor([1.0 / counts[t] for t in targets], dtype=torch.double)
    else:
        per_source = Counter(zip(targets, sources))
        sources_in = Counter(t for t, _ in per_source)
        weights = torch.tensor(
            [1.0 / (sources_in[t] * per_source[(t, s)]) for t, s in zip(targets, sources)],
            dtype=torch.double,
        )
    generator = torch.Generator().manual_seed(seed)
    return WeightedRandomSampler(weights, num_samples=len(targets), generator=generator)
