"""What trimming uniform margins costs at inference (model 0.4.0's ``trim_margins: 12``):
preprocessing with and without the trim, beside a whole ``Classifier.predict``, in one run.

    python benchmarks/bench_trim.py [--photos DIR] [--count 128] [--side 1200]

Two kinds of photo: the shared datasets' photos upscaled to ``--side`` px (the trim finds no
margin and keeps the photo), and the same photos at 35% of the width of a white card of
that size (the trim cuts the card's margins, then the resize has less to do). Each figure is
the best of three passes over the decoded images, in milliseconds a photo, on this machine.
Writes ``benchmarks/TRIM_RESULTS.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time
from pathlib import Path

from PIL import Image, ImageOps

from wildvision import Classifier
from wildvision._atomic import atomic_write_text
from wildvision.preprocess import preprocess

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PHOTOS = REPO.parent / "shared" / "datasets" / "museum-ivory"
RESULTS = REPO / "benchmarks" / "TRIM_RESULTS.md"


def load_photos(folder: Path, count: int, side: int) -> dict[str, list[Image.Image]]:
    paths = sorted(folder.rglob("*.jpg"))[:count]
    if not paths:
        raise SystemExit(f"no .jpg photos under {folder}; pass --photos DIR.")
    full, carded = [], []
    for path in paths:
        photo = ImageOps.contain(Image.open(path).convert("RGB"), (side, side), Image.BICUBIC)
        full.append(photo)
        card = Image.new("RGB", (side, side), (255, 255, 255))
        small = ImageOps.contain(photo, (int(side * 0.35), int(side * 0.35)), Image.BICUBIC)
        card.paste(small, ((side - small.width) // 2, (side - small.height) // 3))
        carded.append(card)
    return {"photo filling the frame": full, "photo at 35% of a white card": carded}


def best_ms(run, images: list[Image.Image], passes: int = 3) -> float:
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for image in images:
            run(image)
        best = min(best, time.perf_counter() - start)
    return 1000 * best / len(images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--count", type=int, default=128)
    parser.add_argument("--side", type=int, default=1200)
    args = parser.parse_args()
    classifier = Classifier()
    trimmed = classifier.spec
    if trimmed.trim_margins is None:
        raise SystemExit("the shipped model does not trim margins; nothing to compare.")
    untrimmed = dataclasses.replace(trimmed, trim_margins=None)
    rows = []
    for kind, images in load_photos(args.photos, args.count, args.side).items():
        with_trim = best_ms(lambda image: preprocess(image, trimmed), images)
        without = best_ms(lambda image: preprocess(image, untrimmed), images)
        predict = best_ms(classifier.predict, images)
        rows.append(
            f"| {kind} | {without:.2f} | {with_trim:.2f} | {with_trim - without:+.2f} | "
            f"{predict:.2f} |"
        )
    lines = [
        "# Trimming uniform margins: what it costs at inference",
        "",
        f"`python benchmarks/bench_trim.py --count {args.count} --side {args.side}` on "
        f"{platform.machine()} ({platform.processor() or 'cpu'}), model "
        f"{trimmed.version} (`trim_margins: {trimmed.trim_margins}`); decoded images of "
        f"{args.side} px, so decoding is not counted. Milliseconds a photo, best of 3 passes.",
        "",
        "| photos | preprocess, no trim | preprocess, trim | trim costs | whole `predict` "
        "(trim, model, guard) |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "The gain the trim buys (ivory caught on cards and canvases) is in "
        "`benchmarks/REAL_POSTS_RESULTS.md`.",
    ]
    atomic_write_text(RESULTS, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
