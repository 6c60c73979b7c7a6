"""A run's operating points, fitted on its validation split after training
(``fit_operating_points``) or again later without retraining (``calibrate``, the
``wildvision calibrate RUN`` verb, e.g. to choose another operating point): the temperature,
the open-set guard and the per-label thresholds, written into the run's spec (export carries
them) with the guard's bank beside it. The maths (temperature scaling, thresholds by budget
or by precision) is in ``calibration``.

Thresholds are chosen on the calibrated probabilities alone; the guard then only takes
flags away (a photo it caps cannot be blocked or reviewed whatever its probability), so a
false-flag budget is an upper bound on the final decisions' false flags. (Choosing them on
the guarded scores instead lets thresholds fall towards 0 wherever the guard has cleared
the validation negatives, which on small validation splits blocks on any probability.)
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Sequence
from pathlib import Path

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from ..data import Sample
from ..errors import ConfigError
from ..runs.config import TrainConfig
from ..runs.run import Run
from ..spec import Guard, ModelSpec
from ..taxonomy import ORDINARY_LABEL
from ..thresholds import (
    choose_thresholds,
    choose_thresholds_by_budget,
    fit_temperature,
    negative_log_likelihood,
    softmax,
)
from .distributed import resolve_device
from .guard import embed_loader, fit_guard
from .model_factory import load_model
from .torch_dataset import eval_dataset

logger = logging.getLogger(__name__)

#: The config keys of the false-flag budgets, in ``calibrate``'s order.
BUDGET_KEYS = ("review_budget", "block_budget")


def calibrate(
    run: Run | str | Path,
    *,
    review_budget: float | None = None,
    block_budget: float | None = None,
    block_precision: float | None = None,
    review_precision: float | None = None,
    device: str = "auto",
) -> ModelSpec:
    """Fit temperature, guard and per-class thresholds for ``run`` (a ``Run`` or its folder)
    on its validation photos; updates the run's config and spec and returns the new spec.
    Export again afterwards.

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
            run lacks its best checkpoint or validation photos.
    """
    budgets = dict(zip(BUDGET_KEYS, (review_budget, block_budget)))
    precisions = {"block_precision": block_precision, "review_precision": review_precision}
    given_budgets = {k: v for k, v in budgets.items() if v is not None}
    given_precisions = {k: v for k, v in precisions.items() if v is not None}
    if given_budgets and given_precisions:
        raise ConfigError(
            f"pass either budgets ({', '.join(given_budgets)}) or precisions "
            f"({', '.join(given_precisions)}), not both: budgets choose thresholds by false "
            "flags on ordinary photos, precisions by precision on the validation split."
        )
    run = Run.open(run)
    config = dataclasses.replace(
        run.config, **_operating_point(run.config, given_budgets, given_precisions)
    )
    config.validate()
    model, spec, splits = load_model(run), run.spec, run.splits()
    if not splits["val"]:
        raise ConfigError(
            f"{run.folder} has no validation photos to calibrate on; train it with "
            "val_fraction above 0."
        )
    target = resolve_device(device)
    loader = DataLoader(
        eval_dataset(splits["val"], spec), batch_size=32, num_workers=config.num_workers
    )
    spec = fit_operating_points(run, model.to(target), loader, target, config, splits["train"])
    run.write_config(config)
    return spec


def _operating_point(
    config: TrainConfig, budgets: dict[str, float], precisions: dict[str, float]
) -> dict[str, float | None]:
    """The config values a calibration with these ``budgets`` or ``precisions`` runs at (the
    rule of ``calibrate``), as a new value: the loaded config is left as it is."""
    if budgets:
        chosen = {key: budgets.get(key, getattr(config, key)) for key in BUDGET_KEYS}
        return {k: v if v is not None else getattr(TrainConfig, k) for k, v in chosen.items()}
    if precisions:
        return {**precisions, **dict.fromkeys(BUDGET_KEYS)}
    return {}


def fit_operating_points(
    run: Run,
    model: nn.Module,
    loader: DataLoader,
    device: torch.device,
    config: TrainConfig,
    train_photos: Sequence[Sample] = (),
) -> ModelSpec:
    """Fit the temperature, the guard (its bank: the wildlife photos of ``train_photos``)
    and the thresholds of ``model`` on the validation ``loader``; write them into the run's
    spec (and the guard's bank beside it) and return the new spec.

    With ``config.review_budget``/``block_budget`` set, the thresholds keep the false flags
    on the validation split's ``other`` photos within those budgets and the spec records
    them (``spec.budgets``); otherwise, or when the split holds no ``other`` photos (with a
    warning), they are chosen for ``block_precision``/``review_precision`` and
    ``spec.budgets`` is None."""
    spec = run.spec
    targets, logits, embeddings = embed_loader(model, loader, device)
    if not len(targets):
        return spec
    temperature = fit_temperature(logits, targets)
    probabilities = softmax(logits, temperature)
    guard = _fit_run_guard(run, model, device, spec, config, train_photos, targets, embeddings)
    negatives = (
        targets == spec.labels.index(ORDINARY_LABEL)
        if ORDINARY_LABEL in spec.labels
        else np.zeros(len(targets), dtype=bool)
    )
    use_budgets = config.review_budget is not None and config.block_budget is not None
    if use_budgets and not negatives.any():
        use_budgets = False
        if spec.wildlife_labels:
            logger.warning(
                "calibration: the validation split has no 'other' photos to measure "
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
    logger.info(
        "calibration: T=%.3f, val NLL %.4f -> %.4f; cuts %s (%s); guard %s",
        temperature,
        before,
        after,
        cuts,
        rule,
        guard,
    )
    run.write_spec(spec)
    return spec


def _fit_run_guard(
    run: Run,
    model: nn.Module,
    device: torch.device,
    spec: ModelSpec,
    config: TrainConfig,
    train_photos: Sequence[Sample],
    targets: np.ndarray,
    embeddings: np.ndarray,
) -> Guard | None:
    """The guard fitted on the run, or None when the run has it switched off, has no
    wildlife labels, or lacks wildlife photos to fit it on."""
    wildlife = np.isin(targets, [spec.labels.index(x) for x in spec.wildlife_labels])
    photos = [s for s in train_photos if s.label in spec.wildlife_labels]
    if not (config.guard and photos and wildlife.any()):
        return None
    if len(photos) > config.guard_bank_size:  # a seeded subsample keeps the graph small
        photos = random.Random(config.seed).sample(photos, config.guard_bank_size)
    workers = min(2, config.num_workers)
    bank_loader = DataLoader(eval_dataset(photos, spec), batch_size=32, num_workers=workers)
    _, _, bank = embed_loader(model, bank_loader, device)
    k = min(config.guard_k, len(bank))
    guard = fit_guard(
        bank,
        embeddings[wildlife],
        k=k,
        block_keep=config.guard_block_keep,
        review_keep=config.guard_review_keep,
    )
    run.save_guard_bank(bank)
    return guard
