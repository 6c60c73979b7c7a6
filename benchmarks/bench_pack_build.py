"""How long does `pack build` take, and where does the time go? Side by side in one run:
building a pack from k photos (decode, five views, embed, fit with cross-validation) for
several k, against the cheapest fine-tune that learns the same photos (one epoch of
``wildvision train`` on them plus as many ordinary photos, from ImageNet weights), on the
same CPU. Writes ``benchmarks/PACK_BUILD_RESULTS.md``.

    python benchmarks/bench_pack_build.py [--ks 5 20 50] [--no-train]

Photos: bone carvings and ordinary photos from ../shared/datasets when present (bone is a
label of the shipped model, so the pack is named ``carved_bone``), else crops of
scikit-image's sample photos.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "datasets"


def photos(count: int) -> tuple[list[Path], list[Path], str]:
    """``count`` product photos, ``count`` ordinary photos, and where they come from."""
    manifest = SHARED / "museum-ivory" / "manifest.csv"
    if manifest.is_file():
        with open(manifest, newline="") as handle:
            rows = list(csv.DictReader(handle))
        bone = [SHARED / "museum-ivory" / r["path"] for r in rows if r["label"] == "bone"]
        with open(SHARED / "everyday" / "manifest.csv", newline="") as handle:
            everyday = [SHARED / "everyday" / r["path"] for r in csv.DictReader(handle)]
        return bone[:count], everyday[::50][:count], "shared datasets (bone, everyday)"
    import skimage
    from PIL import Image

    folder = Path(tempfile.mkdtemp())
    data = Path(skimage.__file__).parent / "data"
    made = {}
    for name in ("astronaut.png", "coffee.png"):
        image = Image.open(data / name).convert("RGB")
        made[name] = []
        for i in range(count):
            path = folder / f"{name}-{i}.jpg"
            w, h = image.size
            image.crop((i % 7 * 5, i % 5 * 5, w - i % 3 * 9, h - i % 4 * 9)).save(path)
            made[name].append(path)
    return made["astronaut.png"], made["coffee.png"], "scikit-image crops"


def time_pack(k: int, product: list[Path]) -> dict:
    from wildvision import Classifier
    from wildvision.packs.build import build_pack, embed_views
    from wildvision.packs.head import fit_head
    from wildvision.packs.negative_bank import bank_path_for, load_negative_bank

    classifier = Classifier()
    started = time.perf_counter()
    pack = build_pack(product[:k], "carved_bone", model=classifier)
    total = time.perf_counter() - started
    started = time.perf_counter()
    embedded = embed_views(classifier, product[:k])
    embed = time.perf_counter() - started
    bank = load_negative_bank(bank_path_for(classifier.model_path))
    started = time.perf_counter()
    fit_head(embedded.embeddings, embedded.groups, bank.embeddings,
             positive_original=embedded.original)
    fit = time.perf_counter() - started
    return {"k": k, "total_s": total, "embed_s": embed, "fit_s": fit,
            "auroc_cv": pack.cross_validation["auroc"]}


def time_train(product: list[Path], ordinary: list[Path]) -> float:
    """One epoch of `wildvision train` on the product and ordinary photos (fine-tune)."""
    folder = Path(tempfile.mkdtemp())
    for label, paths in (("carved_bone", product), ("other", ordinary)):
        (folder / label).mkdir()
        for i, path in enumerate(paths):
            os.symlink(path, folder / label / f"{i:03d}{path.suffix}")
    command = ["wildvision", "train", "--data", str(folder), "--epochs", "1",
               "--output-dir", str(folder / "runs"), "--name", "bench", "head_epochs=0",
               "calibrate=false", "guard=false", "num_workers=2"]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ks", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--no-train", action="store_true", help="skip the fine-tune")
    args = parser.parse_args()
    product, ordinary, origin = photos(max(args.ks))
    rows = [time_pack(k, product) for k in args.ks]
    for row in rows:
        print(row, flush=True)
    train_s = None if args.no_train else time_train(product, ordinary)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        "# Pack build speed",
        "",
        f"`python benchmarks/bench_pack_build.py` on {os.cpu_count()} CPU cores, "
        f"{dt.date.today()}, photos: {origin}, the shipped model (fp32) and its bank of "
        "4,096 negatives. Times are wall-clock seconds of one run each.",
        "",
        "| photos k | pack build, total s | of it: embed 5 views s | fit + 5-fold CV s | CV AUROC |",
        "|---|---|---|---|---|",
        *(f"| {r['k']} | {r['total_s']:.1f} | {r['embed_s']:.1f} | {r['fit_s']:.1f} | "
          f"{r['auroc_cv']:.3f} |" for r in rows),
        "",
        f"Peak memory of the benchmark process (all pack builds): {peak_mb:.0f} MB.",
    ]
    if train_s is not None:
        k = max(args.ks)
        lines += ["", f"The alternative, in the same run: one epoch of `wildvision train` (from "
                  f"ImageNet weights, no calibration) on the same {k} photos and {k} ordinary "
                  f"photos took {train_s:.0f} s — and one epoch on {2 * k} photos does not "
                  "make a usable model; the shipped model's schedule is 5 epochs of 4,160 draws."]
    out = REPO / "benchmarks" / "PACK_BUILD_RESULTS.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
