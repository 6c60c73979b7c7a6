"""Compare models on ordinary photos and ivory: the table of training/README.md
("Broad negatives, graphics and the guard").

    python training/compare_negatives.py NAME=MODEL.onnx[@RUN] ... [--splits RUN]
        [--output training/results/negatives.json]

Each model is evaluated (``wildvision.evaluation.evaluate``: clean and shift test) on the test
rows of its own run (after ``@``) or of ``--splits`` (a run folder or its ``splits.csv``),
and the script prints, per model: false flags (review or block) and blocks on the held-out
ordinary photos of each broad source and of the rendered graphics, on all ``other`` photos,
and ivory caught at the model's own operating point, ivory recall at 1% / 0.1% false flags
and ivory AUROC on the clean and shift tests. Results are kept in the JSON file
(resumable: a name already there is not evaluated again).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from wildvision import Classifier
from wildvision._atomic import atomic_write_text
from wildvision.evaluation.evaluate import evaluate
from wildvision.train.run import Run

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "training" / "results" / "negatives.json"
BROAD_PREFIXES = ("broad/", "synthetic")


def with_categories(splits: Path, folder: Path) -> Path:
    """The test rows of a run's ``splits.csv`` (or of the run folder's) with a ``category``
    column: the photo's folder name (``images/<category>/photo.jpg`` in the shared datasets
    and the renders' kind in their file name)."""
    if splits.is_dir():
        splits = Run.open(splits).splits_path
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "test.csv"
    with open(splits, newline="") as src, open(target, "w", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=[*reader.fieldnames, "category"])
        writer.writeheader()
        for row in reader:
            if row["split"] != "test":
                continue
            path = Path(row["path"])
            kind = path.stem.partition("_")[2] if row.get("source") == "synthetic" else ""
            writer.writerow({**row, "category": kind or path.parent.name})
    return target


def summarise(summary: dict) -> dict:
    """The figures of the table from one ``evaluate`` summary."""
    row: dict = {}
    for condition in ("clean", "shift"):
        metrics = summary[condition]
        ivory = metrics["per_class"]["ivory"]
        recalls = metrics.get("ivory_recall_at_false_flags") or {}
        row[condition] = {
            "other_flagged": metrics["other_false_flag_rate"],
            "other_blocked": metrics["other_block_rate"],
            "ivory_flagged": metrics["caught"]["ivory"]["flagged"],
            "ivory_blocked": metrics["caught"]["ivory"]["blocked"],
            "ivory_auroc": ivory["auroc"],
            "ivory_recall_at_1pct": recalls.get("0.01"),
            "ivory_recall_at_0.1pct": recalls.get("0.001"),
            "by_source": metrics["false_flags_by_source"],
        }
    broad = {
        name: figures
        for name, figures in summary["clean"]["false_flags_by_source"].items()
        if name.startswith(BROAD_PREFIXES)
    }
    photos = sum(f["photos"] for f in broad.values())
    row["broad_photos"] = photos
    for key in ("flagged", "blocked"):
        hits = sum(f[key] * f["photos"] for f in broad.values())
        row[f"broad_{key}"] = hits / photos if photos else None
    return row


def table(results: dict) -> str:
    def pct(value: float | None, digits: int = 1) -> str:
        return "n/a" if value is None else f"{value:.{digits}%}"

    lines = [
        "| model | broad + graphics flagged / blocked | all `other` flagged / blocked "
        "| ivory flagged / blocked (clean) | ivory R@1% / R@0.1% FF (clean) "
        "| ivory AUROC clean / shift | ivory flagged (shift) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in results.items():
        clean, shift = row["clean"], row["shift"]
        lines.append(
            f"| {name} | {pct(row['broad_flagged'])} / {pct(row['broad_blocked'], 2)} "
            f"| {pct(clean['other_flagged'])} / {pct(clean['other_blocked'], 2)} "
            f"| {pct(clean['ivory_flagged'])} / {pct(clean['ivory_blocked'])} "
            f"| {pct(clean['ivory_recall_at_1pct'])} / {pct(clean['ivory_recall_at_0.1pct'])} "
            f"| {clean['ivory_auroc']:.4f} / {shift['ivory_auroc']:.4f} "
            f"| {pct(shift['ivory_flagged'])} |"
        )
    return "\n".join(lines)


def source_table(results: dict) -> str:
    """False flags per source of `other` (clean test), one column per model."""
    names = list(results)
    sources = sorted({s for row in results.values() for s in row["clean"]["by_source"]})
    lines = [
        "| source | photos | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for source in sources:
        cells, photos = [], "-"
        for name in names:
            figures = results[name]["clean"]["by_source"].get(source)
            if figures is None:
                cells.append("-")
                continue
            photos = str(figures["photos"])
            cells.append(f"{figures['flagged']:.1%} / {figures['blocked']:.1%}")
        lines.append(f"| {source} | {photos} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="NAME=MODEL.onnx[@RUN or SPLITS.csv]")
    parser.add_argument("--splits", type=Path, help="the run (or splits.csv) of models without @")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    results = json.loads(args.output.read_text()) if args.output.is_file() else {}
    for item in args.models:
        name, _, target = item.partition("=")
        model, _, splits = target.partition("@")
        if name in results:
            continue
        data = Path(splits) if splits else args.splits
        if data is None:
            parser.error(f"{name}: give its run after @ or pass --splits")
        folder = REPO / "runs" / "eval" / name.replace(" ", "_").replace(",", "")
        test = with_categories(data, folder)
        summary = evaluate(Classifier(model), test, output_dir=folder)
        results[name] = {"model": model, "data": str(data), **summarise(summary)}
        args.output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.output, json.dumps(results, indent=1))
        print(table(results), flush=True)
    print(table(results))
    print()
    print(source_table(results))


if __name__ == "__main__":
    main()
