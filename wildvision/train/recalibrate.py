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
from .config import TrainConfig, build_config
from .distributed import resolve_device
from .export import load_checkpoint
from .operating_points import calibrate_run
from .samples import read_manifest
from .torch_dataset import ImageDataset
from .transforms import EvalTransform


def recalibrate(
    run: str | Path,
    *,
    review_budget: float | None = None,
    block_budget: float | None = None,
    block_precision: float | None = None,
    review_precision: float | None = None,
    device: str = "auto",
) -> ModelSpec:
    """Fit temperature and per-class thresholds for ``run`` (a run folder) on its validation
    photos; updates the run's ``config.yaml``, ``spec.json`` and ``best.pt`` and returns the
    new spec. Export again afterwards.

    Which rule chooses the thresholds (arguments left at None keep the run's config):

    - a budget (``review_budget``, ``block_budget``): by false-flag budget on the ``other``
      photos; a budget not given comes from the run's config, or the default
      (``TrainConfig``'s) when the run used precision;
    - a precision (``block_precision``, ``review_precision``): by precision, and the run's
      budgets are cleared (set to None), since budgets would otherwise win;
    - neither: the run's config as it is (runs made before budgets existed get the default
      budgets).

    Raises:
        ConfigError: budgets and precisions are both given, a value is out of range, or the
            run folder lacks ``best.pt`` or validation photos.
    """
    budgets = {"review_budget": review_budget, "block_budget": block_budget}
    precisions = {"block_precision": block_precision, "review_precision": review_precision}
    given_budgets = {k: v for k, v in budgets.items() if v is not None}
    given_precisions = {k: v for k, v in precisions.items() if v is not None}
    if given_budgets and given_precisions:
        raise ConfigError(
            f"pass either budgets ({', '.join(given_budgets)}) or precisions "
            f"({', '.join(given_precisions)}), not both: budgets choose thresholds by false "
            "flags on ordinary photos, precisions by precision on the validation split."
        )
    run_dir = Path(run)
    checkpoint = run_dir / "best.pt"
    if not checkpoint.is_file():
        raise ConfigError(f"{run_dir} holds no best.pt; pass a training run folder.")
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    config = build_config(state["config"])
    if given_budgets:
        for key in budgets:
            value = given_budgets.get(key, getattr(config, key))
            setattr(config, key, value if value is not None else getattr(TrainConfig, key))
    if given_precisions:
        for key, value in given_precisions.items():
            setattr(config, key, value)
        config.review_budget = config.block_budget = None
    config.validate()
    state = {**state, "config": config.to_dict()}
    model, spec = load_checkpoint(checkpoint)
    photos = read_manifest(run_dir / "splits.csv")
    val = [s for s in photos if s.split == "val"]
    bank = [s for s in photos if s.split == "train" and s.label in spec.wildlife_labels]
    if not val:
        raise ConfigError(f"{run_dir}/splits.csv has no validation photos to calibrate on.")
    loader = DataLoader(ImageDataset(val, spec.labels, EvalTransform(spec)), batch_size=32)
    target = resolve_device(device)
    spec = calibrate_run(model.to(target), loader, target, spec, config, run_dir, state, bank)
    atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))
    return spec
