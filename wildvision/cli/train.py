"""The training verbs of the ``wildvision`` command (train, export): each imports
the training floor only when run, so the inference install needs no torch."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ..errors import ConfigError
from ..models import EXPORT_FORMATS


def _training() -> None:
    """Import the training floor first: without the ``[train]`` extra this raises the
    ``MissingExtraError`` that ``main`` reports like every other missing extra."""
    from ..train import _check  # noqa: F401  (the [train] extra's check)


def cmd_train(args: argparse.Namespace) -> int:
    _training()
    from ..train.config import build_config, merge_settings, parse_overrides, read_config_file
    from ..train.distributed import is_main_process
    from ..train.trainer import train

    data, overrides = _split_data_and_settings(args.data, args.overrides)
    flags = {
        "epochs": args.epochs,
        "output_dir": args.output_dir,
        "name": args.name,
        "device": args.device,
        "batch_size": args.batch_size,
        "data": data,
    }
    settings = parse_overrides(overrides)
    if args.resume:
        given = [f"--{k.replace('_', '-')}" for k, v in flags.items() if v is not None]
        given += [*(["--config"] if args.config else []), *overrides]
        if given:
            raise ConfigError(
                f"--resume continues {args.resume} with its own config; drop {', '.join(given)}."
            )
        result = train(resume=args.resume)
    else:
        twice = sorted(k for k, v in flags.items() if v is not None and k in settings)
        if twice:
            raise ConfigError(f"{', '.join(twice)} given as a flag and as key=value; give one.")
        values = merge_settings(read_config_file(args.config), flags)
        result = train(build_config(merge_settings(values, settings, none_keeps=False)))
    if not is_main_process():  # the other processes of a torchrun launch stay quiet
        return 0
    print(
        f"best checkpoint: {result.best_checkpoint} (epoch {result.best_epoch}, "
        f"val macro-F1 {result.val_macro_f1:.4f})"
    )
    print(f"next: wildvision export {result.run_dir}")
    return 0


def _split_data_and_settings(
    data: list[str] | None, overrides: list[str]
) -> tuple[list[str] | None, list[str]]:
    """``--data a b epochs=3`` reads ``epochs=3`` as a path (``--data`` takes every word up
    to the next flag): such words that are no existing path go back to the settings."""
    if not data:
        return data, overrides
    setting = re.compile(r"[A-Za-z_][\w.]*=.*")
    moved = [d for d in data if setting.fullmatch(d) and not Path(d).exists()]
    kept = [d for d in data if d not in moved]
    return kept or None, [*overrides, *moved]


def cmd_export(args: argparse.Namespace) -> int:
    _training()
    from ..train.exporter import export

    notes = {
        "fp32": "verified against PyTorch",
        "ingraph": "uint8 HxWx3 input, preprocessing in the graph; verified",
        "int8": "int8 QDQ, calibrated on training photos; checked against fp32",
    }
    paths = export(
        args.run, args.formats, args.output, version=args.version, images=args.images or None
    )
    for name, path in paths.items():
        print(f"wrote {path} ({notes[name]})")
    return 0


def add_training_verbs(verbs: argparse._SubParsersAction) -> None:
    """Register train and export on the main parser's verbs (calibrate: ``calibrate``)."""
    p = verbs.add_parser(
        "train",
        help="fine-tune a model (needs wildvision[train])",
        description="Fine-tune a model. Settings merge as defaults <- --config file <- flags "
        "and key=value arguments: any config key, nested ones with a dot, each value read "
        "as YAML, e.g. wildvision train --config c.yaml epochs=3 augment.listing=0.5 "
        "review_budget=null block_budget=null.",
    )
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="config settings, e.g. epochs=3 augment.listing=0.5 (see training/configs/)",
    )
    p.add_argument("--config", default=None, help="YAML config, e.g. training/configs/default.yaml")
    p.add_argument(
        "--data",
        nargs="+",
        default=None,
        help="image folder(s) or manifest(s); replaces the config's data",
    )
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--output-dir", default=None)
    p.add_argument("--name", default=None, help="run folder name")
    p.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument(
        "--resume",
        default=None,
        metavar="RUN_DIR",
        help="continue an interrupted run from its last complete epoch",
    )
    p.set_defaults(func=cmd_train)

    p = verbs.add_parser(
        "export", help="export a run to ONNX (fp32, in-graph, int8), each file verified"
    )
    p.add_argument("run", help="run folder (the one `wildvision train` printed)")
    p.add_argument("-o", "--output", default=None, help="fp32 .onnx path (default RUN/model.onnx)")
    p.add_argument(
        "--formats",
        nargs="+",
        choices=EXPORT_FORMATS,
        default=list(EXPORT_FORMATS),
        help="what to write: fp32 (OUTPUT), ingraph (OUTPUT .ingraph.onnx: takes decoded uint8 "
        "photos), int8 (OUTPUT .int8.onnx); default all three",
    )
    p.add_argument(
        "--images",
        nargs="+",
        default=None,
        help="photos to verify on (default: the run's test split)",
    )
    p.add_argument("--version", default=None, help="model version to record in the metadata")
    p.set_defaults(func=cmd_export)
