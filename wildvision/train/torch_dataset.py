"""A torch Dataset over ``Sample`` records (see ``samples``), decoding through wildvision's
safe decoder, and the class-balanced sampler.

Training photos are decoded at full size (random crops may zoom in); validation,
calibration and test photos through ``eval_dataset``, exactly as ``Classifier`` decodes and
preprocesses them (big JPEGs in draft mode), so the figures and the fitted temperature,
thresholds and guard are those of the pixels that are served."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import torch
from PIL import Image
from torch.utils.data import Dataset, WeightedRandomSampler

from ..data import Sample
from ..errors import ConfigError
from ..imaging import load_image
from ..preprocess import decode_for_model
from ..spec import ModelSpec
from .transforms import EvalTransform


class ImageDataset(Dataset):
    """(image tensor, label index) pairs; labels outside ``labels`` are refused up front.
    ``decode`` turns a photo's path into an RGB image (default: full size)."""

    def __init__(
        self,
        samples: Sequence[Sample],
        labels: Sequence[str],
        transform: Callable[..., torch.Tensor],
        decode: Callable[[str], Image.Image] = load_image,
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
        self.decode = decode
        self.epoch = 0  # set by the trainer; DataLoader workers seed their augmentation from it

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(self.decode(self.samples[i].path)), self.targets[i]


def eval_dataset(
    samples: Sequence[Sample], spec: ModelSpec, labels: Sequence[str] | None = None
) -> ImageDataset:
    """``samples`` as a model of ``spec`` is served them: decoded as ``Classifier`` decodes
    (``decode_for_model``) and preprocessed by the spec. ``labels`` default to the spec's."""
    decode = functools.partial(decode_for_model, spec=spec)
    return ImageDataset(samples, labels or spec.labels, EvalTransform(spec), decode)


def balanced_sampler(
    targets: Sequence[int],
    seed: int,
    sources: Sequence[str | None] | None = None,
    weights: Sequence[float] | None = None,
) -> WeightedRandomSampler:
    """Draw each class equally often (with replacement), one epoch = len(targets) draws.

    With ``sources``, each source within a class is also drawn equally often, so one big
    source (and its backgrounds) cannot dominate its class. ``weights`` (a photo's
    ``Sample.weight``) shift draws between the photos of one source, not between sources.
    """
    weights = [1.0] * len(targets) if weights is None else [float(w) for w in weights]
    groups = list(zip(targets, sources)) if sources is not None else [(t, None) for t in targets]
    group_weight: Counter = Counter()
    for group, weight in zip(groups, weights):
        group_weight[group] += weight
    groups_in = Counter(t for t, _ in group_weight)
    draws = torch.tensor(
        [w / (groups_in[g[0]] * group_weight[g]) for g, w in zip(groups, weights)],
        dtype=torch.double,
    )
    generator = torch.Generator().manual_seed(seed)
    return WeightedRandomSampler(draws, num_samples=len(targets), generator=generator)
