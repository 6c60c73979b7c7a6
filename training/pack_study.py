"""How many photos does a pack need? The leave-one-class-out study of benchmarks/PACK_RESULTS.md.

A backbone trained without any photo of one product (ivory, or bone) meets that product
only through a pack built from k of its training photos; the pack is scored on the 0.3.0
run's test split (clean, and re-rendered as listings: the shift test) beside the full
fine-tune (0.3.0, which trained on every photo of the product). Steps, from the repo root:

    python training/pack_study.py manifests          # runs/loo/without-{ivory,bone}.csv
    wildvision train --config training/configs/without-ivory.yaml   # (and without-bone)
    wildvision export runs/without-ivory --formats fp32
    python training/pack_study.py embed ivory runs/without-ivory/model.onnx
    python training/pack_study.py reference ivory exported_models/wildvision-lite0.onnx
    python training/pack_study.py measure ivory      # -> runs/loo/ivory-results.json
    python training/pack_study.py table ivory bone   # -> the tables in PACK_RESULTS.md

The bank of negatives is embedded from the train split only, so the validation split stays
clean for choosing the head's regularisation (``--c``) and the test split is never used for
any choice. Each k is drawn several times (seeded) from the train split's product photos.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

from wildvision import Classifier
from wildvision.evaluation.shift import render_shifted
from wildvision.imaging import load_image
from wildvision.metrics import recall_at_false_flag_rate, roc_auc
from wildvision.pack_file import logistic_scores
from wildvision.packs.build import embed_views
from wildvision.packs.head import DEFAULT_C, fit_head
from wildvision.packs.negative_bank import balanced_choice

SPLITS_CSV = Path("runs/broad-graphics-lite0/splits.csv")  # the 0.3.0 run's split
OUT = Path("runs/loo")
KS = (5, 10, 20, 50, 100, 300)
DRAWS = 5
BANK_SIZE = 4096
ORDINARY = "other"


def read_split_rows(path: Path = SPLITS_CSV) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def cmd_manifests(_: argparse.Namespace) -> None:
    rows = read_split_rows()
    OUT.mkdir(parents=True, exist_ok=True)
    for product in ("ivory", "bone"):
        kept = [row for row in rows if row["label"] != product]
        with open(OUT / f"without-{product}.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(kept)
        print(f"{OUT}/without-{product}.csv: {len(kept)} photos ({len(rows) - len(kept)} left out)")


def _embed_paths(classifier: Classifier, paths: list[str], shifted: bool = False) -> np.ndarray:
    rows = []
    for start in range(0, len(paths), 16):
        chunk = paths[start : start + 16]
        if shifted:
            images = [render_shifted(load_image(p), start + i) for i, p in enumerate(chunk)]
        else:
            images = chunk
        rows.append(classifier.embed(images))
    return np.concatenate(rows)


def cmd_embed(args: argparse.Namespace) -> None:
    """Embed, with the backbone that never saw the product: every view of the train split's
    product photos, a bank from the train split's other photos, and the val and test
    splits (test also shifted)."""
    started = time.perf_counter()
    classifier = Classifier(args.model)
    rows = read_split_rows()
    pool = [r["path"] for r in rows if r["split"] == "train" and r["label"] == args.product]
    others = [r for r in rows if r["split"] == "train" and r["label"] != args.product]
    chosen = balanced_choice([r["source"] + "/" + r["label"] for r in others], BANK_SIZE, seed=0)
    bank_rows = [others[i] for i in chosen]
    views = embed_views(classifier, pool)
    assert not views.skipped, views.skipped
    result = {
        "pool": views.embeddings,
        "pool_groups": views.groups,
        "pool_original": views.original,
        "bank": _embed_paths(classifier, [r["path"] for r in bank_rows]),
        "bank_labels": np.array([r["label"] for r in bank_rows]),
    }
    for split in ("val", "test"):
        members = [r for r in rows if r["split"] == split]
        result[f"{split}_labels"] = np.array([r["label"] for r in members])
        result[f"{split}_clean"] = _embed_paths(classifier, [r["path"] for r in members])
        print(f"{split}: {len(members)} photos embedded ({time.perf_counter() - started:.0f} s)")
    test = [r["path"] for r in rows if r["split"] == "test"]
    result["test_shift"] = _embed_paths(classifier, test, shifted=True)
    np.savez(OUT / f"{args.product}-embeddings.npz", **result)
    print(
        f"embedded in {time.perf_counter() - started:.0f} s -> {OUT}/{args.product}-embeddings.npz"
    )


def cmd_reference(args: argparse.Namespace) -> None:
    """The full fine-tune's probability of the product on the test split, clean and shifted."""
    classifier = Classifier(args.model)
    test = [r["path"] for r in read_split_rows() if r["split"] == "test"]
    clean = [p.scores[args.product] for p in classifier.predict_batch(test)]
    shifted_photos = (render_shifted(load_image(p), i) for i, p in enumerate(test))
    shifted = [p.scores[args.product] for p in classifier.predict_batch(shifted_photos)]
    assert len(clean) == len(shifted) == len(test)
    thresholds = classifier.spec.thresholds.get(args.product)  # none for a look-alike (bone)
    own = {"thresholds": [thresholds.review, thresholds.block]} if thresholds else {}
    reference = {"clean": np.array(clean), "shift": np.array(shifted), **own}
    np.savez(OUT / f"{args.product}-reference.npz", **reference)
    print(f"reference scores -> {OUT}/{args.product}-reference.npz")


