"""Does the reviewers' loop cross the shift? The study of benchmarks/LOOP_RESULTS.md.

A model that never saw a broad ordinary photo (``loop-base``: museum and everyday photos on
the 0.3.0 run's split) scores the broad photos of that split's train and val sides — the
stream its reviewers see. Its false flags there become reviewers' "not a wildlife product"
verdicts (a real ``verdicts.csv``), k = 50, 200 and 1,000 of them in stream order; the model
is retrained with them (two epochs from its weights, ``init_from``; k = 0 is the same two
epochs without verdicts, the control), and separately an ivory pack built on it is rebuilt
with them. Everything is measured on photos nobody reviewed: the broad photos and rendered
graphics of the test side, and the test side's ivory. From the repository root:

    python training/loop_study.py manifests               # runs/loop/base.csv
    wildvision train --config training/configs/loop-base.yaml
    wildvision export runs/loop-base --formats fp32
    python training/loop_study.py verdicts                # runs/loop/verdicts-k{K}.csv
    python training/loop_study.py retrain                 # runs/loop-k{0,50,200,1000}
    python training/loop_study.py measure                 # runs/loop/results.json
    python training/loop_study.py packs                   # runs/loop/packs.json
    python training/loop_study.py table                   # the tables in LOOP_RESULTS.md
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np

from wildvision import Classifier
from wildvision.metrics import recall_at_false_flag_rate
from wildvision.verdicts import NOT_WILDLIFE, VERDICT_COLUMNS

SPLITS_CSV = Path("runs/broad-graphics-lite0/splits.csv")  # the 0.3.0 run's split
OUT = Path("runs/loop")
KS = (50, 200, 1000)
PRODUCT = "ivory"
PACK_LABEL = "ivory_pack"
PACK_PHOTOS = 50


def rows_of(path: Path = SPLITS_CSV) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def is_broad(row: dict[str, str]) -> bool:
    return row["source"].startswith("broad/")


def is_render(row: dict[str, str]) -> bool:
    return row["source"] == "synthetic"


def held_out() -> dict[str, list[str]]:
    """The photos nobody reviews: the test side's broad photos, renders and ivory."""
    test = [r for r in rows_of() if r["split"] == "test"]
    return {
        "broad": [r["path"] for r in test if is_broad(r)],
        "renders": [r["path"] for r in test if is_render(r)],
        "ivory": [r["path"] for r in test if r["label"] == PRODUCT],
    }


def pool() -> list[str]:
    """The stream reviewers see: broad photos of the train and val sides, in a fixed order."""
    paths = [r["path"] for r in rows_of() if is_broad(r) and r["split"] != "test"]
    random.Random(0).shuffle(paths)
    return paths


def cmd_manifests(_: argparse.Namespace) -> None:
    rows = rows_of()
    kept = [r for r in rows if not is_broad(r) and not is_render(r)]
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "base.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    print(f"{OUT}/base.csv: {len(kept)} museum and everyday photos")


