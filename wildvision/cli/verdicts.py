"""The ``verdicts`` verb of the ``wildvision`` command: what reviewers said about a model's
flags (the review page's ``verdicts.csv``). Needs the base install only."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def cmd_verdicts_stats(args: argparse.Namespace) -> int:
    from ..verdicts import read_verdicts, summarise

    summary = summarise(read_verdicts(args.files))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print("\n".join(stats_lines(summary)))
    return 0


def stats_lines(summary: dict[str, Any]) -> list[str]:
    """``summarise``'s figures as a short text report."""
    files = ", ".join(Path(f).name for f in summary["files"])
    conflicts = summary["conflicts"]
    lines = [
        f"{files}: {summary['rows']} rows; {summary['reviewed']} photos with a verdict, "
        f"{summary['skipped_unsure']} unsure (skipped), {summary['repeats']} repeated, "
        f"{len(conflicts)} in conflict (left out)"
    ]
    for conflict in conflicts:
        where = ", ".join(Path(f).name for f in conflict["files"])
        lines.append(f"  conflict: {conflict['path']}: {' vs '.join(conflict['labels'])} ({where})")
    rows = {**summary["per_model_label"], "all": summary["overall"]}
    width = max(len("model label"), *(len(name) for name in rows))
    lines.append(
        f"{'model label':{width}s}  reviewed  confirmed  relabelled  rejected  precision  wildlife"
    )
    for name, row in rows.items():
        lines.append(
            f"{name:{width}s}  {row['reviewed']:8d}  {row['confirmed']:9d}  "
            f"{row['relabelled']:10d}  {row['rejected']:8d}  {_percent(row['precision']):>9s}  "
            f"{_percent(row['wildlife_precision']):>8s}"
        )
    for name, row in summary["per_model_label"].items():
        if row["relabelled_as"]:
            moves = ", ".join(f"{label} {n}" for label, n in row["relabelled_as"].items())
            lines.append(f"relabelled {name} as: {moves}")
    lines.append(
        "precision: the model's label confirmed; wildlife: a wildlife product under any label "
        "(rejected: not a wildlife product)."
    )
    return lines


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def add_verdicts_verb(verbs: argparse._SubParsersAction) -> None:
    """Register ``verdicts stats`` on the main parser's verbs."""
    p = verbs.add_parser("verdicts", help="reviewers' verdicts from the review page")
    actions = p.add_subparsers(dest="action", required=True)
    p = actions.add_parser("stats", help="counts and the reviewers' precision of the model's flags")
    p.add_argument("files", nargs="+", help="verdicts.csv files (the review page's download)")
    p.add_argument("--json", action="store_true", help="the figures as JSON")
    p.set_defaults(func=cmd_verdicts_stats)
