"""Compare models on real social posts and on ivory: the table of
benchmarks/REAL_POSTS_RESULTS.md (issue "Real posts, round 2").

    python training/compare_real_posts.py NAME=MODEL.onnx ... \
        [--test training/splits/test.csv] [--posts ../shared/datasets/social-dev] \
        [--output training/results/real_posts.json] [--eval-dir runs/eval-real-posts]

For each model:

- ``wildvision evaluate`` on the committed test split (museum ivory, bone, ceramic, everyday
  and broad photos; clean, shift and card tests, and the robustness table), written under
  ``--eval-dir/NAME`` (metrics.json, report.html, robustness.md/.png);
- the real posts (``social-dev``: ordinary posts of accounts around ivory sellers, evaluation
  only, never trained or calibrated on): the share the model's own decisions flag (review or
  block) and block, and its ivory score at the 99th and 99.9th percentile of the posts;
- ivory caught when 1% of the real posts may be flagged (recall at the posts' 99th-percentile
  score) on the clean, shift and card renderings of the test split's ivory;
- ivory caught at the model's own operating point on the aged, yellowed third of the ivory
  test photos (by mean b* of their centre), which material look-alikes could cost.

Results are kept in the JSON file by name (resumable: a name already there is skipped).
Only aggregate figures are written: no post, path or score of social-dev.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from wildvision import Classifier
from wildvision._atomic import atomic_write_text
from wildvision.evaluation.effects import render_card_test
from wildvision.evaluation.evaluate import evaluate
from wildvision.evaluation.shift import render_shifted
from wildvision.imaging import load_image

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "training" / "results" / "real_posts.json"
TEST = REPO / "training" / "splits" / "test.csv"
POSTS = REPO.parent / "shared" / "datasets" / "social-dev"


def read_manifest(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["file"] = path.parent / row["path"]
    return rows


def yellowness(photo: Path) -> float:
    """Mean b* (yellow-blue) of the photo's centre half: aged ivory is yellow-brown."""
    image = load_image(photo).convert("LAB")
    w, h = image.size
    centre = np.asarray(image.crop((w // 4, h // 4, 3 * w // 4, 3 * h // 4)), dtype=np.float32)
    return float(centre[..., 2].mean() - 128)


def ivory_scores(classifier: Classifier, photos: list[Path], condition: str) -> np.ndarray:
    def render(index: int, photo: Path) -> np.ndarray | Path:
        if condition == "clean":
            return photo
        image = load_image(photo)
        out = (
            render_shifted(image, index) if condition == "shift" else render_card_test(image, index)
        )
        return np.asarray(out)

    inputs = (render(i, p) for i, p in enumerate(photos))
    return np.array([p.scores["ivory"] for p in classifier.predict_batch(inputs)])


def measure(name: str, model: Path, test: Path, posts: Path, eval_dir: Path) -> dict:
    classifier = Classifier(model)
    summary = evaluate(classifier, test, robustness=True, output_dir=eval_dir / name)
    row: dict = {"model": str(model), "version": classifier.spec.version}
    for condition, metrics in summary.items():
        recalls = metrics.get("ivory_recall_at_false_flags") or {}
        row[condition] = {
            "ivory_auroc": metrics["per_class"]["ivory"]["auroc"],
            "ivory_recall_at_1pct_test_other": recalls.get("0.01"),
            "ivory_flagged": metrics["caught"]["ivory"]["flagged"],
            "ivory_blocked": metrics["caught"]["ivory"]["blocked"],
            "other_flagged": metrics["other_false_flag_rate"],
            "other_blocked": metrics["other_block_rate"],
        }
    row["robustness"] = summary["clean"]["robustness"]

    post_files = [r["file"] for r in read_manifest(posts / "manifest.csv")]
    predictions = list(classifier.predict_batch(post_files))
    decided = [p.decision for p in predictions if p.ok]
    post_scores = np.array([p.scores["ivory"] for p in predictions if p.ok])
    cut_1, cut_01 = np.quantile(post_scores, [0.99, 0.999], method="higher")
    row["posts"] = {
        "photos": len(decided),
        "errors": len(predictions) - len(decided),
        "flagged": float(np.mean([d != "allow" for d in decided])),
        "blocked": float(np.mean([d == "block" for d in decided])),
        "ivory_score_p99": float(cut_1),
        "ivory_score_p99.9": float(cut_01),
    }
    ivory = [r["file"] for r in read_manifest(test) if r["label"] == "ivory"]
    for condition in ("clean", "shift", "card"):
        scores = ivory_scores(classifier, ivory, condition)
        row[condition]["ivory_recall_at_1pct_posts"] = float(np.mean(scores > cut_1))
        row[condition]["ivory_recall_at_0.1pct_posts"] = float(np.mean(scores > cut_01))
    yellow = sorted(ivory, key=yellowness)[-len(ivory) // 3 :]
    aged = list(classifier.predict_batch(yellow))
    row["aged_ivory"] = {
        "photos": len(aged),
        "flagged": float(np.mean([p.decision != "allow" for p in aged])),
        "blocked": float(np.mean([p.decision == "block" for p in aged])),
    }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="NAME=MODEL.onnx")
    parser.add_argument("--test", type=Path, default=TEST)
    parser.add_argument("--posts", type=Path, default=POSTS)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--eval-dir", type=Path, default=REPO / "runs" / "eval-real-posts")
    args = parser.parse_args()
    results = json.loads(args.output.read_text()) if args.output.is_file() else {}
    for item in args.models:
        name, _, model = item.partition("=")
        if name in results:
            print(f"{name}: already measured")
            continue
        results[name] = measure(name, Path(model), args.test, args.posts, args.eval_dir)
        atomic_write_text(args.output, json.dumps(results, indent=2))
        print(table({name: results[name]}), flush=True)
    print(table(results))


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def table(results: dict) -> str:
    """The markdown comparison table."""
    head = (
        "| model | real posts flagged / blocked | ivory AUROC clean / shift / card | "
        "ivory caught at 1% of posts flagged, clean / shift / card | "
        "ivory caught (own thresholds) clean / shift / card | aged ivory caught | "
        "test ordinary flagged / blocked |\n|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for name, r in results.items():
        conditions = ("clean", "shift", "card")
        lines.append(
            f"| {name} | {_pct(r['posts']['flagged'])} / {_pct(r['posts']['blocked'])} | "
            + " / ".join(f"{r[c]['ivory_auroc']:.4f}" for c in conditions)
            + " | "
            + " / ".join(_pct(r[c]["ivory_recall_at_1pct_posts"]) for c in conditions)
            + " | "
            + " / ".join(_pct(r[c]["ivory_flagged"]) for c in conditions)
            + f" | {_pct(r['aged_ivory']['flagged'])} | "
            + f"{_pct(r['clean']['other_flagged'])} / {_pct(r['clean']['other_blocked'])} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
