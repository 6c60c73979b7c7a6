"""Training configuration: one schema of defaults for the CLI and Python alike.

Values merge as defaults <- YAML file <- keyword overrides (highest priority on the right);
the CLI's ``key=value`` arguments are such overrides (``parse_overrides``). An unknown key is
refused with a "did you mean" suggestion, a value of the wrong type with the type it needs.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..spec import DEFAULT_BLOCK_THRESHOLD, DEFAULT_REVIEW_THRESHOLD
from ..taxonomy import ORDINARY_LABEL
from ..thresholds import (
    DEFAULT_BLOCK_BUDGET,
    DEFAULT_BLOCK_PRECISION,
    DEFAULT_REVIEW_BUDGET,
    DEFAULT_REVIEW_PRECISION,
)

#: Mixed-precision settings (``amp``); they apply on CUDA only.
AMP_MODES = ("auto", "bf16", "fp16", "off")


@dataclass
class DataSource:
    """One source of labelled photos: a manifest, a folder with ``manifest.csv``, a tree, or
    the review page's ``verdicts.csv`` (``wildvision.verdicts``)."""

    source: str  # a path, or ``synthetic:graphics`` for rendered text cards, memes, ...
    group_column: str = "group"
    label_map: dict[str, str] = field(default_factory=dict)
    limit_per_class: int | None = None
    source_column: str = "source"  # the manifest column that ``balance_sources`` balances
    name: str | None = None  # prefixed to each photo's source ("broad/caltech101")
    exclude: dict[str, list[str]] = field(default_factory=dict)  # column -> values to drop
    # column -> value -> how much more often those photos are drawn within their source
    # (``{"category": {"menorah": 3}}``: hard look-alikes weighted up, the split unchanged)
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    count: int | None = None  # how many images a ``synthetic:`` source renders
    # ``synthetic:lookalikes``: the labels whose *training* photos are re-rendered in other
    # materials (gilt, bronze, silver, dark wood, jade, ...) as label ``other``
    from_labels: list[str] = field(default_factory=list)
    # split this source on its own, by a stable hash of each photo's group (or file), so
    # adding or removing it leaves every other source's train/val/test split as it was
    own_split: bool = False


@dataclass
class AugmentConfig:
    """Training augmentation strengths (albumentations)."""

    scale_min: float = 0.35
    hflip: float = 0.5
    rotate_degrees: float = 15.0
    color_jitter: float = 0.3
    grayscale: float = 0.2
    blur: float = 0.1
    jpeg_quality_min: int = 40
    listing: float = 0.0  # strength of listing-style effects (0 = off, 1 = full)
    # share of photos (of every label alike) set into a dealer's advertising card: on a
    # canvas at 20-100% of the frame, with price, slogans, badges, strips, shop address,
    # borders or several views (``listing_cards``)
    card: float = 0.0
    # share of photos (every label alike) toned (sepia, warm or cool duotone) or hue-turned
    # 15-45 degrees (``listing_augment.Tone``): a tint must not argue for a label
    tone: float = 0.0
    # share of photos (every label alike) shrunk to 25-60% of the input size and brought back,
    # as a low-resolution re-post (beside the listing effects' own, rarer, downscale)
    downscale: float = 0.0