def figures(scores: np.ndarray, labels: np.ndarray, product: str, review=None, block=None) -> dict:
    """AUROC (product against every other photo), recall at 1% and 0.1% of ordinary photos
    flagged, and, given the pack's thresholds, what they flag and block."""
    positive = labels == product
    ordinary = scores[labels == ORDINARY]
    lookalikes = scores[~positive & (labels != ORDINARY)]  # bone, ceramic (or ivory for bone)
    result = {
        "auroc": roc_auc(positive, scores),
        "recall@1%": recall_at_false_flag_rate(scores[positive], ordinary, 0.01),
        "recall@0.1%": recall_at_false_flag_rate(scores[positive], ordinary, 0.001),
    }
    if review is not None:
        result |= {
            "flagged": float((scores[positive] >= review).mean()),
            "blocked": float((scores[positive] >= block).mean()),
            "ordinary_flagged": float((ordinary >= review).mean()),
            "ordinary_blocked": float((ordinary >= block).mean()),
            "lookalikes_flagged": float((lookalikes >= review).mean()),
        }
    return result


def _build(data, photos: np.ndarray, c: float, seed: int):
    rows = np.isin(data["pool_groups"], photos)
    return fit_head(
        data["pool"][rows],
        data["pool_groups"][rows],
        data["bank"],
        positive_original=data["pool_original"][rows],
        negative_ordinary=data["bank_labels"] == ORDINARY,  # look-alikes teach, not count
        c=c,
        seed=seed,
    )


def cmd_measure(args: argparse.Namespace) -> None:
    data = dict(np.load(OUT / f"{args.product}-embeddings.npz"))
    reference = np.load(OUT / f"{args.product}-reference.npz")
    photos = np.unique(data["pool_groups"])
    own = [float(t) for t in reference["thresholds"]] if "thresholds" in reference else []
    results = {
        "product": args.product,
        "pool_photos": int(len(photos)),
        "bank": int(len(data["bank"])),
        "full": {
            c: figures(reference[c], data["test_labels"], args.product, *own)
            for c in ("clean", "shift")
        },
        "c": args.c,
        "packs": [],
    }
    for k in [k for k in KS if k < len(photos)] + [len(photos)]:
        for draw in range(DRAWS if k < len(photos) else 1):
            rng = np.random.default_rng(1000 * k + draw)
            chosen = rng.choice(photos, size=k, replace=False)
            started = time.perf_counter()
            head = _build(data, chosen, args.c, seed=draw)
            seconds = time.perf_counter() - started
            entry = {
                "k": k,
                "draw": draw,
                "fit_seconds": round(seconds, 2),
                "thresholds": [head.thresholds.review, head.thresholds.block],
                "cross_validation": head.cross_validation,
            }
            for condition, key in (
                ("val", "val_clean"),
                ("clean", "test_clean"),
                ("shift", "test_shift"),
            ):
                labels = data["val_labels" if condition == "val" else "test_labels"]
                entry[condition] = figures(
                    logistic_scores(data[key], head.weights, head.bias),
                    labels,
                    args.product,
                    head.thresholds.review,
                    head.thresholds.block,
                )
            results["packs"].append(entry)
            print(
                f"k={k} draw {draw}: clean AUROC {entry['clean']['auroc']:.4f} shift "
                f"{entry['shift']['auroc']:.4f} (fit {seconds:.1f} s)",
                flush=True,
            )
    name = OUT / f"{args.product}-results{'' if args.c == DEFAULT_C else f'-c{args.c:g}'}.json"
    name.write_text(json.dumps(results, indent=1))
    print(f"-> {name}")


