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
from wildvision.evaluation.evaluate import budget_cells, evaluate, headline
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
    """The model card's table: the headline (ivory caught at 1% / 0.1% false flags on
    ordinary photos), what the model's own thresholds do, and the older figures."""
    lines = [
        "| model | test set | ivory recall @ 1% / 0.1% false flags | ivory caught (flagged / "
        "blocked) | other flagged / blocked | ivory AUROC | ivory recall @ precision 0.9 "
        "| accuracy | macro-F1 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, summary in results.items():
        for condition in ("clean", "shift"):
            if condition not in summary:
                continue
            metrics = summary[condition]
            h = headline(metrics)
            caught = metrics.get("caught", {}).get("ivory", {})
            blocked = metrics.get("other_block_rate")
            lines.append(
                f"| {name} | {condition} | {budget_cells(h).replace(' | ', ' / ')} | "
                f"{_pct(caught.get('flagged'))} / {_pct(caught.get('blocked'))} | "
                f"{_pct(h['other_false_flag_rate'])} / {_pct(blocked, 2)} | "
                f"{h['ivory_auroc']:.4f} | {h['ivory_recall_at_precision_0.9']:.3f} | "
                f"{metrics['accuracy']:.4f} | {metrics['macro_f1']:.4f} |"
            )
    return "\n".join(lines)


def _pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument(
        "--previous",
        type=Path,
        default=None,
        help="metrics JSON of the model this one replaces, shown beside it",
    )
    parser.add_argument(
        "--previous-model",
        type=Path,
        action="append",
        default=[],
        help="an ONNX file of the model this one replaces, evaluated on the same split "
        "(repeatable); its figures are printed and kept in previous.metrics.json beside it",
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
    for model in args.previous_model:
        name = f"previous {Classifier(model).spec.version} {model.stem}"
        output_dir = args.run_dir / f"eval-{model.stem}"
        results[name] = evaluate(Classifier(model), SPLIT, output_dir=output_dir)
        kept = model.with_name(f"{model.stem}.previous.metrics.json")
        kept.write_text(json.dumps({name: results[name]}, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
