"""The ``wildvision`` command: thin verbs over the same functions a Python user calls."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from .._version import __version__
from ..errors import ConfigError, WildvisionError
from ..hashes import DEFAULT_MAX_DISTANCE
from ..server_defaults import (
    DEFAULT_MAX_BATCH_BYTES,
    DEFAULT_MAX_BATCH_FILES,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_UPLOAD_BYTES,
    MB,
)
from .calibrate import add_calibrate_verb
from .evaluate import add_evaluate_verb
from .hashes import add_hashes_verb
from .options import decode_arguments as _decode_arguments
from .options import decode_limits as _decode_limits
from .options import fetch_arguments as _fetch_arguments
from .options import fetch_options as _fetch_options
from .options import model_options as _model_options
from .options import pack_option as _pack_option
from .packs import add_pack_verbs
from .report import add_report_verb
from .train import add_training_verbs
from .verdicts import add_verdicts_verb


def cmd_predict(args: argparse.Namespace) -> int:
    from ..classifier import Classifier
    from ..scanning import classify_items

    images = _photos_of(args.images)  # a folder is its images, as scan reads it
    classifier = Classifier(
        args.model,
        precision=args.precision,
        tta_flip=args.tta_flip,
        packs=args.pack or (),
        **_decode_limits(args),
    )
    failed = 0
    predictions = classify_items(
        classifier, images, batch_size=args.batch_size, fetch=_fetch_options(args)
    )
    version = {"model_version": classifier.spec.version}
    for _, prediction, _ in predictions:
        failed += not prediction.ok
        if args.json:
            print(json.dumps({**prediction.to_dict(), **version}))
        elif prediction.ok:
            print(
                f"{prediction.source}\t{prediction.label}\t{prediction.score:.4f}\t{prediction.decision}"
            )
        else:
            print(f"{prediction.source}\terror\t{prediction.error}")
    return 1 if failed else 0


def _photos_of(arguments: Sequence[str]) -> Iterator[str]:
    """``predict``'s photos: each argument as given, a folder as its image files (recursive,
    sorted, as ``scan`` reads one).

    Raises:
        ScanError: a folder without image files below it.
    """
    from ..sources import check_not_empty, iter_images

    for folder in filter(os.path.isdir, arguments):
        check_not_empty(folder)  # now, before the model loads
    return (
        str(photo)
        for argument in arguments
        for photo in (iter_images(Path(argument)) if os.path.isdir(argument) else [argument])
    )


def cmd_scan(args: argparse.Namespace) -> int:
    from ..classifier import Classifier
    from ..scanning import scan

    classifier = Classifier(
        args.model,
        precision=args.precision,
        tta_flip=args.tta_flip,
        packs=args.pack or (),
        **_decode_limits(args),
    )
    try:
        summary = scan(
            args.source,
            args.output,
            classifier,
            batch_size=args.batch_size,
            hashes=args.hashes,
            max_distance=args.max_distance,
            progress=not args.no_progress,
            fetch=_fetch_options(args),
        )
    except KeyboardInterrupt:
        return _interrupted(args.output)
    print(summary.report())
    return 0


def cmd_triage(args: argparse.Namespace) -> int:
    from ..classifier import Classifier
    from ..triage import triage

    classifier = Classifier(
        args.model, precision=args.precision, packs=args.pack or (), **_decode_limits(args)
    )
    try:
        summary = triage(
            args.reports,
            args.output,
            classifier,
            batch_size=args.batch_size,
            fetch=_fetch_options(args),
            progress=not args.no_progress,
        )
    except KeyboardInterrupt:
        return _interrupted(args.output)
    print(summary.report())
    print(f"ranked highest wildlife score first; review: wildvision report {args.output} -o PAGE")
    return 0


def _interrupted(output: str) -> int:
    print(
        f"interrupted: the rows scored so far are kept for {output}; "
        "re-run the same command to resume.",
        file=sys.stderr,
    )
    return 130


def cmd_info(args: argparse.Namespace) -> int:
    from ..classifier import Classifier

    if args.model and args.model_path and args.model != args.model_path:
        raise ConfigError(
            f"info got two models, {args.model_path!r} and --model {args.model!r}; give one."
        )
    classifier = Classifier(args.model or args.model_path, packs=args.pack or ())
    summary = {"path": str(classifier.model_path), "sha256": classifier.sha256}
    packs = {"packs": [pack.summary() for pack in classifier.packs]} if classifier.packs else {}
    print(json.dumps({**summary, **classifier.spec.to_dict(), **packs}, indent=2))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ..server import serve

    try:
        serve(
            args.model,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            precision=args.precision,
            max_upload_bytes=round(args.max_upload_mb * MB),
            max_batch_files=args.max_batch_files,
            max_batch_bytes=round(args.max_batch_mb * MB),
            max_concurrency=args.max_concurrency,
            packs=args.pack or (),
            **_decode_limits(args),
        )
    except ValueError as exc:  # a limit out of range (wildvision's own errors are ValueErrors)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wildvision", description="Recognise illegal wildlife products in listing photos."
    )
    parser.add_argument("--version", action="version", version=f"wildvision {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True)

    p = verbs.add_parser("predict", help="classify images with an exported model")
    p.add_argument(
        "images", nargs="+", help="image files, folders (their images, recursively) or URLs"
    )
    _decode_arguments(p)
    _model_options(p)
    _pack_option(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument(
        "--tta-flip", action="store_true", help="average each photo with its mirror image"
    )
    _fetch_arguments(p)
    p.set_defaults(func=cmd_predict)

    p = verbs.add_parser("scan", help="classify a folder, path list or listings table to a file")
    p.add_argument("source", help="folder, .txt of paths/URLs, or .csv/.jsonl with listing_id,path")
    p.add_argument("-o", "--output", required=True, help="results .jsonl or .csv (resumes)")
    _model_options(p)
    _pack_option(p)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument(
        "--tta-flip", action="store_true", help="average each photo with its mirror image"
    )
    p.add_argument("--hashes", default=None, help="known-image hash list (hashes build)")
    p.add_argument(
        "--max-distance",
        type=int,
        default=DEFAULT_MAX_DISTANCE,
        help="largest Hamming distance (of 128 bits) that matches (default %(default)s)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _decode_arguments(p)
    _fetch_arguments(p)
    p.set_defaults(func=cmd_scan)

    p = verbs.add_parser("triage", help="rank reported listings, likeliest wildlife first")
    p.add_argument("reports", help="folder, .txt of paths/URLs, or .csv/.jsonl of listings")
    p.add_argument("-o", "--output", required=True, help="queue .jsonl or .csv for `report`")
    _model_options(p)
    _pack_option(p)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _decode_arguments(p)
    _fetch_arguments(p)
    p.set_defaults(func=cmd_triage)

    add_report_verb(verbs)
    add_hashes_verb(verbs)
    add_training_verbs(verbs)
    add_calibrate_verb(verbs)
    add_evaluate_verb(verbs)
    add_pack_verbs(verbs, _model_options)
    add_verdicts_verb(verbs)

    p = verbs.add_parser("serve", help="classify photos over HTTP (needs wildvision[serve])")
    _model_options(p)
    _pack_option(p)
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default %(default)s: this machine only; 0.0.0.0 behind a proxy)",
    )
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=DEFAULT_MAX_UPLOAD_BYTES // MB,
        help="largest photo, in MB of 2**20 bytes (default %(default)s)",
    )
    p.add_argument(
        "--max-batch-files",
        type=int,
        default=DEFAULT_MAX_BATCH_FILES,
        help="most photos per batch request (default %(default)s)",
    )
    p.add_argument(
        "--max-batch-mb",
        type=float,
        default=DEFAULT_MAX_BATCH_BYTES // MB,
        help="largest batch request, all photos together (default %(default)s)",
    )
    p.add_argument(
        "--max-concurrency",
        type=int,
        default=DEFAULT_MAX_CONCURRENCY,
        help="classifications at once; more requests wait (default %(default)s)",
    )
    p.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    _decode_arguments(p, byte_cap=False)  # uploads are capped by --max-upload-mb
    p.set_defaults(func=cmd_serve)

    p = verbs.add_parser("info", help="show a model's labels, preprocessing and thresholds")
    p.add_argument("model_path", nargs="?", default=None, metavar="MODEL", help="as --model")
    p.add_argument(
        "--model", default=None, help="ONNX file or shipped model name (default: shipped)"
    )
    _pack_option(p)
    p.set_defaults(func=cmd_info)
    return parser


#: The exit code of a program whose reader closed the pipe (128 + SIGPIPE), as the shell's.
EXIT_BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    """Run one verb; its errors are one ``error: ...`` line on stderr and exit code 2.

    Errors wildvision raises on purpose (a bad path, a missing extra, an invalid config)
    and the operating system's (permissions, a full disk) are reported, not traced. A reader
    that closes the pipe early (``wildvision info | head -1``) ends the command quietly.
    """
    args = build_parser().parse_args(argv)
    _show_library_log()
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here rather than at exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except (WildvisionError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _show_library_log() -> None:
    """The library logs (``logging``, logger ``wildvision``); the CLI shows its INFO lines
    (training progress, calibration) on stdout, as plain lines."""
    logger = logging.getLogger("wildvision")
    if not any(isinstance(h, _StdoutLines) for h in logger.handlers):
        logger.addHandler(_StdoutLines())
        logger.setLevel(logging.INFO)


class _StdoutLines(logging.Handler):
    """Each record as a plain line on the stdout of the moment (warnings on stderr)."""

    def emit(self, record: logging.LogRecord) -> None:
        stream = sys.stderr if record.levelno >= logging.WARNING else sys.stdout
        print(record.getMessage(), file=stream, flush=True)


def _silence_stdout() -> None:
    """Point stdout at devnull so the interpreter's last flush at exit cannot fail again
    (the Python docs' recipe for SIGPIPE, signal module notes)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (captured in tests)
        pass


if __name__ == "__main__":
    sys.exit(main())
