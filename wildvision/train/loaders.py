"""The data loaders of a training run, and the per-epoch seeding that makes a run
replayable: each epoch's sampling order and augmentation depend only on (seed, epoch) (and,
under torchrun, the rank: all ranks share the draw, each augments its own slice)."""

from __future__ import annotations

import functools
import random

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import numpy as np
import torch
from torch.utils.data import DataLoader, RandomSampler

from ..data import Sample
from ..errors import ConfigError
from ..runs.config import TrainConfig
from ..spec import ModelSpec
from .distributed import RankSlice, per_rank_batch
from .torch_dataset import ImageDataset, balanced_sampler, eval_dataset
from .transforms import TrainTransform


def build_loaders(
    config: TrainConfig,
    spec: ModelSpec,
    labels: list[str],
    splits: dict[str, list[Sample]],
    rank: int = 0,
    world_size: int = 1,
) -> dict[str, DataLoader]:
    """Train, val and test loaders; with ``world_size`` > 1 the train loader yields this
    rank's slice of each epoch's draw, ``batch_size / world_size`` photos a step."""
    pool = [str(x.path) for x in splits["train"] if x.label in config.pool_labels]
    transform = TrainTransform(spec, config.augment, pool, seed=config.seed)
    train_set = ImageDataset(splits["train"], labels, transform)
    train_set.rank = rank
    if not len(train_set):
        raise ConfigError("the training split is empty; add photos or lower the val/test fractions")
    sources = [x.source for x in splits["train"]] if config.balance_sources else None
    weights = [x.weight for x in splits["train"]]
    sampler = (
        balanced_sampler(train_set.targets, config.seed, sources, weights)
        if config.balance_classes
        else None
    )
    generator = torch.Generator().manual_seed(config.seed)
    batch = config.batch_size
    if world_size > 1:
        mixing = bool(config.mixup_alpha or config.cutmix_alpha)
        batch = per_rank_batch(config.batch_size, world_size, mixing)
        base = sampler or RandomSampler(train_set, generator=torch.Generator())
        sampler = RankSlice(base, rank, world_size)
    common = {
        "batch_size": config.batch_size,
        "num_workers": config.num_workers,
        "persistent_workers": config.num_workers > 0,
    }
    loaders = {
        "train": DataLoader(
            train_set,
            sampler=sampler,
            shuffle=sampler is None,
            generator=generator,
            drop_last=len(sampler if sampler is not None else train_set) > batch,
            worker_init_fn=functools.partial(_reseed_worker, config.seed),
            # workers are re-seeded from the epoch each time
            **{**common, "persistent_workers": False, "batch_size": batch},
        ),
    }
    for name in ("val", "test"):
        loaders[name] = DataLoader(eval_dataset(splits[name], spec, labels), **common)
    return loaders


def steps_per_epoch(loader: DataLoader, config: TrainConfig) -> int:
    if config.max_steps_per_epoch:
        return min(len(loader), config.max_steps_per_epoch)
    return len(loader)


def seed_epoch(config: TrainConfig, epoch: int, loader: DataLoader, rank: int = 0) -> None:
    """Seed everything random in one epoch from (seed, epoch): a resumed run replays it.

    The draw of photos is seeded alike on every rank (each takes its slice of it); the
    augmentation, dropout and mixup of rank r > 0 from a seed of its own.
    """
    seed = epoch_seed(config.seed, epoch)
    seed_everything(rank_seed(seed, rank))
    loader.dataset.epoch = epoch  # workers start afresh each epoch and reseed from it
    if loader.num_workers == 0:
        loader.dataset.transform.reseed(rank_seed(seed, rank))
    for generator in (getattr(loader.sampler, "generator", None), loader.generator):
        if generator is not None:
            generator.manual_seed(seed)


def _reseed_worker(seed: int, worker_id: int) -> None:
    dataset = torch.utils.data.get_worker_info().dataset
    epoch, rank = getattr(dataset, "epoch", 0), getattr(dataset, "rank", 0)
    dataset.transform.reseed(rank_seed(epoch_seed(seed, epoch) * 100 + worker_id + 1, rank))


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of one epoch's randomness: a function of the run's seed and the epoch only,
    so a resumed run replays exactly what the interrupted one would have done."""
    return seed * 1000 + epoch


def rank_seed(seed: int, rank: int) -> int:
    """Rank 0 keeps ``seed`` (a single-process run is rank 0); other ranks get their own."""
    return seed + 1_000_003 * rank


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