def write_verdicts(path: Path, flagged: list[tuple[str, str, float]], version: str) -> None:
    """A verdicts.csv as the review page writes it: every flag judged not a wildlife product."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(VERDICT_COLUMNS)
        for photo, label, score in flagged:
            writer.writerow(
                [
                    "/".join(Path(photo).parts[-3:]),  # unique: it keys the hashed split
                    photo,
                    NOT_WILDLIFE,
                    label,
                    score,
                    version,
                    "2026-12-01T00:00:00Z",
                ]
            )


def cmd_verdicts(_: argparse.Namespace) -> None:
    classifier = Classifier("runs/loop-base/model.onnx")
    stream = pool()
    flagged = [
        (photo, p.label, round(p.score, 6))
        for photo, p in zip(stream, classifier.predict_batch(stream))
        if p.decision in ("review", "block")
    ]
    print(f"loop-base flags {len(flagged)} of {len(stream)} broad pool photos")
    for k in KS:
        write_verdicts(OUT / f"verdicts-k{k}.csv", flagged[:k], classifier.spec.version)
        print(f"  verdicts-k{k}.csv: {min(k, len(flagged))} verdicts")
    (OUT / "pool.json").write_text(json.dumps({"pool": len(stream), "flagged": len(flagged)}))


def cmd_retrain(args: argparse.Namespace) -> None:
    for k in (0, *KS) if not args.k else args.k:
        data = ["runs/loop/base.csv"] + ([f"runs/loop/verdicts-k{k}.csv"] if k else [])
        command = [
            "wildvision",
            "train",
            "--config",
            "training/configs/loop-retrain.yaml",
            "--data",
            *data,
            "--name",
            f"loop-k{k}",
        ]
        print(" ".join(command), flush=True)
        subprocess.run(command, check=True)
        export = ["wildvision", "export", f"runs/loop-k{k}", "--formats", "fp32"]
        subprocess.run(export, check=True)


def rates(decisions: list[str]) -> dict[str, float]:
    return {
        "flagged": float(np.mean([d in ("review", "block") for d in decisions])),
        "blocked": float(np.mean([d == "block" for d in decisions])),
    }


def cmd_measure(_: argparse.Namespace) -> None:
    sets = held_out()
    results = {"sizes": {name: len(paths) for name, paths in sets.items()}, "models": {}}
    for name in ["loop-base", *(f"loop-k{k}" for k in (0, *KS))]:
        classifier = Classifier(f"runs/{name}/model.onnx")
        entry = {}
        scores = {}
        for set_name, paths in sets.items():
            predictions = list(classifier.predict_batch(paths))
            entry[set_name] = rates([p.decision for p in predictions])
            scores[set_name] = np.array([p.scores[PRODUCT] for p in predictions])
        entry["ivory_recall@1%_broad"] = recall_at_false_flag_rate(
            scores["ivory"], scores["broad"], 0.01
        )
        entry["thresholds"] = classifier.spec.thresholds[PRODUCT].__dict__
        results["models"][name] = entry
        print(name, json.dumps(entry), flush=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=1))


def cmd_packs(_: argparse.Namespace) -> None:
    """The ivory pack on loop-base's embeddings: its bank is loop-base's train-side negatives
    (museum bone and ceramic, everyday photos); its own false flags on the pool become the
    verdicts it is rebuilt with."""
    from wildvision.packs.build import build_negative_bank, build_pack

    classifier = Classifier("runs/loop-base/model.onnx")
    rows = [r for r in rows_of(OUT / "base.csv") if r["split"] == "train"]
    negatives = [r for r in rows if r["label"] != PRODUCT]
    bank = build_negative_bank(
        classifier,
        [r["path"] for r in negatives],
        [r["source"] + "/" + r["label"] for r in negatives],
        labels=[r["label"] for r in negatives],  # bone, ceramic: look-alikes
    )
    ivory = sorted(r["path"] for r in rows if r["label"] == PRODUCT)
    photos = random.Random(0).sample(ivory, PACK_PHOTOS)
    sets = held_out()
    embedded = {name: classifier.embed(paths) for name, paths in sets.items()}
    stream = pool()
    stream_embedded = classifier.embed(stream)
    results = {"photos": PACK_PHOTOS, "bank": len(bank), "packs": {}}
    pack = build_pack(photos, PACK_LABEL, model=classifier, bank=bank)
    scores = pack.score(stream_embedded)
    flagged = [
        (p, PACK_LABEL, round(float(s), 6))
        for p, s in zip(stream, scores)
        if s >= pack.thresholds.review
    ]
    results["pool_flagged"] = len(flagged)
    for k in (0, *KS):
        if k:
            write_verdicts(OUT / f"pack-verdicts-k{k}.csv", flagged[:k], classifier.spec.version)
            pack = build_pack(
                photos,
                PACK_LABEL,
                model=classifier,
                bank=bank,
                verdicts=[OUT / f"pack-verdicts-k{k}.csv"],
            )
        entry = {"verdicts": min(k, len(flagged)), "thresholds": pack.thresholds.__dict__}
        for name, rows_embedded in embedded.items():
            s = pack.score(rows_embedded)
            entry[name] = {
                "flagged": float((s >= pack.thresholds.review).mean()),
                "blocked": float((s >= pack.thresholds.block).mean()),
            }
            entry[f"{name}_scores"] = s
        entry["ivory_recall@1%_broad"] = recall_at_false_flag_rate(
            entry.pop("ivory_scores"), entry.pop("broad_scores"), 0.01
        )
        entry.pop("renders_scores")
        results["packs"][f"k{k}"] = entry
        print(f"pack k={k}", json.dumps(entry), flush=True)
    (OUT / "packs.json").write_text(json.dumps(results, indent=1))


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def cmd_table(_: argparse.Namespace) -> None:
    results = json.loads((OUT / "results.json").read_text())
    pool_info = json.loads((OUT / "pool.json").read_text())
    print(
        f"pool {pool_info['pool']} broad photos, loop-base flagged {pool_info['flagged']}; "
        f"held out: {results['sizes']}\n"
    )
    print(
        "| model | verdicts | broad held out flagged / blocked | renders flagged / blocked "
        "| ivory flagged / blocked | ivory recall @1% broad FF |"
    )
    print("|---|---|---|---|---|---|")
    for name, e in results["models"].items():
        k = "—" if name == "loop-base" else str(min(int(name.split("-k")[1]), pool_info["flagged"]))
        cells = [
            f"{_pct(e[s]['flagged'])} / {_pct(e[s]['blocked'])}"
            for s in ("broad", "renders", "ivory")
        ]
        print(f"| {name} | {k} | " + " | ".join(cells) + f" | {_pct(e['ivory_recall@1%_broad'])} |")
    packs = json.loads((OUT / "packs.json").read_text())
    print(
        f"\npack: {packs['photos']} ivory photos, bank {packs['bank']}, flagged "
        f"{packs['pool_flagged']} pool photos\n"
    )
    print(
        "| pack | verdicts | broad held out flagged / blocked | renders flagged / blocked "
        "| ivory flagged / blocked | ivory recall @1% broad FF |"
    )
    print("|---|---|---|---|---|---|")
    for name, e in packs["packs"].items():
        cells = [
            f"{_pct(e[s]['flagged'])} / {_pct(e[s]['blocked'])}"
            for s in ("broad", "renders", "ivory")
        ]
        print(
            f"| {name} | {e['verdicts']} | "
            + " | ".join(cells)
            + f" | {_pct(e['ivory_recall@1%_broad'])} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    for name, func in (
        ("manifests", cmd_manifests),
        ("verdicts", cmd_verdicts),
        ("measure", cmd_measure),
        ("packs", cmd_packs),
        ("table", cmd_table),
    ):
        verbs.add_parser(name).set_defaults(func=func)
    p = verbs.add_parser("retrain")
    p.add_argument("--k", type=int, nargs="*", help="only these k (default: 0 and every k)")
    p.set_defaults(func=cmd_retrain)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
