"""The data loaders of a training run, and the per-epoch seeding that makes a run
replayable: each epoch's sampling order and augmentation depend only on (seed, epoch)."""

from __future__ import annotations

import functools
import random

import numpy as np
import torch
from torch.utils.data import DataLoader

from ..spec import ModelSpec
from .checkpoint import epoch_seed
from .config import TrainConfig
from .data import Sample
from .dataset import ImageDataset, balanced_sampler
from .transforms import EvalTransform, TrainTransform


def build_loaders(
    config: TrainConfig, spec: ModelSpec, labels: list[str], splits: dict[str, list[Sample]]
) -> dict[str, DataLoader]:
    pool = [str(x.path) for x in splits["train"] if x.label in config.pool_labels]
    transform = TrainTransform(spec, config.augment, pool, seed=config.seed)
    train_set = ImageDataset(splits["train"], labels, transform)
    if not len(train_set):
        raise ValueError("the training split is empty; add photos or lower the val/test fractions")
    sources = [x.source for x in splits["train"]] if config.balance_sources else None
    sampler = (
        balanced_sampler(train_set.targets, config.seed, sources)
        if config.balance_classes
        else None
    )
    generator = torch.Generator().manual_seed(config.seed)
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
            drop_last=len(train_set) > config.batch_size,
            worker_init_fn=functools.partial(_reseed_worker, config.seed),
            **{**common, "persistent_workers": False},  # re-seeded from the epoch each time
        ),
    }
    for name in ("val", "test"):
        dataset = ImageDataset(splits[name], labels, EvalTransform(spec))
        loaders[name] = DataLoader(dataset, shuffle=False, **common)
    return loaders


def steps_per_epoch(loader: DataLoader, config: TrainConfig) -> int:
    if config.max_steps_per_epoch:
        return min(len(loader), config.max_steps_per_epoch)
    return len(loader)


def seed_epoch(config: TrainConfig, epoch: int, loader: DataLoader) -> None:
    """Seed everything random in one epoch from (seed, epoch): a resumed run replays it."""
    seed = epoch_seed(config.seed, epoch)
    seed_everything(seed)
    loader.dataset.epoch = epoch  # workers start afresh each epoch and reseed from it
    if loader.num_workers == 0:
        loader.dataset.transform.reseed(seed)
    for generator in (getattr(loader.sampler, "generator", None), loader.generator):
        if generator is not None:
            generator.manual_seed(seed)


def _reseed_worker(seed: int, worker_id: int) -> None:
    dataset = torch.utils.data.get_worker_info().dataset
    epoch = getattr(dataset, "epoch", 0)
    dataset.transform.reseed(epoch_seed(seed, epoch) * 100 + worker_id + 1)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
