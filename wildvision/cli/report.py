"""``wildvision report``: the review page of a scan's results, with heatmaps."""

from __future__ import annotations

import argparse

from .._progress import progress, stderr_is_terminal
from ..spec import RESULT_DECISIONS
from .options import (
    decode_arguments,
    decode_limits,
    fetch_arguments,
    fetch_options,
    model_options,
    pack_option,
    warnings_to_stderr,
)


def cmd_report(args: argparse.Namespace) -> int:
    from ..classifier import Classifier
    from ..explain import each_explanation
    from ..packs import load_pack
    from ..results import check_results
    from ..review import write_review_report

    check_results(args.results)  # a listings table or an empty file: say what to run first
    limits = decode_limits(args)
    packs = [load_pack(path) for path in args.pack or ()]
    model = (
        None
        if args.no_heatmaps
        else Classifier(args.model, precision=args.precision, packs=packs, **limits)
    )
    total = None if model is None else _report_items(args)
    bar = progress(total=total, desc="heatmaps", unit="photo", enabled=total is not None)
    with warnings_to_stderr(), bar, each_explanation(bar.update):
        count = write_review_report(
            args.results,
            args.output,
            model,
            decisions=args.decisions,
            limit=args.limit,
            explain=not args.no_heatmaps,
            extra_labels=[pack.label for pack in packs],
            fetch=fetch_options(args),
            **limits,  # the thumbnails' limits when no model is loaded (--no-heatmaps)
        )
    print(f"wrote {args.output}: {count} items")
    return 0


def _report_items(args: argparse.Namespace) -> int | None:
    """How many photos ``report`` will explain (one quick pass over the results), for its
    progress bar; None where no bar is drawn (stderr is not a terminal)."""
    from ..results import iter_rows

    if not stderr_is_terminal():
        return None
    wanted = set(args.decisions)
    matching = sum(str(row.get("decision")) in wanted for row in iter_rows(args.results))
    return min(matching, args.limit)


def add_report_verb(verbs: argparse._SubParsersAction) -> None:
    """Register ``report`` on the main parser's verbs."""
    p = verbs.add_parser("report", help="an HTML page of a scan's flagged photos with heatmaps")
    p.add_argument("results", help="results .jsonl or .csv written by scan")
    p.add_argument("-o", "--output", required=True, help="HTML page to write")
    model_options(p, "the scan's model, to explain (ONNX file or shipped name; default: shipped)")
    pack_option(p)
    p.add_argument(
        "--limit", type=int, default=200, help="most items, highest score first (%(default)s)"
    )
    p.add_argument(
        "--decisions",
        nargs="+",
        default=["block", "review"],
        choices=RESULT_DECISIONS,
        help="rows to show (default: block review)",
    )
    p.add_argument(
        "--no-heatmaps", action="store_true", help="thumbnails only; loads no model (fast)"
    )
    decode_arguments(p)
    fetch_arguments(p, workers=False)
    p.set_defaults(func=cmd_report)
