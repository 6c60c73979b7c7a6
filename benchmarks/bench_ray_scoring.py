"""Batch scoring on Ray Data (``wildvision.engines.ray_scoring``) against ``predict_batch`` in
one process, on the same listing-sized photos and the same machine, in one run.

What it answers: how much a Ray job costs over plain ``predict_batch`` where both fit (one
machine), so a platform knows what it pays for the ability to spread over many. Writes
``benchmarks/RAY_RESULTS.md``.

    python benchmarks/bench_ray_scoring.py [--photos DIR] [--count 1024] [--side 1200]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from bench_inference import DEFAULT_PHOTOS, REPO, _cores, _cpu_name, listing_sized_photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--count", type=int, default=1024)
    parser.add_argument("--side", type=int, default=1200)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks" / "RAY_RESULTS.md")
    args = parser.parse_args()

    import ray
    import ray.data

    import wildvision
    from wildvision.engines.ray_scoring import score_dataset

    cpus = _cores()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    results: dict[str, tuple[float, float]] = {}  # images/s, seconds for 8 photos
    with tempfile.TemporaryDirectory() as tmp:
        paths = listing_sized_photos(args.photos, args.count, args.side, Path(tmp))
        classifier = wildvision.Classifier()

        def in_process(paths: list[str]) -> int:
            return len(list(classifier.predict_batch(paths, batch_size=args.batch_size)))

        def ray_paths(concurrency: int, num_cpus: float):
            def run(paths: list[str]) -> int:
                ds = ray.data.from_items([{"path": p} for p in paths])
                scored = score_dataset(
                    ds, batch_size=args.batch_size, concurrency=concurrency, num_cpus=num_cpus
                )
                return len(scored.take_all())

            return run

        def ray_bytes(concurrency: int, num_cpus: float):
            def run(paths: list[str]) -> int:
                ds = ray.data.read_binary_files(paths, include_paths=True)
                scored = score_dataset(
                    ds,
                    bytes_column="bytes",
                    batch_size=args.batch_size,
                    concurrency=concurrency,
                    num_cpus=num_cpus,
                )
                return len(scored.take_all())

            return run

        half = cpus / 2
        engines = {
            "predict_batch, one process": in_process,
            f"Ray, paths, 1 actor x {cpus} CPUs": ray_paths(1, cpus),
            f"Ray, paths, 2 actors x {half:g} CPUs": ray_paths(2, half),
            f"Ray, read_binary_files, 2 actors x {half / 2:g} CPUs": ray_bytes(2, half / 2),
        }
        for name, run in engines.items():
            started = time.perf_counter()
            assert run(paths[:8]) == 8  # a job of 8 photos: mostly the job's start-up
            small = time.perf_counter() - started
            best = float("inf")
            for _ in range(2):  # best of two: a shared machine
                started = time.perf_counter()
                assert run(paths) == len(paths)
                best = min(best, time.perf_counter() - started)
            results[name] = (len(paths) / best, small)
            print(name, results[name])
    ray.shutdown()
    write_results(args.output, results, len(paths), args)


def write_results(path: Path, results: dict, count: int, args) -> None:
    import ray

    baseline = results["predict_batch, one process"][0]
    lines = [
        "# Batch scoring on Ray Data against predict_batch",
        "",
        f"Made by `python benchmarks/bench_ray_scoring.py` on {time.strftime('%Y-%m-%d')}: "
        f"{count} JPEGs (the shared datasets upscaled to {args.side} px long side, JPEG q85), "
        f"the shipped int8 model, batch size {args.batch_size}, end to end from file to "
        "results, best of two jobs. Every Ray job starts its own actors, each loading the "
        "model; the last column is the time of a job of 8 photos, mostly that start-up.",
        "",
        f"- Machine: {platform.machine()}, {_cpu_name()}, {_cores()} cores available; "
        f"Ray {ray.__version__} in local mode.",
        "",
        "| engine | images/s | × predict_batch | s for 8 photos |",
        "|---|---|---|---|",
    ]
    for name, (speed, small) in results.items():
        lines.append(f"| {name} | {speed:.1f} | {speed / baseline:.2f} | {small:.2f} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
