"""``wildvision calibrate``: refit a training run's operating point on its validation photos
(needs torch), or an exported model's thresholds on a sample of a platform's own stream
(``--stream``; numpy and onnxruntime only)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError
from .options import fetch_arguments, fetch_options, pack_option, warnings_to_stderr
from .train import _training

#: The budgets ``--stream`` aims at unless told otherwise: 1% of the stream flagged, 0.1%
#: blocked (the training floor's defaults too).
STREAM_REVIEW_BUDGET = 0.01
STREAM_BLOCK_BUDGET = 0.001
_STREAM_ONLY = ("model", "output", "pack", "allow_small", "allow_skewed")


def cmd_calibrate(args: argparse.Namespace) -> int:
    if args.stream is not None:
        return _calibrate_stream(args)
    given = [f"--{k.replace('_', '-')}" for k in _STREAM_ONLY if getattr(args, k)]
    if given:
        raise ConfigError(f"{', '.join(given)} go with --stream SAMPLE (calibrate on a stream).")
    if args.target is None:
        raise ConfigError(
            "give a training run folder (wildvision calibrate RUN), or a model and a stream "
            "sample (wildvision calibrate MODEL.onnx --stream SAMPLE -o OUT.onnx)."
        )
    if Path(args.target).suffix == ".onnx":
        raise ConfigError(
            f"{args.target} is an exported model: its thresholds are refitted on a sample of "
            f"your stream: wildvision calibrate {args.target} --stream SAMPLE -o OUT.onnx."
        )
    return _calibrate_run(args)


def _calibrate_run(args: argparse.Namespace) -> int:
    _training()
    from ..train.operating_points import calibrate

    spec = calibrate(
        args.target,
        review_budget=args.review_budget,
        block_budget=args.block_budget,
        block_precision=args.block_precision,
        review_precision=args.review_precision,
    )
    rule = (
        "by precision"
        if spec.budgets is None
        else "by false-flag budget: "
        + ", ".join(f"{k} {v:.2%}" for k, v in spec.budgets.items())
        + " of 'other' photos"
    )
    print(f"temperature {spec.temperature:.4f}; thresholds {spec.to_dict()['thresholds']} ({rule})")
    print(f"next: wildvision export {args.target}")
    return 0


def _calibrate_stream(args: argparse.Namespace) -> int:
    from ..stream_calibration import calibrate_stream

    if args.block_precision is not None or args.review_precision is not None:
        raise ConfigError("--stream fits thresholds by budget: drop the precision flags.")
    if args.model and args.target and args.model != args.target:
        raise ConfigError(f"two models given ({args.target} and --model {args.model}); give one.")
    if not args.output:
        raise ConfigError("--stream writes a new model file: add -o OUT.onnx.")
    with warnings_to_stderr():
        result = calibrate_stream(
            args.model or args.target,
            args.stream,
            output=args.output,
            review_budget=_or(args.review_budget, STREAM_REVIEW_BUDGET),
            block_budget=_or(args.block_budget, STREAM_BLOCK_BUDGET),
            packs=args.pack or (),
            allow_small=args.allow_small,
            allow_skewed=args.allow_skewed,
            batch_size=args.batch_size,
            fetch=fetch_options(args),
        )
    print(result.report())
    out = result.output
    print(f"next: wildvision info {out}; wildvision scan SOURCE -o RESULTS --model {out}")
    return 0


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def add_calibrate_verb(verbs: argparse._SubParsersAction) -> None:
    """Register ``calibrate`` on the main parser's verbs."""
    p = verbs.add_parser(
        "calibrate",
        help="refit thresholds: a run's on validation data, or a model's on your own stream",
        description="Two uses. (1) wildvision calibrate RUN: refit a training run's "
        "temperature and thresholds on its validation photos (needs wildvision[train]); "
        "thresholds come from false-flag budgets on the 'other' photos (the run's config, "
        "default 1% to review or block, 0.1% blocked) or, with a precision flag, from target "
        "precisions (budgets and precisions cannot be mixed). (2) wildvision calibrate "
        "MODEL.onnx --stream SAMPLE -o OUT.onnx: refit an exported model's thresholds (and "
        "its packs') so that at most the budgets of a random, unlabelled sample of your own "
        "posts are flagged and blocked (default 1% and 0.1%); writes a new model file that "
        "records where its thresholds came from. See README, 'Calibrate on your own stream'.",
    )
    p.add_argument(
        "target", nargs="?", default=None, help="training run folder, or a model .onnx (--stream)"
    )
    p.add_argument(
        "--review-budget",
        type=float,
        default=None,
        help="share of 'other' photos (with --stream: of the sample) that may go to review or "
        "block, e.g. 0.01",
    )
    p.add_argument(
        "--block-budget",
        type=float,
        default=None,
        help="share of 'other' photos (with --stream: of the sample) that may be blocked, "
        "e.g. 0.001",
    )
    p.add_argument(
        "--block-precision",
        type=float,
        default=None,
        help="choose thresholds by precision instead (clears the budgets; runs only)",
    )
    p.add_argument(
        "--review-precision",
        type=float,
        default=None,
        help="choose thresholds by precision instead (clears the budgets; runs only)",
    )
    stream = p.add_argument_group("calibrate on your own stream")
    stream.add_argument(
        "--stream",
        default=None,
        metavar="SAMPLE",
        help="a random sample of your posts' photos: folder, .txt of paths/URLs, or "
        ".csv/.jsonl listings table",
    )
    stream.add_argument("--model", default=None, help="the model .onnx (or give it first)")
    stream.add_argument("-o", "--output", default=None, help="the calibrated model .onnx to write")
    pack_option(stream)
    stream.add_argument(
        "--allow-small",
        action="store_true",
        help="calibrate on fewer photos than the budget needs (10/budget), with a warning",
    )
    stream.add_argument(
        "--allow-skewed",
        action="store_true",
        help="calibrate on a sample of which over 20%% is flagged now (not a random stream)",
    )
    stream.add_argument("--batch-size", type=int, default=32)
    fetch_arguments(stream)
    p.set_defaults(func=cmd_calibrate)