@dataclass
class TrainConfig:
    """Everything a training run needs; see ``training/configs/*.yaml`` for examples."""

    data: list[DataSource] = field(default_factory=list)
    model: str = "tf_efficientnet_lite0"
    pretrained: str = "wheel"  # wheel (offline PyPI weights) | timm (timm's hub, online) | none
    # start from an earlier run's weights (its folder, best.pt) instead of ImageNet's: retrain a
    # model with new photos (reviewers' verdicts) in a fraction of the time; same labels keep
    # its head, other labels start a new one
    init_from: str | None = None
    labels: list[str] | None = None
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 0
    epochs: int = 6
    head_epochs: int = 1
    batch_size: int = 32
    lr: float = 5e-4
    head_lr: float = 3e-3
    head_lr_scale: float = 3.0  # the head's rate as a multiple of lr in the full fine-tune
    layer_decay: float | None = None  # layer-wise lr decay, e.g. 0.75 (None = off)
    # EMA of the weights, e.g. 0.998 (None = off): validated, kept as best.pt and exported
    ema_decay: float | None = None
    mixup_alpha: float = 0.0  # mixup Beta(alpha, alpha); 0 = off
    cutmix_alpha: float = 0.0  # cutmix Beta(alpha, alpha); 0 = off
    mixup_prob: float = 1.0  # share of batches mixed when mixup or cutmix is on
    weight_decay: float = 0.02
    warmup_fraction: float = 0.1
    label_smoothing: float = 0.1
    balance_classes: bool = True
    balance_sources: bool = False  # also draw each source (manifest column) equally often
    num_workers: int = 2
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    # thresholds a run starts with (calibration, on by default, replaces them)
    block_threshold: float = DEFAULT_BLOCK_THRESHOLD
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD
    calibrate: bool = True  # fit temperature and thresholds on the validation split
    block_precision: float = DEFAULT_BLOCK_PRECISION
    review_precision: float = DEFAULT_REVIEW_PRECISION
    # False-flag budgets: when both are set, calibration picks the thresholds so that at most
    # review_budget of the validation split's ``other`` photos go to review or block and at
    # most block_budget are blocked (a real stream is ~99% ordinary photos). Set both to null
    # to choose thresholds by block_precision/review_precision as before.
    review_budget: float | None = DEFAULT_REVIEW_BUDGET
    block_budget: float | None = DEFAULT_BLOCK_BUDGET
    # the open-set guard (see wildvision.train.guard): fitted at calibration on the wildlife
    # training photos (at most guard_bank_size of them go into the exported graph); blocking
    # stops past the distance that guard_block_keep of the held-out wildlife photos stay
    # within, reviewing past guard_review_keep's
    guard: bool = True
    guard_k: int = 5
    guard_block_keep: float = 0.98
    guard_review_keep: float = 0.995
    guard_bank_size: int = 1024  # 5 MB of float32 in the graph at lite0's 1,280 features
    # cut uniform margins before the resize, in training and in the exported model (the
    # spec's ``trim_margins``: a tolerance in 0-255 levels, e.g. 12); null = off
    trim_margins: int | None = None
    pool_labels: list[str] = field(default_factory=lambda: [ORDINARY_LABEL])
    version: str = "0.1.0"
    output_dir: str = "runs"
    name: str | None = None
    device: str = "auto"  # under torchrun: auto/cuda (the GPU of LOCAL_RANK) or cpu
    amp: str = "auto"  # mixed precision on CUDA: auto (bf16, else fp16) | bf16 | fp16 | off
    channels_last: bool | None = None  # channels-last memory; None = on for CUDA, off on CPU
    max_steps_per_epoch: int | None = None
    train_limit_per_class: int | None = None  # subsample the train split only (val/test kept)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self) -> TrainConfig:
        if not self.data:
            raise ConfigError("no training data: set 'data' in the config or pass --data PATH.")
        if self.pretrained not in ("wheel", "timm", "none"):
            raise ConfigError(
                f"pretrained must be 'wheel', 'timm' or 'none', got {self.pretrained!r}"
            )
        if self.epochs < 1 or not 0 <= self.head_epochs <= self.epochs:
            raise ConfigError("need epochs >= 1 and 0 <= head_epochs <= epochs")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be positive, got {self.batch_size}")
        if self.layer_decay is not None and not 0 < self.layer_decay <= 1:
            raise ConfigError(f"layer_decay must be in (0, 1], got {self.layer_decay}")
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            raise ConfigError(f"ema_decay must be in (0, 1), got {self.ema_decay}")
        if min(self.mixup_alpha, self.cutmix_alpha) < 0 or not 0 <= self.mixup_prob <= 1:
            raise ConfigError("mixup_alpha and cutmix_alpha must be >= 0, mixup_prob in [0, 1]")
        if (self.mixup_alpha or self.cutmix_alpha) and self.batch_size % 2:
            raise ConfigError(
                f"mixup/cutmix pair photos within a batch: batch_size must be even, "
                f"got {self.batch_size}"
            )
        if self.amp not in AMP_MODES:
            raise ConfigError(f"amp must be one of {', '.join(AMP_MODES)}, got {self.amp!r}")
        if self.guard_k < 1 or self.guard_bank_size < 1:
            raise ConfigError("guard_k and guard_bank_size must be at least 1")
        if not 0 < self.guard_block_keep <= self.guard_review_keep <= 1:
            raise ConfigError(
                "need 0 < guard_block_keep <= guard_review_keep <= 1, got "
                f"{self.guard_block_keep}, {self.guard_review_keep}"
            )
        for key in ("hflip", "grayscale", "blur", "listing", "card", "tone", "downscale"):
            value = getattr(self.augment, key)
            if not 0 <= value <= 1:
                raise ConfigError(f"augment.{key} is a share of photos in [0, 1], got {value!r}")
        if self.balance_sources and not self.balance_classes:
            raise ConfigError("balance_sources works within balance_classes; set both.")
        for key in ("review_budget", "block_budget"):
            value = getattr(self, key)
            if value is not None and not 0 <= value < 1:
                raise ConfigError(
                    f"{key} is a share of ordinary photos in [0, 1), got {value!r} "
                    "(e.g. 0.01 for 1%); null chooses thresholds by precision instead."
                )
        if (self.review_budget is None) != (self.block_budget is None):
            raise ConfigError(
                "set both review_budget and block_budget (thresholds by false-flag budget) "
                "or neither (null: thresholds by block_precision/review_precision)."
            )
        if self.review_budget is not None and self.block_budget > self.review_budget:
            raise ConfigError(
                f"block_budget {self.block_budget} exceeds review_budget {self.review_budget}; "
                "blocked photos are flagged too, so set block_budget <= review_budget."
            )
        return self


