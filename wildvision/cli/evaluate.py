"""The ``evaluate`` verb of the ``wildvision`` command: metrics of an exported model on
labelled photos. It needs the ``[eval]`` extra only, not torch."""

from __future__ import annotations

import argparse

from ..errors import ConfigError
from .options import decode_arguments, decode_limits


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..evaluation.evaluate import evaluate  # the [eval] extra; no torch

    if args.model and args.model_option:
        raise ConfigError("give the model once: as MODEL or as --model, not both.")
    split = None if args.split == "all" else args.split
    summary = evaluate(
        args.model or args.model_option,
        args.data,
        split=split,
        category_column=args.category_column,
        shift=not args.no_shift,
        card=not args.no_card,
        robustness=args.robustness,
        output_dir=args.output_dir,
        tta_flip=args.tta_flip,
        prevalence=args.prevalence,
        **decode_limits(args),
    )
    for condition, report in summary.items():
        flag = report["other_false_flag_rate"]
        print(
            f"{condition}: {report['count']} photos, accuracy {report['accuracy']:.4f}, "
            f"macro-F1 {report['macro_f1']:.4f}, false flags on 'other' "
            + ("n/a" if flag is None else f"{flag:.2%}")
        )
        for label, row in report["per_class"].items():
            auroc = "n/a" if row["auroc"] is None else f"{row['auroc']:.4f}"
            print(
                f"  {label:16s} P {row['precision']:.3f} R {row['recall']:.3f} "
                f"F1 {row['f1']:.3f} AUROC {auroc} R@P0.9 {row['recall_at_precision_0.9']:.3f} "
                f"n={row['support']}"
            )
        _print_budget_figures(report)
        for title, key in (
            ("source", "false_flags_by_source"),
            ("category", "false_flags_by_category"),
        ):
            _print_false_flags(title, report.get(key) or {})
    if args.robustness:
        from ..evaluation.robustness import robustness_markdown

        print("robustness (each held-out effect alone, at the model's own thresholds):")
        print(robustness_markdown(summary["clean"]["robustness"]), end="")
    if args.output_dir:
        also = ", robustness.md and .png" if args.robustness else ""
        print(f"wrote {args.output_dir}/metrics.json and report.html{also}")
    return 0


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _print_budget_figures(report: dict) -> None:
    """Recall at 1% / 0.1% false flags and the expected precision at the prevalence."""
    suffix = "_recall_at_false_flags"
    for key, rates in report.items():
        if key.endswith(suffix) and isinstance(rates, dict):
            cells = ", ".join(f"{_percent(r)} at {float(rate):.1%}" for rate, r in rates.items())
            print(f"  {key[: -len(suffix)]} recall at false flags on 'other': {cells}")
    expected = report.get("expected_precision") or {}
    for label, row in expected.items():
        if label != "prevalence":
            print(
                f"  {label} expected precision at {expected['prevalence']:.2%} prevalence: "
                f"flagged {_percent(row['flagged'])}, blocked {_percent(row['blocked'])}"
            )


def _print_false_flags(title: str, table: dict, limit: int = 12) -> None:
    """A small table of false flags on 'other' photos per source or category."""
    if not table:
        return
    width = max(len(title), *(len(name) for name in list(table)[:limit]))
    print(f"  false flags on 'other' by {title}:")
    print(f"    {title:{width}s}  photos  flagged  blocked")
    for name, row in list(table.items())[:limit]:
        print(
            f"    {name:{width}s}  {row['photos']:6d}  {row['flagged']:7.2%}  {row['blocked']:7.2%}"
        )
    if len(table) > limit:
        print(f"    ... {len(table) - limit} more in metrics.json (-o)")


def add_evaluate_verb(verbs: argparse._SubParsersAction) -> None:
    """Register evaluate on the main parser's verbs."""
    p = verbs.add_parser(
        "evaluate", help="metrics of a model on labelled photos (needs wildvision[eval], no torch)"
    )
    p.add_argument(
        "model", nargs="?", default=None, help="ONNX file or shipped model name (default: shipped)"
    )
    p.add_argument("--model", dest="model_option", default=None, help="the same as MODEL")
    p.add_argument(
        "--data",
        required=True,
        nargs="+",
        help="training run folders (their split's photos), manifests or image folders; "
        "several are scored together, each a source of its own",
    )
    p.add_argument("--split", default="test", help="split to use when the data has one, or 'all'")
    p.add_argument("--no-shift", action="store_true", help="skip the shift test")
    p.add_argument("--no-card", action="store_true", help="skip the card test")
    p.add_argument(
        "--robustness",
        action="store_true",
        help="add the robustness table: each held-out listing effect alone, caught and "
        "ordinary flagged at the model's own thresholds",
    )
    p.add_argument(
        "-o", "--output-dir", default=None, help="write metrics.json and report.html here"
    )
    p.add_argument(
        "--tta-flip", action="store_true", help="average each photo with its mirror image"
    )
    p.add_argument(
        "--prevalence",
        type=float,
        default=0.01,
        help="share of wildlife photos in the stream for the expected precision (default 0.01)",
    )
    p.add_argument(
        "--category-column",
        default="category",
        help="manifest column to break false flags down by (default: category)",
    )
    decode_arguments(p)
    p.set_defaults(func=cmd_evaluate)
