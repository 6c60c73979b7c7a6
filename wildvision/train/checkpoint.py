"""Checkpoints of a training run, and what ``train --resume`` needs to continue one.

``last.pt`` holds, besides the weights, the training state at the end of its epoch: the
optimiser and schedule, the raw weights under an EMA, the best score so far and the metric
rows. Every epoch's randomness (sampling order, augmentation, dropout, mixup) is seeded from
the run's seed and the epoch number, so a resumed run replays exactly what the interrupted
one would have done. Files are written atomically: a kill leaves the previous checkpoint.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from .._atomic import atomic_write_bytes
from ..errors import ConfigError
from .config import TrainConfig, load_config
from .samples import Sample, read_manifest

SPLITS = ("train", "val", "test")


def save_checkpoint(path: Path, checkpoint: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_checkpoint_file(path: Path) -> dict[str, Any]:
    """A checkpoint, loaded without running pickled code (``weights_only=True``)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for damaged or foreign files
        raise ConfigError(
            f"{path} is not a readable wildvision checkpoint ({exc}); it may be damaged."
        ) from None


def open_run_for_resume(
    run_dir: str | Path,
) -> tuple[TrainConfig, dict[str, list[Sample]], dict[str, Any] | None]:
    """The run's own config and split, and the training state of its last complete epoch
    (None when the run was killed before finishing one: it starts again from epoch 1)."""
    run_dir = Path(run_dir)
    for name in ("config.yaml", "splits.csv"):
        if not (run_dir / name).is_file():
            raise ConfigError(
                f"cannot resume {run_dir}: it has no {name}; pass the folder that "
                "`wildvision train` made (it prints 'run folder ...')."
            )
    config = load_config(run_dir / "config.yaml")
    samples = read_manifest(run_dir / "splits.csv")
    splits = {name: [s for s in samples if s.split == name] for name in SPLITS}
    last = run_dir / "last.pt"
    state = load_checkpoint_file(last) if last.is_file() else None
    if state is not None and "train_state" not in state:
        raise ConfigError(f"{last} holds no training state (made by an older wildvision).")
    return config, splits, state


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of one epoch's randomness: a function of the run's seed and the epoch only."""
    return seed * 1000 + epoch
