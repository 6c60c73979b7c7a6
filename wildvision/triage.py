"""``triage``: user-reported listings scored and ranked, likeliest wildlife product first.

Reviewers work through reports from the top; ranking them by the model's wildlife score
puts the listings most likely to be ivory, horn or scales where they look first. A triage
is a scan (``wildvision.scanning.scan``, with its ``wildlife_score`` column) to a work file
beside the queue, then a stable sort of its rows written atomically as the queue: a results
file that ``wildvision report`` reads like a scan's. A killed triage resumes from its work
file when run again; a finished one removes it. The queue is sorted in memory: it is
meant for reports (thousands of rows), not a whole platform's listings (use ``scan``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .classifier import Classifier
from .errors import ScanError
from .fetching import FetchOptions
from .results import FORMATS, iter_rows, row_key, write_rows
from .scanning import COLUMNS, WILDLIFE_COLUMNS, ScanSummary, scan
from .sources import iter_source

#: The queue's columns: a scan's, then the score it is ranked by.
QUEUE_COLUMNS = (*COLUMNS, *WILDLIFE_COLUMNS)


def triage(
    reports: str | os.PathLike,
    output: str | os.PathLike,
    model: str | os.PathLike | Classifier | None = None,
    *,
    batch_size: int = 32,
    fetch: FetchOptions | None = None,
    progress: bool = False,
) -> ScanSummary:
    """Score every reported photo and write them to ``output``, highest wildlife score
    first (ties keep the reports' order), photos that could not be read last.

    Args:
        reports: what ``scan`` reads: a folder, a path list, or a ``.csv``/``.jsonl`` of
            listings with ``listing_id`` and ``path``; paths may be ``http(s)://`` URLs.
        output: the queue, ``.jsonl`` or ``.csv``, with ``QUEUE_COLUMNS``.
        model: a ``Classifier``, a model path or shipped name (None: the default).
        batch_size: images per inference batch.
        fetch: how photos at URLs are fetched (None: ``FetchOptions()``).
        progress: show scan's progress bar.

    Returns:
        The scan's summary; its ``output`` is the queue.

    Raises:
        ScanError: bad reports or output. ModelError: the model cannot be loaded.
    """
    output = Path(output)
    if output.suffix.lower() not in FORMATS:
        raise ScanError(
            f"{output}: unknown queue format {output.suffix or '(no suffix)'!r}; name the "
            "queue .jsonl or .csv."
        )
    work = output.with_name(f".{output.name}.partial.jsonl")
    summary = scan(
        reports,
        work,
        model,
        batch_size=batch_size,
        progress=progress,
        fetch=fetch,
        wildlife_score=True,
    )
    wanted = {row_key(item.listing_id, item.path) for item in iter_source(reports)}
    rows = [r for r in iter_rows(work) if row_key(str(r["listing_id"]), str(r["path"])) in wanted]
    write_rows(output, QUEUE_COLUMNS, sorted(rows, key=rank))
    work.unlink()
    summary.output = str(output)
    return summary


def rank(row: Mapping[str, Any]) -> tuple[bool, float]:
    """Sort key of a queue row: wildlife score, highest first; rows without one last."""
    score = row.get("wildlife_score")
    return (score is None, -float(score or 0.0))
