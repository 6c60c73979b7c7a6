"""Fine-tune a pretrained timm backbone: head warm-up, then full fine-tune with AdamW and a
cosine schedule; keeps the checkpoint with the best validation macro-F1. Runs alone or as
one of many processes under ``torchrun`` (see ``distributed``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import numpy as np
import torch
from timm.data import Mixup
from timm.loss import SoftTargetCrossEntropy
from timm.utils import ModelEmaV3
from torch import nn
from torch.utils.data import DataLoader

from .._progress import progress
from ..data import Sample
from ..errors import ConfigError
from ..metrics import classification_report
from ..runs.config import TrainConfig, load_config
from ..runs.run import METRIC_FIELDS, Run
from ..thresholds import softmax
from .distributed import Runtime, is_main_process, start_runtime, unwrap
from .loaders import build_loaders, seed_epoch, seed_everything, steps_per_epoch
from .model_factory import build_spec, create_model, load_initial_weights
from .operating_points import fit_operating_points
from .optim import build_optimizer
from .samples import (
    LOOKALIKES_SOURCE,
    class_counts,
    lookalike_samples,
    samples_from_source,
    split_samples,
    subsample_per_class,
)


@dataclass
class TrainResult:
    """The run that was written and how well its best checkpoint did."""

    run: Run
    best_epoch: int
    val_macro_f1: float
    test_metrics: dict[str, Any]

    @property
    def run_dir(self) -> Path:
        return self.run.folder

    @property
    def best_checkpoint(self) -> Path:
        return self.run.checkpoint_path("best")


def train(
    config: TrainConfig | str | Path | None = None,
    *,
    resume: Run | str | Path | None = None,
    **overrides: Any,
) -> TrainResult:
    """Train a classifier; ``config`` is a ``TrainConfig`` or a YAML path, ``overrides`` win.

    ``resume=RUN`` (a ``Run`` or its folder) continues an interrupted run from its last
    complete epoch, with the run's own config, spec and split (no ``config`` or overrides
    then).

    Launched by ``torchrun``, each process trains on its slice of the data (DDP); rank 0
    writes the run and returns the test metrics, the other ranks return none.
    """
    run, saved = None, None
    if resume is not None:
        if config is not None or overrides:
            raise ConfigError("resume continues a run with its own config; pass no other settings.")
        run = Run.open(resume)
        config, splits, saved = run.config, run.splits(), _last_state(run)
    else:
        if not isinstance(config, TrainConfig):
            config = load_config(config, **overrides)
        elif overrides:
            config = load_config(None, **{**config.to_dict(), **overrides})
        seed_everything(config.seed)
        splits = gather_splits(config) if is_main_process() else {}
    runtime = start_runtime(config.device, config.amp, config.channels_last)
    try:
        return _train(config, runtime.share(splits), saved, run, runtime)
    finally:
        runtime.close()


def _train(
    config: TrainConfig,
    splits: dict[str, list[Sample]],
    saved: dict[str, Any] | None,
    run: Run | None,
    runtime: Runtime,
) -> TrainResult:
    log = runtime.log
    if run is not None:  # resumed: the run's own spec
        spec = run.spec
        fresh = saved is None  # killed before its first epoch: start as the run first did
        model = create_model(
            spec.model_name,
            len(spec.labels),
            config.pretrained if fresh and not config.init_from else "none",
        )
        if fresh and config.init_from:
            log(load_initial_weights(model, config.init_from, spec.model_name, spec.labels))
        log(f"resuming {run.folder} after epoch {saved['epoch'] if saved else 0}")
    else:
        labels = config.labels or sorted({s.label for part in splits.values() for s in part})
        # with init_from, the earlier run's weights replace ImageNet's: none are loaded first
        model = create_model(
            config.model, len(labels), "none" if config.init_from else config.pretrained
        )
        if config.init_from:
            log(load_initial_weights(model, config.init_from, config.model, labels))
        spec = build_spec(
            model,
            config.model,
            labels,
            version=config.version,
            block_threshold=config.block_threshold,
            review_threshold=config.review_threshold,
        ).with_updates(trim_margins=config.trim_margins)
        run = runtime.share(Run.create(config, spec, splits) if runtime.is_main else None)
    labels = list(spec.labels)
    device = runtime.device
    processes = f" x {runtime.world_size} processes" if runtime.distributed else ""
    log(f"run folder {run.folder}; device {device}{processes}; labels {labels}")
    for name, part in splits.items():
        log(f"  {name}: {len(part)} photos {class_counts(part)}")

    loaders = build_loaders(config, spec, labels, splits, runtime.rank, runtime.world_size)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    mixer, train_loss_fn = build_mixing(config, len(labels))
    runtime.prepare(model)  # on the device (DDP gives every rank rank 0's weights at wrap)
    ema = ModelEmaV3(model, decay=config.ema_decay, use_warmup=True) if config.ema_decay else None
    best, rows, done = (-1.0, 0), [], 0
    scaler = runtime.grad_scaler()
    if saved is not None:  # every rank loads the same last.pt
        done, best, rows = restore_training(saved, model, ema)
        if saved["train_state"].get("scaler"):
            scaler.load_state_dict(saved["train_state"]["scaler"])
    phases = [("head", config.head_epochs), ("full", config.epochs - config.head_epochs)]
    epoch = 0
    trained = model
    for phase, epochs in phases:
        if epochs == 0:
            continue
        del trained  # drop the last phase's DDP wrapper (and its gradient hooks) first
        steps = steps_per_epoch(loaders["train"], config) * epochs
        optimizer, scheduler = build_optimizer(model, config, phase, steps)
        trained = runtime.wrap(model)  # DDP per phase: the trainable parameters changed
        if saved is not None and saved["train_state"]["phase"] == phase and epoch < done:
            optimizer.load_state_dict(saved["train_state"]["optimizer"])
            scheduler.load_state_dict(saved["train_state"]["scheduler"])
        for _ in range(epochs):
            epoch += 1
            if epoch <= done:
                continue
            started = time.perf_counter()
            seed_epoch(config, epoch, loaders["train"], runtime.rank)
            train_loss = train_one_epoch(
                trained,
                loaders["train"],
                train_loss_fn or loss_fn,
                optimizer,
                scheduler,
                runtime,
                desc=f"epoch {epoch}/{config.epochs} ({phase})",
                max_steps=config.max_steps_per_epoch,
                mixer=mixer,
                ema=ema,
                scaler=scaler,
            )
            train_loss = runtime.mean(train_loss)
            evaluated = ema.module if ema is not None else model
            targets, logits, val_loss = predict_loader(evaluated, loaders["val"], device, loss_fn)
            report = classification_report(targets, softmax(logits), labels)
            row = {
                "epoch": epoch,
                "phase": phase,
                "lr": optimizer.param_groups[0]["lr"],
                "train_loss": round(train_loss, 5),
                "val_loss": round(val_loss, 5),
                "val_accuracy": round(report["accuracy"], 5),
                "val_macro_f1": round(report["macro_f1"], 5),
                "seconds": round(time.perf_counter() - started, 1),
            }
            rows.append(row)
            improved = report["macro_f1"] > best[0]
            if improved:
                best = (report["macro_f1"], epoch)
            if not runtime.is_main:  # every rank validates alike; rank 0 alone writes
                continue
            run.write_metrics(rows)
            checkpoint = {"model": evaluated.state_dict(), "epoch": epoch, "val": report}
            if improved:
                run.save_checkpoint("best", checkpoint)
            train_state = {
                "phase": phase,
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "best": list(best),
                "rows": rows,
                "ema_updates": getattr(ema, "updates", 0),
                "train_model": model.state_dict() if ema is not None else None,
                "scaler": scaler.state_dict() if scaler.is_enabled() else None,
            }
            run.save_checkpoint("last", {**checkpoint, "train_state": train_state})
            log(f"epoch {epoch}: " + ", ".join(f"{k}={row[k]}" for k in METRIC_FIELDS[3:]))

    if not runtime.is_main:  # calibration, the test split and their files are rank 0's
        return TrainResult(run, best[1], best[0], {})
    model.load_state_dict(run.load_checkpoint("best")["model"])
    if config.calibrate:
        spec = fit_operating_points(run, model, loaders["val"], device, config, splits["train"])
    test_metrics: dict[str, Any] = {}
    if len(loaders["test"].dataset):
        targets, logits, _ = predict_loader(model, loaders["test"], device)
        test_metrics = classification_report(targets, softmax(logits, spec.temperature), labels)
        run.write_test_metrics(test_metrics)
        log(
            f"test: accuracy={test_metrics['accuracy']:.4f} macro_f1={test_metrics['macro_f1']:.4f}"
        )
    return TrainResult(run, best[1], best[0], test_metrics)


def _last_state(run: Run) -> dict[str, Any] | None:
    """The training state of the run's last complete epoch, or None when it was killed
    before finishing one (it then starts again from epoch 1)."""
    if not run.has_checkpoint("last"):
        return None
    state = run.load_checkpoint("last")
    if "train_state" not in state:
        raise ConfigError(
            f"{run.checkpoint_path('last')} holds no training state (made by an older "
            "wildvision); the run cannot be resumed: train it again."
        )
    return state


def restore_training(
    saved: dict[str, Any], model: nn.Module, ema: ModelEmaV3 | None
) -> tuple[int, tuple[float, int], list[dict[str, Any]]]:
    """Load the weights (raw and EMA) of the last complete epoch; return that epoch, the
    best (score, epoch) so far and the metric rows."""
    state = saved["train_state"]
    model.load_state_dict(state["train_model"] if ema is not None else saved["model"])
    if ema is not None:
        ema.module.load_state_dict(saved["model"])
        ema.updates = state["ema_updates"]
    return saved["epoch"], (float(state["best"][0]), int(state["best"][1])), list(state["rows"])


def gather_splits(config: TrainConfig) -> dict[str, list[Sample]]:
    samples: list[Sample] = []
    derived = [d for d in config.data if d.source == LOOKALIKES_SOURCE]
    for source in config.data:
        if source in derived:
            continue
        samples.extend(
            samples_from_source(
                source,
                config.seed,
                config.output_dir,
                val_fraction=config.val_fraction,
                test_fraction=config.test_fraction,
            )
        )
    splits = split_samples(
        samples,
        val_fraction=config.val_fraction,
        test_fraction=config.test_fraction,
        seed=config.seed,
    )
    if config.train_limit_per_class:
        splits["train"] = subsample_per_class(
            splits["train"], config.train_limit_per_class, config.seed
        )
    for source in derived:  # made from the train split only, so no test photo lends a shape
        splits["train"] += lookalike_samples(
            source, splits["train"], config.seed, config.output_dir
        )
    return splits


def build_mixing(config: TrainConfig, num_classes: int) -> tuple[Mixup | None, nn.Module | None]:
    """timm's Mixup (mixup and/or cutmix, label smoothing folded into the soft targets) and
    its soft-target loss, or ``(None, None)`` when both alphas are 0."""
    if not (config.mixup_alpha or config.cutmix_alpha):
        return None, None
    mixer = Mixup(
        mixup_alpha=config.mixup_alpha,
        cutmix_alpha=config.cutmix_alpha,
        prob=config.mixup_prob,
        label_smoothing=config.label_smoothing,
        num_classes=num_classes,
    )
    return mixer, SoftTargetCrossEntropy()


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    runtime: Runtime,
    desc: str,
    max_steps: int | None = None,
    mixer: Mixup | None = None,
    ema: ModelEmaV3 | None = None,
    scaler: torch.amp.GradScaler | None = None,
) -> float:
    """One pass over this rank's slice; returns its mean training loss. ``model`` may be
    DDP-wrapped; the EMA follows the model inside."""
    model.train()
    scaler = scaler or runtime.grad_scaler()
    total, count = 0.0, 0
    steps = min(len(loader), max_steps or len(loader))
    bar = progress(loader, total=steps, desc=desc, unit="batch", enabled=runtime.is_main)
    for step, (images, targets) in enumerate(bar):
        if max_steps and step >= max_steps:
            break
        images, targets = runtime.to_device(images), targets.to(runtime.device)
        if mixer is not None and len(targets) % 2 == 0:
            images, targets = mixer(images, targets)
        elif mixer is not None:  # an odd last batch: soft targets without mixing
            targets = nn.functional.one_hot(targets, mixer.num_classes).float()
        with runtime.autocast():
            loss = loss_fn(model(images).float(), targets)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        if ema is not None:
            ema.updates = getattr(ema, "updates", 0) + 1  # warm-up counts steps of the whole run
            ema.update(unwrap(model), step=ema.updates)
        total += loss.item() * len(targets)
        count += len(targets)
        bar.set_postfix(loss=f"{total / count:.4f}")
    return total / max(1, count)


@torch.no_grad()
def predict_loader(
    model: nn.Module, loader: DataLoader, device: torch.device, loss_fn: nn.Module | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Targets, logits and mean loss over a loader."""
    model.eval()
    targets, probs, total = [], [], 0.0
    bar = progress(loader, desc="evaluating", unit="batch", enabled=is_main_process())
    for images, batch_targets in bar:
        logits = model(images.to(device)).float().cpu()
        if loss_fn is not None:
            total += loss_fn(logits, batch_targets).item() * len(batch_targets)
        targets.append(batch_targets.numpy())
        probs.append(logits.numpy())
    if not targets:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0)), 0.0
    targets_all = np.concatenate(targets)
    return targets_all, np.concatenate(probs), total / max(1, len(targets_all))
