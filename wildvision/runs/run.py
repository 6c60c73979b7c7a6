"""A training run's folder, and the one place that knows its layout.

``Run.create`` makes a run folder for a new training run, ``Run.open`` opens one that
exists; trainer, resume, calibration, evaluation and export all read and write a run through
it, and nothing else knows its file names::

    RUN/
      config.yaml        the resolved TrainConfig (resume and calibrate read it)
      spec.json          the ModelSpec of the run's weights: labels, preprocessing and, once
                         calibrated, temperature, thresholds, budgets and guard (export reads it)
      splits.csv         every photo with its split: path,label,split,group,source
      metrics.csv        one row per epoch
      test_metrics.json  the best checkpoint on the test split
      best.pt, last.pt   checkpoints; last.pt adds the training state that resume needs
      guard_bank.npy     the wildlife embeddings the guard compares with (calibration)
      model.onnx         where ``export`` writes by default (and model.ingraph.onnx, ...)

One source of truth each. The config lives in ``config.yaml`` and the spec in ``spec.json``
only: calibration rewrites those two small files, never a checkpoint. A checkpoint holds the
weights and the identity of the model they belong to (timm model name and labels), which
``load_checkpoint`` checks against ``spec.json``, so weights of another run are refused
rather than loaded under the wrong labels. A checkpoint alone is therefore not a model: move
a whole run folder, or an exported ONNX file. (Checkpoints written before the Run also carry
a spec and a config; their spec gives the identity, and both are otherwise ignored.) The
run's model with a checkpoint's weights is ``wildvision.train.load_model(run)`` (torch and
timm: the training floor).

Checkpoint contents: ``model`` (state dict), ``model_name``, ``labels``, ``epoch``, ``val``
(the validation report) and, in ``last.pt``, ``train_state`` (optimiser, schedule, the raw
weights under an EMA, the best score so far, the metric rows; see ``trainer``). Every file is
written atomically: a kill leaves the previous version. Reading config, spec, splits and
photos needs no torch; only checkpoints do.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from .._atomic import atomic_write_bytes, atomic_write_text
from ..data import SPLITS, Sample, read_manifest
from ..errors import ConfigError, ModelError
from ..spec import ModelSpec
from .config import TrainConfig, load_config

Checkpoint = Literal["best", "last"]

CONFIG_FILE = "config.yaml"
SPEC_FILE = "spec.json"
SPLITS_FILE = "splits.csv"
METRICS_FILE = "metrics.csv"
TEST_METRICS_FILE = "test_metrics.json"
BANK_FILE = "guard_bank.npy"
MODEL_FILE = "model.onnx"
CHECKPOINT_FILES: dict[str, str] = {"best": "best.pt", "last": "last.pt"}
SPLITS_COLUMNS = ["path", "label", "split", "group", "source"]
METRIC_FIELDS = [
    "epoch",
    "phase",
    "lr",
    "train_loss",
    "val_loss",
    "val_accuracy",
    "val_macro_f1",
    "seconds",
]

#: The splits ``photos`` looks in by default, first one with photos wins: held-out photos
#: first, so an export is checked on photos the model did not train on.
HELD_OUT_FIRST = ("test", "val", "train")


class Run:
    """A training run folder; use ``Run.create`` for a new run, ``Run.open`` for one that
    exists. See the module docstring for what it holds."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"Run({str(self.folder)!r})"

    @classmethod
    def create(
        cls, config: TrainConfig, spec: ModelSpec, splits: Mapping[str, Iterable[Sample]]
    ) -> Run:
        """A new run folder under ``config.output_dir``, named ``config.name`` (or the time
        and the model), ``-2``, ``-3``, ... when taken; writes the config, spec and split so
        a run can be audited, resumed and rerun."""
        base = Path(config.output_dir)
        name = config.name or f"{time.strftime('%Y%m%d-%H%M%S')}-{config.model}"
        folder, n = base / name, 1
        while folder.exists():
            n += 1
            folder = base / f"{name}-{n}"
        folder.mkdir(parents=True)
        run = cls(folder)
        run.write_config(config)
        run.write_spec(spec)
        run._write_splits(splits)
        return run

    @classmethod
    def open(cls, run: Run | str | os.PathLike) -> Run:
        """The run at ``run``: a run folder, or a file inside one (e.g. its ``best.pt``).

        Raises:
            ConfigError: ``run`` is not a folder that ``wildvision train`` made.
        """
        if isinstance(run, Run):
            return run
        path = Path(run)
        folder = path.parent if path.is_file() else path
        if not cls.is_run_folder(folder):
            what = "does not exist" if not folder.exists() else f"has no {CONFIG_FILE}"
            raise ConfigError(
                f"{folder} is not a training run folder (it {what}); pass the folder that "
                "`wildvision train` made (it prints 'run folder ...')."
            )
        return cls(folder)

    @classmethod
    def is_run_folder(cls, path: str | os.PathLike) -> bool:
        """Whether ``path`` is a run folder (it holds a run's config or spec)."""
        folder = Path(path)
        return (folder / CONFIG_FILE).is_file() or (folder / SPEC_FILE).is_file()

    # -- config and spec: one file each -------------------------------------------------

    @property
    def config(self) -> TrainConfig:
        """The run's resolved training config."""
        return load_config(self._need(CONFIG_FILE, "a training config"))

    def write_config(self, config: TrainConfig) -> None:
        atomic_write_text(
            self.folder / CONFIG_FILE, yaml.safe_dump(config.to_dict(), sort_keys=False)
        )

    @property
    def spec(self) -> ModelSpec:
        """The spec of the run's weights (calibrated once calibration has run)."""
        path = self._need(SPEC_FILE, "a model spec")
        try:
            return ModelSpec.from_json(path.read_text(encoding="utf-8"))
        except ModelError as exc:
            raise ConfigError(f"{path}: {exc}") from None

    def write_spec(self, spec: ModelSpec) -> None:
        atomic_write_text(self.folder / SPEC_FILE, spec.to_json())

    # -- photos ---------------------------------------------------------------------------

    @property
    def splits_path(self) -> Path:
        """The run's split as a manifest (``path,label,split,group,source``), e.g. for
        ``evaluate`` or another tool that reads manifests."""
        return self._need(SPLITS_FILE, "a record of its split")

    def splits(self) -> dict[str, list[Sample]]:
        """The run's photos by split (``train``, ``val``, ``test``; any may be empty)."""
        samples = read_manifest(self.splits_path)
        return {name: [s for s in samples if s.split == name] for name in SPLITS}

    def photos(
        self, split: str | Sequence[str] = HELD_OUT_FIRST, count: int | None = None
    ) -> list[Path]:
        """Up to ``count`` photo paths (all when None) of ``split``, or of the first of
        several splits that has photos on disk, spread evenly over its labels: sorted by
        label and path, every n-th kept.

        Export checks itself on these and int8 calibrates on them, so every caller gets the
        same, reproducible choice."""
        names = [split] if isinstance(split, str) else list(split)
        unknown = sorted(set(names) - set(SPLITS))
        if unknown:
            raise ConfigError(f"unknown split(s) {unknown}; a run has {', '.join(SPLITS)}.")
        by_split = self.splits()
        for name in names:
            ordered = sorted(by_split[name], key=lambda s: (s.label, str(s.path)))
            found = [Path(s.path) for s in ordered if Path(s.path).is_file()]
            if found:
                step = max(1, len(found) // count) if count else 1
                return found[::step][:count] if count else found
        return []

    def _write_splits(self, splits: Mapping[str, Iterable[Sample]]) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(SPLITS_COLUMNS)
        for name, part in splits.items():
            for s in part:
                path = str(Path(s.path).resolve())
                writer.writerow([path, s.label, name, s.group or "", s.source or ""])
        atomic_write_text(self.folder / SPLITS_FILE, buffer.getvalue())

    # -- metrics ------------------------------------------------------------------------

    def write_metrics(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """The metric rows so far, one per epoch (``METRIC_FIELDS``)."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=METRIC_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(self.folder / METRICS_FILE, buffer.getvalue())

    def metrics(self) -> list[dict[str, str]]:
        """The metric rows written so far (values as text, as in the CSV); [] before the
        first epoch ends."""
        path = self.folder / METRICS_FILE
        if not path.is_file():
            return []
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def write_test_metrics(self, report: Mapping[str, Any]) -> None:
        atomic_write_text(self.folder / TEST_METRICS_FILE, json.dumps(report, indent=2))

    def test_metrics(self) -> dict[str, Any] | None:
        """The best checkpoint's test-split report, or None until the run has finished."""
        path = self.folder / TEST_METRICS_FILE
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    # -- checkpoints: one checked loader --------------------------------------------------

    def checkpoint_path(self, which: Checkpoint = "best") -> Path:
        return self.folder / CHECKPOINT_FILES[which]

    def has_checkpoint(self, which: Checkpoint = "best") -> bool:
        return self.checkpoint_path(which).is_file()

    def save_checkpoint(self, which: Checkpoint, state: Mapping[str, Any]) -> None:
        """Write ``state`` (``model``, ``epoch``, ``val``, ...) stamped with the identity of
        the run's spec, which ``load_checkpoint`` checks."""
        import torch  # checkpoints alone need torch

        spec = self.spec
        stamped = {**state, "model_name": spec.model_name, "labels": list(spec.labels)}
        buffer = io.BytesIO()
        torch.save(stamped, buffer)
        atomic_write_bytes(self.checkpoint_path(which), buffer.getvalue())

    def load_checkpoint(self, which: Checkpoint = "best") -> dict[str, Any]:
        """A checkpoint of this run, loaded without running pickled code
        (``weights_only=True``) and checked: it must hold weights, and for the model and
        labels of the run's ``spec.json``.

        Raises:
            ConfigError: the file is missing, unreadable, not a wildvision checkpoint, or
                another run's (its message says which, and what to do).
        """
        import torch  # checkpoints alone need torch

        path = self.checkpoint_path(which)
        if not path.is_file():
            raise ConfigError(
                f"{self.folder} has no {which} checkpoint ({path.name}); train the run "
                "first, or pass the folder `wildvision train` made."
            )
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises several types for damaged or foreign files
            # (torch's own message suggests weights_only=False, which would run pickled code)
            raise ConfigError(
                f"{path} is not a readable wildvision checkpoint (torch.load: "
                f"{type(exc).__name__}); it is damaged, truncated or another kind of file: "
                "train the run again or restore the file."
            ) from None
        if not isinstance(state, dict) or not isinstance(state.get("model"), Mapping):
            raise ConfigError(
                f"{path} holds no model weights: it is not a wildvision checkpoint. "
                "Train the run again or restore the file."
            )
        spec = self.spec
        model_name, labels = _identity(state)
        if (model_name, labels) != (spec.model_name, list(spec.labels)):
            raise ConfigError(
                f"{path} holds weights of {model_name} for labels {labels}, but the run's "
                f"{SPEC_FILE} is for {spec.model_name} with labels {list(spec.labels)}: the "
                "checkpoint belongs to another run. Copy whole run folders, not single files."
            )
        return state

    @property
    def model_path(self) -> Path:
        """Where an export of the run goes unless told otherwise (fp32; the other formats
        beside it, see ``models.variant_path``)."""
        return self.folder / MODEL_FILE

    # -- the guard's bank -----------------------------------------------------------------

    def save_guard_bank(self, bank: np.ndarray) -> None:
        """The wildlife embeddings the exported graph's guard compares with (half
        precision: distances move by less than 1e-3)."""
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(bank, dtype=np.float16))
        atomic_write_bytes(self.folder / BANK_FILE, buffer.getvalue())

    def guard_bank(self) -> np.ndarray | None:
        """The guard's bank, or None when the run has none (calibration fits one)."""
        path = self.folder / BANK_FILE
        return np.load(path) if path.is_file() else None

    def _need(self, name: str, what: str) -> Path:
        path = self.folder / name
        if not path.is_file():
            raise ConfigError(
                f"{self.folder} has no {name} ({what}); pass the folder that "
                "`wildvision train` made (it prints 'run folder ...')."
            )
        return path


def _identity(state: Mapping[str, Any]) -> tuple[str | None, list[str] | None]:
    """The model name and labels a checkpoint's weights are for (from the spec that
    checkpoints made before the Run carried)."""
    if "labels" in state:
        return state.get("model_name"), list(state["labels"])
    old = state.get("spec")
    if isinstance(old, Mapping) and "labels" in old:
        return old.get("model_name"), list(old["labels"])
    return None, None
