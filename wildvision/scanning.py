"""``scan``: classify every image of a source and stream one result row per image to a file.

Resumable: re-running the same scan skips the rows already in the output, and a kill at any
moment loses at most the rows in flight (see ``wildvision.results``). Memory stays bounded by
the batch size plus the set of row keys already written (about 85 bytes a row).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._extras import install_hint
from .classifier import Classifier
from .errors import ImageError
from .hashes import DEFAULT_MAX_DISTANCE, HashList, HashMatch, HashMatcher
from .prediction import ROW_COLUMNS, Prediction
from .results import ResultsFile, row_key
from .sources import ScanItem, iter_source

COLUMNS = ("listing_id", "path", *ROW_COLUMNS)
HASH_COLUMNS = ("hash_match", "hash_label", "hash_distance")


@dataclass
class ScanSummary:
    """What one run of ``scan`` did.

    Attributes:
        total: items in the source.
        skipped: items already in the output from an earlier run.
        duplicates: items whose (listing id, path) came earlier in this run (written once).
        scanned: rows this run wrote.
        decisions: rows per decision (``block``, ``review``, ``allow``, ``error``).
        errors: rows for images that could not be read.
        hash_matches: rows that matched the hash list (None without one).
        seconds: wall time of the run.
    """

    output: str
    total: int = 0
    skipped: int = 0
    duplicates: int = 0
    scanned: int = 0
    decisions: Counter = field(default_factory=Counter)
    errors: int = 0
    hash_matches: int | None = None
    seconds: float = 0.0

    @property
    def images_per_second(self) -> float:
        return self.scanned / self.seconds if self.seconds > 0 else 0.0

    def report(self) -> str:
        """A few lines for people: counts per decision, errors, matches and speed."""
        decisions = ", ".join(f"{k} {v}" for k, v in sorted(self.decisions.items())) or "none"
        lines = [
            f"scanned {self.scanned} images in {self.seconds:.1f} s "
            f"({self.images_per_second:.1f} images/s) -> {self.output}",
            f"decisions: {decisions}; errors {self.errors}",
            f"skipped {self.skipped} already done, {self.duplicates} duplicates; "
            f"{self.total} in the source",
        ]
        if self.hash_matches is not None:
            lines.append(f"known-image matches: {self.hash_matches}")
        return "\n".join(lines)


def scan(
    source: str | os.PathLike,
    output: str | os.PathLike,
    model: str | os.PathLike | Classifier | None = None,
    *,
    batch_size: int = 32,
    hashes: str | os.PathLike | HashList | None = None,
    max_distance: int = DEFAULT_MAX_DISTANCE,
    progress: bool = True,
) -> ScanSummary:
    """Classify every image of ``source`` and append one row per image to ``output``.

    Args:
        source: a folder, a ``.txt`` file of paths, or a ``.csv``/``.jsonl`` of listings
            (see ``wildvision.sources.iter_source``).
        output: ``.jsonl`` or ``.csv``; rows already there are skipped (resume).
        model: a ``Classifier``, or a model path or shipped name (None: the default).
        batch_size: images per inference batch, and rows per durable append.
        hashes: a hash list (or its path): rows also say whether the photo matches a known
            image, its label and Hamming distance.
        max_distance: largest distance that counts as a hash match.
        progress: show a progress bar (needs tqdm) after counting what is left to do.

    Raises:
        ScanError: bad source or output, or output columns from a scan with other options.
        HashListError: bad hash list. ModelError: the model cannot be loaded.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    iter_source(source)  # a bad source, output or hash list fails before the model loads
    if hashes is not None and not isinstance(hashes, HashList):
        hashes = HashList.load(hashes)
    matcher = HashMatcher(hashes, max_distance) if hashes is not None else None
    results = ResultsFile(output, COLUMNS + (HASH_COLUMNS if matcher else ()))
    classifier = model if isinstance(model, Classifier) else Classifier(model)
    summary = ScanSummary(str(output), hash_matches=0 if matcher else None)
    start = time.perf_counter()
    with results:
        bar = _progress_bar(source, results.done) if progress else None
        try:
            _run(source, classifier, matcher, results, summary, batch_size, bar)
        finally:
            if bar is not None:
                bar.close()
            summary.seconds = time.perf_counter() - start
    return summary


def _run(
    source: str | os.PathLike,
    classifier: Classifier,
    matcher: HashMatcher | None,
    results: ResultsFile,
    summary: ScanSummary,
    batch_size: int,
    bar: Any,
) -> None:
    """The streaming loop: source -> skip done -> predict (and hash) -> append per batch."""
    done_before, seen = results.done, set()
    pending: deque[tuple[ScanItem, Future | None]] = deque()
    with ThreadPoolExecutor(1, thread_name_prefix="wv-hash") as pool:

        def todo() -> Iterator[str]:
            for item in iter_source(source):
                summary.total += 1
                key = row_key(item.listing_id, item.path)
                if key in done_before or key in seen:
                    summary.skipped += key in done_before
                    summary.duplicates += key not in done_before
                    if bar is not None and key not in done_before:
                        bar.update(1)  # counted as to-do by the progress bar's first pass
                    continue
                seen.add(key)
                job = pool.submit(_match, matcher, item.path) if matcher else None
                pending.append((item, job))
                yield item.path

        batch: list[dict[str, Any]] = []
        try:
            for prediction in classifier.predict_batch(todo(), batch_size=batch_size):
                item, job = pending.popleft()
                batch.append(_row(item, prediction, classifier, job, summary))
                if len(batch) >= batch_size:
                    _flush(results, batch, bar)
        finally:
            _flush(results, batch, bar)  # rows already complete survive an error or Ctrl-C


def _flush(results: ResultsFile, batch: list[dict[str, Any]], bar: Any) -> None:
    results.append(batch)
    if bar is not None:
        bar.update(len(batch))
    batch.clear()


def _row(
    item: ScanItem,
    prediction: Prediction,
    classifier: Classifier,
    job: Future | None,
    summary: ScanSummary,
) -> dict[str, Any]:
    error = prediction.error
    row: dict[str, Any] = {
        "listing_id": item.listing_id,
        "path": item.path,
        **prediction.to_row(classifier.spec.version),
    }
    summary.scanned += 1
    summary.decisions[prediction.decision] += 1
    summary.errors += error is not None
    if job is not None:
        match = job.result()
        row["hash_match"] = None if error else match is not None
        row["hash_label"] = match.label if match else None
        row["hash_distance"] = match.distance if match else None
        summary.hash_matches += match is not None  # type: ignore[operator]
    return row


def _match(matcher: HashMatcher, path: str) -> HashMatch | None:
    try:
        return matcher.match_image(path)
    except ImageError:
        return None  # the classifier reports the same image's error in the row


def _progress_bar(source: str | os.PathLike, done: set[bytes]) -> Any:
    """A tqdm bar over the items not yet in the output (counted in one streaming pass)."""
    try:
        from tqdm import tqdm
    except ImportError:
        print(
            f"wildvision scan: no progress bar (install it with {install_hint('scan')})",
            file=sys.stderr,
        )
        return None
    todo = sum(row_key(i.listing_id, i.path) not in done for i in iter_source(source))
    return tqdm(total=todo, unit="img", desc=f"scan {Path(source).name}", smoothing=0.1)
