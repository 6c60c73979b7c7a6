"""``scan``: classify every image of a source and stream one result row per image to a file.

Resumable: re-running the same scan skips the rows already in the output (before fetching a
URL again), and a kill at any moment loses at most the rows in flight (see
``wildvision.results``). Memory stays bounded by the batch size plus the set of row keys
already written (about 85 bytes a row). Photos at ``http(s)://`` URLs are fetched
(``wildvision.fetching``) ahead of the model while it runs; a failed fetch is an error row.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from ._extras import install_hint
from ._progress import progress as progress_bar
from ._progress import stderr_is_terminal, tqdm_available
from .classifier import Classifier
from .errors import ImageError
from .fetching import FetchOptions, fetch_many
from .hashes import DEFAULT_MAX_DISTANCE, HashList, HashMatch, HashMatcher, raise_decision
from .imaging import ImageInput, describe
from .prediction import ROW_COLUMNS, SCORE_DIGITS, Prediction
from .results import ResultsFile, row_key
from .sources import ScanItem, check_not_empty, iter_source

logger = logging.getLogger(__name__)

COLUMNS = ("listing_id", "path", *ROW_COLUMNS)
#: With a hash list: whether the photo matches a known image, its label, the Hamming distance
#: and the list's name. A match raises ``decision`` to at least what the list asks for
#: (``review``, or ``block``; see ``hashes.raise_decision``).
HASH_COLUMNS = ("hash_match", "hash_label", "hash_distance", "hash_list")
#: With ``wildlife_score=True``: the probability that the photo shows any wildlife product
#: (the sum over the model's wildlife labels, or a pack's score when higher), what ``triage``
#: ranks by.
WILDLIFE_COLUMNS = ("wildlife_score",)

T = TypeVar("T")


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
        hash_list: the hash list's name and the decision a match asks for ("" without one).
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
    hash_list: str = ""
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
            lines.append(f"known-image matches: {self.hash_matches} ({self.hash_list})")
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
    fetch: FetchOptions | None = None,
    wildlife_score: bool = False,
) -> ScanSummary:
    """Classify every image of ``source`` and append one row per image to ``output``.

    Args:
        source: a folder, a ``.txt`` file of paths, or a ``.csv``/``.jsonl`` of listings
            (see ``wildvision.sources.iter_source``).
        output: ``.jsonl`` or ``.csv``; rows already there are skipped (resume).
        model: a ``Classifier``, or a model path or shipped name (None: the default).
        batch_size: images per inference batch, and rows per durable append.
        hashes: a hash list (or its path): rows also say whether the photo matches a known
            image, its label, Hamming distance and the list's name; a match raises the row's
            decision to at least the list's (``review`` or ``block``).
        max_distance: largest distance that counts as a hash match.
        progress: show a progress bar on stderr when it is a terminal (needs tqdm), after
            counting what is left to do; False never does.
        fetch: how photos at ``http(s)://`` URLs are fetched (None: ``FetchOptions()``, which
            refuses private and loopback addresses).
        wildlife_score: add the ``wildlife_score`` column (``WILDLIFE_COLUMNS``).

    Raises:
        ScanError: bad or empty source (a folder without images, a table without rows), bad
            output, or output columns from a scan with other options.
        HashListError: bad hash list. ModelError: the model cannot be loaded.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    check_not_empty(source)  # a bad source, output or hash list fails before the model loads
    if hashes is not None and not isinstance(hashes, HashList):
        hashes = HashList.load(hashes)
    matcher = HashMatcher(hashes, max_distance) if hashes is not None else None
    columns = COLUMNS + (HASH_COLUMNS if matcher else ())
    columns += WILDLIFE_COLUMNS if wildlife_score else ()
    results = ResultsFile(output, columns)
    classifier = model if isinstance(model, Classifier) else Classifier(model)
    if matcher is not None:  # photos are hashed within the classifier's decoding limits
        matcher.limits.update(max_pixels=classifier.max_pixels, max_bytes=classifier.max_bytes)
    summary = ScanSummary(str(output), hash_matches=0 if matcher else None)
    if matcher is not None:
        listed = matcher.hash_list
        summary.hash_list = f"list {listed.name!r}, each raised to at least {listed.decision}"
    start = time.perf_counter()
    with results:
        bar = _progress_bar(source, results.done) if progress else None
        try:
            todo = _todo(source, results.done, summary, bar)
            rows = _rows(todo, classifier, matcher, summary, batch_size, fetch, wildlife_score)
            _write(rows, results, batch_size, bar)
        finally:
            if bar is not None:
                bar.close()
            summary.seconds = time.perf_counter() - start
    return summary


def _todo(
    source: str | os.PathLike, done_before: set[bytes], summary: ScanSummary, bar: Any
) -> Iterator[ScanItem]:
    """The items of ``source`` not yet in the output, each (listing id, path) once."""
    seen: set[bytes] = set()
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
        yield item


