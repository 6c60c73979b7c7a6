"""Refit a finished run's temperature and thresholds on its validation split, without
retraining — e.g. to choose another operating point (``wildvision calibrate RUN``)."""

from __future__ import annotations

from pathlib import Path

import torch
import yaml
from torch.utils.data import DataLoader

from .._atomic import atomic_write_text
from ..errors import ConfigError
from ..spec import ModelSpec
from .config import build_config
from .data import read_manifest
from .dataset import ImageDataset
from .distributed import resolve_device
from .export import load_checkpoint
from .trainer import calibrate_run
from .transforms import EvalTransform


def recalibrate(
    run: str | Path,
    *,
    block_precision: float | None = None,
    review_precision: float | None = None,
    device: str = "auto",
) -> ModelSpec:
    """Fit temperature and per-class thresholds for ``run`` (a run folder) on its validation
    photos, at the given target precisions (default: the run's config); updates the run's
    ``spec.json`` and ``best.pt`` and returns the new spec. Export again afterwards."""
    run_dir = Path(run)
    checkpoint = run_dir / "best.pt"
    if not checkpoint.is_file():
        raise ConfigError(f"{run_dir} holds no best.pt; pass a training run folder.")
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    config = build_config(state["config"])
    if block_precision is not None:
        config.block_precision = block_precision
    if review_precision is not None:
        config.review_precision = review_precision
    state = {**state, "config": config.to_dict()}
    atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))
    model, spec = load_checkpoint(checkpoint)
    val = [s for s in read_manifest(run_dir / "splits.csv") if s.split == "val"]
    if not val:
        raise ConfigError(f"{run_dir}/splits.csv has no validation photos to calibrate on.")
    loader = DataLoader(ImageDataset(val, spec.labels, EvalTransform(spec)), batch_size=32)
    target = resolve_device(device)
    return calibrate_run(model.to(target), loader, target, spec, config, run_dir, state)
