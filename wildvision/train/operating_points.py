"""A run's operating points, fitted on its validation split after training (or again with
``wildvision calibrate``): the temperature, the open-set guard and the per-label
thresholds, written into the run's spec and best checkpoint so that export carries them.

Thresholds are chosen on the calibrated probabilities alone; the guard then only takes
flags away (a photo it caps cannot be blocked or reviewed whatever its probability), so a
false-flag budget is an upper bound on the final decisions' false flags. (Choosing them on
the guarded scores instead lets thresholds fall towards 0 wherever the guard has cleared
the validation negatives, which on small validation splits blocks on any probability.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from .._atomic import atomic_write_text
from ..evaluation.calibration import (
    choose_thresholds,
    choose_thresholds_by_budget,
    fit_temperature,
    negative_log_likelihood,
    softmax,
)
from ..spec import Guard, ModelSpec
from .checkpoint import save_checkpoint
from .config import TrainConfig
from .data import Sample
from .dataset import ImageDataset
from .guard import embed_loader, fit_guard, save_bank
from .transforms import EvalTransform


def calibrate_run(
    model: nn.Module,
    loader: DataLoader,
    device: torch.device,
    spec: ModelSpec,
    config: TrainConfig,
    run_dir: Path,
    state: dict[str, Any],
    bank_photos: Sequence[Sample] = (),
) -> ModelSpec:
    """Fit the temperature, the guard (from ``bank_photos``, the wildlife training photos)
    and the thresholds on the validation ``loader``; store them in the run's spec and best
    checkpoint and return the new spec.

    With ``config.review_budget``/``block_budget`` set, the thresholds keep the false flags
    on the validation split's ``other`` photos within those budgets and the spec records
    them (``spec.budgets``); otherwise, or when the split holds no ``other`` photos (with a
    warning), they are chosen for ``block_precision``/``review_precision`` and
    ``spec.budgets`` is None."""
    targets, logits, embeddings = embed_loader(model, loader, device)
    if not len(targets):
        return spec
    temperature = fit_temperature(logits, targets)
    probabilities = softmax(logits, temperature)
    guard = _fit_run_guard(model, device, spec, config, run_dir, bank_photos, targets, embeddings)
    negatives = (
        targets == spec.labels.index("other")
        if "other" in spec.labels
        else np.zeros(len(targets), dtype=bool)
    )
    use_budgets = config.review_budget is not None and config.block_budget is not None
    if use_budgets and not negatives.any():
        use_budgets = False
        if spec.wildlife_labels:
            print(
                "calibration: warning: the validation split has no 'other' photos to measure "
                "false flags on; thresholds chosen by block_precision/review_precision instead "
                "of the false-flag budgets. Add ordinary photos (label 'other') to the data."
            )
    if use_budgets:
        thresholds = choose_thresholds_by_budget(
            probabilities,
            targets,
            spec.labels,
            spec.wildlife_labels,
            negatives,
            review_budget=config.review_budget,
            block_budget=config.block_budget,
        )

        budgets = {"review": config.review_budget, "block": config.block_budget}
        rule = (
            f"budgets review {config.review_budget:.2%} / block {config.block_budget:.2%} "
            f"of {int(negatives.sum())} 'other' photos"
        )
    else:
        thresholds = choose_thresholds(
            probabilities,
            targets,
            spec.labels,
            spec.wildlife_labels,
            block_precision=config.block_precision,
            review_precision=config.review_precision,
        )

        budgets = None
        rule = f"precision block {config.block_precision} / review {config.review_precision}"
    spec = spec.with_updates(
        temperature=temperature, thresholds=thresholds, budgets=budgets, guard=guard
    )
    before = negative_log_likelihood(logits, targets)
    after = negative_log_likelihood(logits, targets, temperature)
    cuts = {k: (round(v.block, 4), round(v.review, 4)) for k, v in thresholds.items()}
    print(
        f"calibration: T={temperature:.3f}, val NLL {before:.4f} -> {after:.4f}; "
        f"cuts {cuts} ({rule}); guard {guard}"
    )
    atomic_write_text(run_dir / "spec.json", spec.to_json())
    save_checkpoint(run_dir / "best.pt", {**state, "spec": spec.to_dict()})
    return spec


def _fit_run_guard(
    model: nn.Module,
    device: torch.device,
    spec: ModelSpec,
    config: TrainConfig,
    run_dir: Path,
    bank_photos: Sequence[Sample],
    targets: np.ndarray,
    embeddings: np.ndarray,
) -> Guard | None:
    """The guard fitted on the run, or None when the run has it switched off, has no
    wildlife labels, or lacks wildlife photos to fit it on."""
    wildlife = np.isin(targets, [spec.labels.index(x) for x in spec.wildlife_labels])
    if not (config.guard and spec.wildlife_labels and bank_photos and wildlife.any()):
        return None
    photos = list(bank_photos)
    if len(photos) > config.guard_bank_size:  # a seeded subsample keeps the graph small
        photos = random.Random(config.seed).sample(photos, config.guard_bank_size)
    dataset = ImageDataset(photos, spec.labels, EvalTransform(spec))
    bank_loader = DataLoader(dataset, batch_size=32, num_workers=min(2, config.num_workers))
    _, _, bank = embed_loader(model, bank_loader, device)
    k = min(config.guard_k, len(bank))
    guard = fit_guard(
        bank,
        embeddings[wildlife],
        k=k,
        block_keep=config.guard_block_keep,
        review_keep=config.guard_review_keep,
    )
    save_bank(run_dir, bank)
    return guard