def _check_keys(data: Mapping[str, Any], cls: type, where: str) -> dict[str, Any]:
    """``data`` with its keys known to ``cls`` and its values of the declared types (a path
    where text is asked for becomes text); otherwise a ``ConfigError`` that says the fix."""
    allowed = [f.name for f in fields(cls)]
    hints = typing.get_type_hints(cls)
    checked = {}
    for key, value in data.items():
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = (
                f" Did you mean {close[0]!r}?" if close else f" Valid keys: {', '.join(allowed)}."
            )
            raise ConfigError(f"unknown {where} key {key!r}.{hint}")
        if isinstance(value, os.PathLike) and _fits("", hints[key]):
            value = os.fspath(value)
        if not _fits(value, hints[key]):
            raise ConfigError(
                f"{where} key {key!r} must be {_describe(hints[key])}, got {value!r}."
            )
        checked[key] = value
    return checked


def _fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` (as read from YAML) is of the type ``hint``; a dataclass field
    takes a mapping (checked by its own keys later), a float takes an integer."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in args)
    if origin is list:
        return isinstance(value, (list, tuple)) and all(_fits(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, Mapping) and all(
            _fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items()
        )
    if hint is type(None):
        return value is None
    if isinstance(value, bool) or hint is bool:  # a bool is an int to Python, not to us
        return isinstance(value, bool) and hint is bool
    if hint is float:
        return isinstance(value, (int, float))
    if dataclasses.is_dataclass(hint):  # a data source may be a path; augment may be null
        return value is None or isinstance(value, (hint, Mapping, str, Path))
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    """A type as a config's reader says it: ``a number or null``, ``a list of text``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in args)
    if origin is list:
        return f"a list of {_describe(args[0])}"
    if origin is dict:
        return f"a mapping of {_describe(args[0])} to {_describe(args[1])}"
    if dataclasses.is_dataclass(hint):
        return "a mapping of its keys"
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    return "null" if hint is type(None) else names.get(hint, str(hint))


def _data_source(item: Any) -> DataSource:
    if isinstance(item, (str, Path)):
        return DataSource(source=str(item))
    if isinstance(item, DataSource):
        return item
    if isinstance(item, Mapping):
        return DataSource(**_check_keys(item, DataSource, "data source"))
    raise ConfigError(f"a data source must be a path or a mapping, got {item!r}")


def build_config(values: Mapping[str, Any]) -> TrainConfig:
    """A validated ``TrainConfig`` from a plain mapping (as read from YAML)."""
    values = _check_keys(_listed_data(values), TrainConfig, "config")
    data = values.pop("data", [])  # a list: _listed_data wrapped a single source
    augment = values.pop("augment", {}) or {}
    if isinstance(augment, Mapping):
        augment = AugmentConfig(**_check_keys(augment, AugmentConfig, "augment"))
    return TrainConfig(data=[_data_source(d) for d in data], augment=augment, **values).validate()


def _listed_data(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with a single data source (a path or a mapping) made a list of one."""
    values = dict(values)
    if isinstance(values.get("data"), (str, os.PathLike, Mapping)):
        values["data"] = [values["data"]]
    return values


def load_config(path: str | Path | None = None, **overrides: Any) -> TrainConfig:
    """Load a YAML config (or the defaults) and apply keyword overrides on top (``None``
    keeps the file's value)."""
    return build_config(merge_settings(read_config_file(path), overrides))


def read_config_file(path: str | Path | None) -> dict[str, Any]:
    """The settings a YAML config file holds, unchecked (``{}`` for ``None``)."""
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; see training/configs/.")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path} must hold a mapping of config keys.")
    return values


def merge_settings(
    base: Mapping[str, Any], overrides: Mapping[str, Any], *, none_keeps: bool = True
) -> dict[str, Any]:
    """``base`` with ``overrides`` on top: a mapping merges into a mapping (so
    ``augment={"listing": 0.5}`` keeps the file's other augment keys) and anything else
    replaces the base value, except ``None`` when ``none_keeps`` (Python's keyword
    overrides, where None means "not given"; the CLI's ``key=null`` sets null)."""
    merged = dict(base)
    for key, value in overrides.items():
        if value is None and none_keeps:
            continue
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            value = merge_settings(merged[key], value, none_keeps=none_keeps)
        merged[key] = value
    return merged


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """The CLI's ``key=value`` arguments as overrides: ``["epochs=3",
    "augment.listing=0.5"]`` gives ``{"epochs": 3, "augment": {"listing": 0.5}}``.

    Each value is read as YAML, so it means what it would in a config file (``0.5``,
    ``true``, ``null``, ``[a, b]``); a key whose schema type is text keeps the text as typed
    (``version=1.10``, ``name=007``). Keys and types are checked later by ``build_config``.
    """
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        path = key.strip().split(".")
        if not sep or not all(path):
            raise ConfigError(
                f"expected key=value, got {item!r}: e.g. epochs=3 or augment.listing=0.5 "
                "(keys as in training/configs/default.yaml)."
            )
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{key}={text}: the value is not valid YAML ({exc}).") from None
        if value is not None and _is_text(path):
            value = text
        target = overrides
        for part in path[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ConfigError(f"{item!r} sets a key inside {part!r}, which is set whole.")
        target[path[-1]] = value
    return overrides


def _is_text(path: Sequence[str]) -> bool:
    """Whether the schema types the key at ``path`` (``["augment", "listing"]``) as text."""
    cls: Any = TrainConfig
    for part in path[:-1]:
        hint = typing.get_type_hints(cls).get(part)
        if not dataclasses.is_dataclass(hint):
            return False
        cls = hint
    hint = typing.get_type_hints(cls).get(path[-1])
    return hint is not None and set(typing.get_args(hint) or (hint,)) <= {str, type(None)}
