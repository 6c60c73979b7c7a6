"""Measure the shipped model the way the model card reports it.

    python training/evaluate_shipped.py RUN_DIR [--previous OLD_METRICS_JSON]

1. writes ``training/splits/test.csv``: the run's test split, paths relative to that file
   (the photos stay in ../shared/datasets; only their paths are committed), with each
   photo's source and category for the per-source false-flag tables;
2. runs ``wildvision.evaluation.evaluate`` (clean and shift test) on the shipped int8 and fp32
   models, writing each HTML report under ``RUN_DIR/eval-<precision>/``;
3. writes ``exported_models/wildvision-lite0.metrics.json`` and prints the model card table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from pathlib import Path

from wildvision import Classifier
from wildvision.evaluation.evaluate import evaluate, headline, headline_cells
from wildvision.models import list_shipped_models
from wildvision.train.run import Run

REPO = Path(__file__).resolve().parent.parent
SPLIT = REPO / "training" / "splits" / "test.csv"
CARD_METRICS = REPO / "exported_models" / "wildvision-lite0.metrics.json"


def write_test_split(run_dir: Path) -> None:
    """The run's test photos from ``../shared/datasets`` (rendered graphics, which live in
    the run's cache, are left out: a fresh clone could not find them), with their source and
    category (the photo's folder, ``images/<category>/photo.jpg``)."""
    SPLIT.parent.mkdir(parents=True, exist_ok=True)
    splits = Run.open(run_dir).splits_path
    with open(splits, newline="") as src, open(SPLIT, "w", newline="") as dst:
        writer = csv.writer(dst)
        writer.writerow(["path", "label", "split", "group", "source", "category"])
        for row in csv.DictReader(src):
            if row["split"] == "test" and row.get("source") != "synthetic":
                relative = os.path.relpath(row["path"], SPLIT.parent)
                category = Path(row["path"]).parent.name
                cells = [row["label"], row["split"], row["group"], row.get("source", "")]
                writer.writerow([relative, *cells, category])


def table(results: dict[str, dict]) -> str:
    lines = [
        "| model | test set | ivory AUROC | ivory recall @ precision 0.9 "
        "| false flags on other | accuracy | macro-F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, summary in results.items():
        for condition in ("clean", "shift"):
            if condition not in summary:
                continue
            metrics = summary[condition]
            lines.append(
                f"| {name} | {condition} | {headline_cells(headline(metrics))} | "
                f"{metrics['accuracy']:.4f} | {metrics['macro_f1']:.4f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument(
        "--previous",
        type=Path,
        default=None,
        help="metrics JSON of the model this one replaces, shown beside it",
    )
    args = parser.parse_args()
    write_test_split(args.run_dir)
    results = {}
    shipped = list_shipped_models()
    for precision, name in (("int8", "wildvision-lite0.int8"), ("fp32", "wildvision-lite0")):
        if name in shipped:
            output_dir = args.run_dir / f"eval-{precision}"
            results[precision] = evaluate(
                Classifier(precision=precision), SPLIT, output_dir=output_dir
            )
    if args.previous and args.previous.is_file():
        previous = json.loads(args.previous.read_text())
        results = {
            **{f"previous {k}": v for k, v in previous.items() if not k.startswith("previous")},
            **results,
        }
    current = {k: v for k, v in results.items() if not k.startswith("previous")}
    CARD_METRICS.write_text(json.dumps(current, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