def _mean_sd(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    return f"{np.mean(values):.3f}" + (f" ± {np.std(values):.3f}" if len(values) > 1 else "")


HEADER = (
    "| photos k | draws | AUROC clean | AUROC shift | recall @1% FF clean "
    "| recall @1% FF shift | product flagged / blocked at the pack's thresholds, clean "
    "| the same, shift | ordinary flagged / blocked, clean | look-alikes flagged | fit s |"
)


def _get(figures_by: dict, condition: str, key: str) -> str:
    value = figures_by[condition].get(key)
    return "—" if value is None else f"{value:.3f}"


def _column(runs: list[dict], condition: str, key: str) -> str:
    return _mean_sd([run[condition][key] for run in runs])


def cmd_table(args: argparse.Namespace) -> None:
    for product in args.products:
        results = json.loads((OUT / f"{product}-results.json").read_text())
        full = results["full"]
        pool, bank = results["pool_photos"], results["bank"]
        print(f"\n### {product} (pool {pool} train photos, bank {bank})\n")
        print(HEADER)
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for k in sorted({p["k"] for p in results["packs"]}):
            runs = [p for p in results["packs"] if p["k"] == k]
            cells = [
                _column(runs, "clean", "auroc"),
                _column(runs, "shift", "auroc"),
                _column(runs, "clean", "recall@1%"),
                _column(runs, "shift", "recall@1%"),
                f"{_column(runs, 'clean', 'flagged')} / {_column(runs, 'clean', 'blocked')}",
                f"{_column(runs, 'shift', 'flagged')} / {_column(runs, 'shift', 'blocked')}",
                f"{_column(runs, 'clean', 'ordinary_flagged')} / "
                f"{_column(runs, 'clean', 'ordinary_blocked')}",
                _column(runs, "clean", "lookalikes_flagged"),
                _mean_sd([run["fit_seconds"] for run in runs]),
            ]
            print(f"| {k} | {len(runs)} | " + " | ".join(cells) + " |")
        reference = [full[c][key] for key in ("auroc", "recall@1%") for c in ("clean", "shift")]
        a_clean, a_shift, r_clean, r_shift = (f"{v:.3f}" for v in reference)
        f = {c: full[c] for c in ("clean", "shift")}
        own = [
            f"{_get(f, 'clean', 'flagged')} / {_get(f, 'clean', 'blocked')}",
            f"{_get(f, 'shift', 'flagged')} / {_get(f, 'shift', 'blocked')}",
            f"{_get(f, 'clean', 'ordinary_flagged')} / {_get(f, 'clean', 'ordinary_blocked')}",
            _get(f, "clean", "lookalikes_flagged"),
        ]
        print(
            f"| full fine-tune (0.3.0) | 1 | {a_clean} | {a_shift} | {r_clean} | {r_shift} | "
            + " | ".join(own)
            + " | |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("manifests").set_defaults(func=cmd_manifests)
    for name, func in (("embed", cmd_embed), ("reference", cmd_reference)):
        p = verbs.add_parser(name)
        p.add_argument("product")
        p.add_argument("model")
        p.set_defaults(func=func)
    p = verbs.add_parser("measure")
    p.add_argument("product")
    p.add_argument("--c", type=float, default=DEFAULT_C)
    p.set_defaults(func=cmd_measure)
    p = verbs.add_parser("table")
    p.add_argument("products", nargs="+")
    p.set_defaults(func=cmd_table)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
