"""Train, export and evaluate each recipe of ``training/recipes.yaml`` on the same splits.

    python training/compare_recipes.py [--recipes training/recipes.yaml] [--only NAME ...]

Resumable: a row whose result is already in ``training/results/recipes.json`` is skipped, a
half-finished run folder is replaced. Prints the markdown table of training/README.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import yaml

from wildvision._atomic import atomic_write_text
from wildvision.evaluation.evaluate import evaluate, headline, headline_cells
from wildvision.train.exporter import export_onnx
from wildvision.train.trainer import train

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "training" / "results" / "recipes.json"


def run_row(name: str, base: str, overrides: dict, flip: bool) -> dict:
    run_dir = Path(overrides["output_dir"]) / name
    if run_dir.exists():
        shutil.rmtree(run_dir)  # an interrupted earlier attempt
    started = time.perf_counter()
    result = train(base, name=name, **overrides)
    minutes = (time.perf_counter() - started) / 60
    model = export_onnx(result.run_dir, result.run_dir / "model.onnx")
    row = {
        "config": overrides,
        "best_epoch": result.best_epoch,
        "val_macro_f1": result.val_macro_f1,
        "train_minutes": round(minutes, 1),
    }
    variants = [("", False)] + ([(" + flip", True)] if flip else [])
    rows = {}
    for suffix, tta in variants:
        summary = evaluate(
            model,
            result.run,
            output_dir=result.run_dir / ("eval-flip" if tta else "eval"),
            tta_flip=tta,
        )
        rows[name + suffix] = {
            **row,
            "tta_flip": tta,
            "clean": headline(summary["clean"]),
            "shift": headline(summary["shift"]),
        }
    return rows


def table(results: dict) -> str:
    lines = [
        "| recipe | val macro-F1 | clean ivory AUROC | clean R@P0.9 | clean false flags "
        "| shift ivory AUROC | shift R@P0.9 | shift false flags | train min |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in results.items():
        lines.append(
            f"| {name} | {row['val_macro_f1']:.3f} | {headline_cells(row['clean'])} | "
            f"{headline_cells(row['shift'])} | {row['train_minutes']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", default=str(REPO / "training" / "recipes.yaml"))
    parser.add_argument("--only", nargs="+", default=None, help="rows to run (default: all)")
    args = parser.parse_args()
    plan = yaml.safe_load(Path(args.recipes).read_text(encoding="utf-8"))
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    for name, changes in plan["rows"].items():
        if name in results or (args.only and name not in args.only):
            continue
        overrides = {**plan["protocol"], **(changes or {})}
        results.update(run_row(name, plan["base"], overrides, name in plan.get("flip_rows", [])))
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(RESULTS, json.dumps(results, indent=2))
        print(table(results), flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
