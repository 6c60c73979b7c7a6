"""How robust known-image matching is: altered copies that still match, and false matches.

Hashes a sample of real photos as the "known" list (through ``wildvision.hashes``, as
``wildvision hashes build`` does), then for each distance limit measures:

- match rate: the share of altered copies — JPEG q30, half size, 5% and 10% border crops,
  a caption over the photo, a price banner, half size + q30 — within the limit of their
  original;
- false-match rate: the share of other photos (the rest of the dataset, and ordinary objects)
  whose nearest known photo is within the limit, i.e. a false alarm against the whole list.

Writes ``benchmarks/HASH_RESULTS.md``.

    python benchmarks/bench_hash_robustness.py [--photos DIR] [--count 1000] [--seed 0]

Photos: ``../shared/datasets`` (museum-ivory as known and unknown photos, everyday as
ordinary objects) when present, else scikit-image's sample photos (few, so the figures are
rough).
"""

from __future__ import annotations

import argparse
import io
import random
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from wildvision.hashes import (
    ALGORITHM,
    DEFAULT_MAX_DISTANCE,
    HASH_BITS,
    HashEntry,
    HashList,
    HashMatcher,
    distance,
    image_hash,
)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PHOTOS = REPO.parent / "shared" / "datasets"
LIMITS = (8, 12, 16, 20, 24, 28, 32)


def jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def half(image: Image.Image) -> Image.Image:
    return image.resize((max(1, image.width // 2), max(1, image.height // 2)), Image.LANCZOS)


def border_crop(fraction: float) -> Callable[[Image.Image], Image.Image]:
    def crop(image: Image.Image) -> Image.Image:
        dx, dy = int(image.width * fraction), int(image.height * fraction)
        return image.crop((dx, dy, image.width - dx, image.height - dy))

    return crop


def caption(image: Image.Image) -> Image.Image:
    """Seller's text straight over the lower part of the photo."""
    image = image.copy()
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(10, image.height // 10))
    origin = (image.width // 20, int(image.height * 0.72))
    outline = {"stroke_width": 2, "stroke_fill": (0, 0, 0)}
    draw.text(origin, "RARE antique 450$", fill=(255, 30, 30), font=font, **outline)
    return image


def banner(image: Image.Image) -> Image.Image:
    """An opaque price banner across the bottom 15% of the photo."""
    image = image.copy()
    draw = ImageDraw.Draw(image)
    top = int(image.height * 0.85)
    draw.rectangle((0, top, image.width, image.height), fill=(250, 200, 0))
    font = ImageFont.load_default(size=max(8, (image.height - top) * 2 // 3))
    draw.text((image.width // 20, top), "SALE 120 EUR - ship worldwide", fill=(0, 0, 0), font=font)
    return image


VARIANTS: dict[str, Callable[[Image.Image], Image.Image | bytes]] = {
    "JPEG q30": lambda im: jpeg(im, 30),
    "half size (0.5x)": half,
    "half size + JPEG q30": lambda im: jpeg(half(im), 30),
    "5% border crop": border_crop(0.05),
    "10% border crop": border_crop(0.10),
    "caption over the photo": caption,
    "price banner (15% of height)": banner,
}


def photo_sets(root: Path, count: int, seed: int) -> tuple[list[Path], dict[str, list[Path]]]:
    """Known photos, and the sets of other photos to look for false matches in."""
    rng = random.Random(seed)
    museum = sorted((root / "museum-ivory" / "images").rglob("*.jpg"))
    if museum:
        rng.shuffle(museum)
        everyday = sorted((root / "everyday" / "images").rglob("*.jpg"))
        rng.shuffle(everyday)
        others = {"museum-ivory, not in the list": museum[count : 2 * count]}
        if everyday:
            others["everyday objects"] = everyday[:count]
        return museum[:count], others
    import skimage

    photos = sorted((Path(skimage.__file__).parent / "data").glob("*.[jp][pn]g"))
    return photos[::2], {"scikit-image samples, not in the list": photos[1::2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--count", type=int, default=1000, help="known photos (and per set)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks" / "HASH_RESULTS.md")
    args = parser.parse_args()

    started = time.perf_counter()
    known, others = photo_sets(args.photos, args.count, args.seed)
    hashes = [image_hash(path) for path in known]
    nearest = HashMatcher(HashList(tuple(HashEntry(h, "known") for h in hashes)), HASH_BITS)

    own: dict[str, list[int]] = {}
    for name, alter in VARIANTS.items():
        own[name] = []
        for path, original in zip(known, hashes):
            with Image.open(path) as photo:
                own[name].append(distance(original, image_hash(alter(photo.convert("RGB")))))
        print(f"{name}: median distance {median(own[name])}", flush=True)
    false: dict[str, list[int]] = {}
    for name, paths in others.items():
        false[name] = [nearest.match(image_hash(path)).distance for path in paths]
    seconds = time.perf_counter() - started
    write_results(args, known, others, own, false, seconds)
    print(f"wrote {args.output} in {seconds:.0f} s")


def median(distances: list[int]) -> int:
    return sorted(distances)[len(distances) // 2]


def rate(distances: list[int], limit: int) -> str:
    return f"{sum(d <= limit for d in distances) / len(distances):.1%}"


def write_results(args, known, others, own, false, seconds) -> None:
    lines = [
        "# Known-image hash robustness",
        "",
        f"Made by `python benchmarks/bench_hash_robustness.py` on {date.today().isoformat()} "
        f"in {seconds:.0f} s. Hash: `{ALGORITHM}` ({HASH_BITS} bits), computed through "
        "`wildvision.hashes.image_hash` exactly as `wildvision hashes build` and "
        f"`scan --hashes` do. Default limit: distance ≤ {DEFAULT_MAX_DISTANCE}.",
        "",
        f"- Known list: {len(known)} photos from `{_where(known[0], args.photos)}` "
        f"(seed {args.seed}).",
        *(
            f"- Other photos ({name}): {len(paths)} from `{_where(paths[0], args.photos)}`."
            for name, paths in others.items()
        ),
        "",
        "## Altered copies that still match their original",
        "",
        *table(own),
        "",
        "## False matches: other photos whose nearest known photo is within the limit",
        "",
        f"Each of these photos is compared with all {len(known)} known photos; the rate is the "
        "share that would be reported as a match (median: distance to the nearest one).",
        "",
        *table(false),
        "",
    ]
    args.output.write_text("\n".join(lines))


def table(distances: dict[str, list[int]]) -> list[str]:
    """Markdown rows: the share within each limit, and the median distance."""
    return [
        "| distance ≤ | " + " | ".join(str(limit) for limit in LIMITS) + " | median |",
        "|---|" + "---|" * (len(LIMITS) + 1),
        *(
            f"| {name} | " + " | ".join(rate(d, limit) for limit in LIMITS) + f" | {median(d)} |"
            for name, d in distances.items()
        ),
    ]


def _where(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root).parts[0])
    except ValueError:
        return str(path.parent)


if __name__ == "__main__":
    main()