def _rows(
    items: Iterable[ScanItem],
    classifier: Classifier,
    matcher: HashMatcher | None,
    summary: ScanSummary,
    batch_size: int,
    fetch: FetchOptions | None,
    wildlife_score: bool,
) -> Iterator[dict[str, Any]]:
    """One result row per item: fetch (URLs) -> predict (and hash) -> row."""
    with ThreadPoolExecutor(1, thread_name_prefix="wv-hash") as pool:
        start = (lambda image: pool.submit(_match, matcher, image)) if matcher else None
        classified = classify_items(
            classifier,
            items,
            path=lambda item: item.path,
            batch_size=batch_size,
            fetch=fetch,
            start=start,
        )
        for item, prediction, job in classified:
            row = _row(item, prediction, classifier, job, summary)
            if wildlife_score:
                row["wildlife_score"] = _wildlife_score(prediction, classifier)
            yield row


def _write(rows: Iterable[dict[str, Any]], results: ResultsFile, batch_size: int, bar: Any) -> None:
    batch: list[dict[str, Any]] = []
    try:
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                _flush(results, batch, bar)
    finally:
        _flush(results, batch, bar)  # rows already complete survive an error or Ctrl-C


def classify_items(
    classifier: Classifier,
    items: Iterable[T],
    *,
    path: Callable[[T], str] = str,
    batch_size: int = 32,
    fetch: FetchOptions | None = None,
    start: Callable[[ImageInput], Any] | None = None,
) -> Iterator[tuple[T, Prediction, Any]]:
    """Classify the photo of each item, in order: a path is read, an ``http(s)://`` URL
    fetched (``fetch_many``, ahead of the model while it runs). A photo that cannot be
    fetched or decoded gives a failed ``Prediction``, and the rest go on.

    Args:
        path: the item's path or URL; each ``Prediction.source`` is it.
        fetch: how URLs are fetched (None: ``FetchOptions()``).
        start: called with each photo (a path, or the fetched bytes) as it goes to the
            model; what it returns comes back third (a scan matches hashes this way).

    Yields:
        (item, prediction, what ``start`` returned or None).
    """
    order: deque[tuple[T, ImageInput | ImageError, Any]] = deque()

    def inputs() -> Iterator[ImageInput | ImageError]:
        for item, fetched in fetch_many(items, fetch, url=path):
            image = path(item) if fetched is None else fetched
            ready = start is not None and not isinstance(image, ImageError)
            order.append((item, image, start(image) if ready else None))  # type: ignore[misc]
            yield image

    for prediction in classifier.predict_batch(inputs(), batch_size=batch_size):
        item, image, started = order.popleft()
        yield item, _named(prediction, path(item), image), started


def _named(prediction: Prediction, name: str, image: ImageInput | ImageError) -> Prediction:
    """``prediction`` with its source (and its error, for fetched bytes) named ``name``."""
    error = prediction.error
    if error and isinstance(image, bytes) and error.startswith(describe(image)):
        error = name + error[len(describe(image)) :]
    return replace(prediction, source=name, error=error)


def _wildlife_score(prediction: Prediction, classifier: Classifier) -> float | None:
    if not prediction.ok:
        return None
    total = sum(prediction.scores.get(label, 0.0) for label in classifier.spec.wildlife_labels)
    packs = [prediction.scores.get(label, 0.0) for label in classifier.pack_labels]
    return round(max([total, *packs]), SCORE_DIGITS)  # a pack's label is its own head's score


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
    if job is not None:
        match = None if error else job.result()
        row["decision"] = raise_decision(row["decision"], match)
        row["hash_match"] = None if error else match is not None
        row["hash_label"] = match.label if match else None
        row["hash_distance"] = match.distance if match else None
        row["hash_list"] = match.list_name if match else None
        summary.hash_matches += match is not None  # type: ignore[operator]
    summary.scanned += 1
    summary.decisions[row["decision"]] += 1
    summary.errors += error is not None
    return row


def _match(matcher: HashMatcher, path: str) -> HashMatch | None:
    try:
        return matcher.match_image(path)
    except ImageError:
        return None  # the classifier reports the same image's error in the row


def _progress_bar(source: str | os.PathLike, done: set[bytes]) -> Any:
    """A progress bar over the items not yet in the output (counted in one streaming pass),
    or None where none would be drawn: stderr is not a terminal, or tqdm is missing."""
    if not stderr_is_terminal():
        return None  # no counting pass for a bar nobody sees
    if not tqdm_available():
        logger.warning("scan: no progress bar (install it with %s)", install_hint("scan"))
        return None
    todo = sum(row_key(i.listing_id, i.path) not in done for i in iter_source(source))
    return progress_bar(total=todo, desc=f"scan {Path(source).name}", leave=True)
