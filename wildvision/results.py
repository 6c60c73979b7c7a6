"""Scan results on disk: a JSONL or CSV file that a scan appends to and resumes from.

Each row is exactly one line. Rows are appended a batch at a time, flushed and fsynced, so
a kill at any moment leaves complete lines plus at most one cut-off last line; opening the
file again cuts that line off before appending. The keys of the rows already written are
kept as 16-byte digests, about 85 bytes a row in memory (a million rows: under 0.1 GB).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ._atomic import atomic_open
from .errors import ScanError

FORMATS = {".jsonl": "jsonl", ".csv": "csv"}


def row_key(listing_id: str, path: str) -> bytes:
    """The identity of one result row: a scan writes each (listing id, path) pair once."""
    return hashlib.blake2b(f"{listing_id}\0{path}".encode(), digest_size=16).digest()


class ResultsFile:
    """An append-only results file; use as a context manager.

    On entry it repairs a cut-off last line, checks that the file's columns are
    ``columns``, and fills ``done`` with the keys of the rows already there.

    Raises:
        ScanError: the suffix is not ``.jsonl``/``.csv``, the columns differ from an earlier
            run's, or a line other than the last is unreadable.
    """

    def __init__(self, path: str | os.PathLike, columns: Sequence[str]) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.format = _format(self.path, "name the output .jsonl or .csv")
        self.done: set[bytes] = set()
        #: True when opening cut off a partial (or unreadable) last line.
        self.repaired = False
        self._handle: io.BufferedWriter | None = None

    def __enter__(self) -> ResultsFile:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()
        self._read_existing()
        self._handle = open(self.path, "ab")  # noqa: SIM115 - closed in __exit__
        if self.format == "csv" and self.path.stat().st_size == 0:
            self._write(_csv_line(self.columns))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        """Write whole rows and make them durable (flush + fsync) before returning."""
        if rows:
            self._write("".join(self._encode(row) for row in rows))

    def _write(self, text: str) -> None:
        if self._handle is None:
            raise RuntimeError("ResultsFile is not open; use it in a `with` block.")
        self._handle.write(text.encode("utf-8"))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def _encode(self, row: dict[str, Any]) -> str:
        return _encode(self.format, self.columns, row)

    def _read_existing(self) -> None:
        cut = _cut_partial_line(self.path)
        for offset, number, row in _parsed_lines(self.path, self.format):
            if row is None:  # a complete but unreadable last line: drop it too
                cut = True
                _truncate(self.path, offset)
            elif number == 1 and self.format == "csv":
                if row != self.columns:
                    self._refuse_columns(row)
            elif set(row) != set(self.columns):
                self._refuse_columns(list(row))
            else:
                self.done.add(row_key(str(row["listing_id"]), str(row["path"])))
        self.repaired = cut

    def _refuse_columns(self, found: list[str]) -> None:
        raise ScanError(
            f"{self.path}: holds columns {found} but this scan writes {self.columns}; re-run "
            "with the same options (--hashes) to resume, or scan to a new output file."
        )


def iter_rows(path: str | os.PathLike) -> Iterator[dict[str, Any]]:
    """Stream the rows of a results file (``.jsonl`` or ``.csv``) as dicts, one at a time.

    CSV values come back as strings (empty for a missing value). An unreadable last line —
    a scan killed mid-write — is skipped, as the scan's own resume would drop it.

    Raises:
        ScanError: the file is missing or not ``.jsonl``/``.csv`` (now), or a line other
            than the last is unreadable (when that line is read).
    """
    path = Path(path)
    fmt = _format(path, "give the .jsonl or .csv file that `wildvision scan -o` wrote")
    if not path.is_file():
        raise ScanError(f"{path}: no such results file; check the path.")
    return (row for _, _, row in _parsed_lines(path, fmt) if isinstance(row, dict))


#: Columns every results file has (``scan``, ``triage``); a listings table has no ``decision``.
RESULT_COLUMNS = ("path", "decision")


def check_results(path: str | os.PathLike) -> None:
    """Refuse a file that is not a scan's results: no rows, or (from its first row) the
    columns of something else, such as the listings table a scan reads.

    Raises:
        ScanError: missing, of an unknown format, empty, or without the result columns; the
            message says what to run instead.
    """
    first = next(iter_rows(path), None)
    if first is None:
        raise ScanError(
            f"{path}: no result rows; run `wildvision scan SOURCE -o {Path(path).name}` first "
            "(or `triage`), then pass the file it wrote."
        )
    missing = [column for column in RESULT_COLUMNS if column not in first]
    if not missing:
        return
    if "decision" not in first and any(c in first for c in ("path", "image_path", "image")):
        raise ScanError(
            f"{path}: this looks like a listings table (no {', '.join(missing)} column); run "
            f"`wildvision scan {path} -o results.jsonl` first, then `wildvision report "
            "results.jsonl -o page.html`."
        )
    raise ScanError(
        f"{path}: not a scan's results (no {', '.join(missing)} column, found "
        f"{', '.join(map(str, first))}); pass the file `wildvision scan -o` wrote."
    )


def write_rows(
    path: str | os.PathLike, columns: Sequence[str], rows: Iterable[dict[str, Any]]
) -> int:
    """Write a whole results file (``.jsonl`` or ``.csv``, rows as a scan writes them) at
    once and atomically: readers see the old file or the complete new one. Returns the
    number of rows.

    Raises:
        ScanError: the suffix is not ``.jsonl``/``.csv``.
    """
    fmt = _format(Path(path), "name the output .jsonl or .csv")
    count = 0
    with atomic_open(path, "wb") as handle:
        if fmt == "csv":
            handle.write(_csv_line(columns).encode("utf-8"))
        for row in rows:
            handle.write(_encode(fmt, columns, row).encode("utf-8"))
            count += 1
    return count


def _format(path: Path, fix: str) -> str:
    fmt = FORMATS.get(path.suffix.lower(), "")
    if not fmt:
        raise ScanError(f"{path}: unknown results format {path.suffix or '(no suffix)'!r}; {fix}.")
    return fmt


def _encode(fmt: str, columns: Sequence[str], row: dict[str, Any]) -> str:
    values = [row.get(column) for column in columns]
    if fmt == "jsonl":
        return json.dumps(dict(zip(columns, values)), ensure_ascii=False) + "\n"
    return _csv_line(["" if v is None else v for v in values])


def _parsed_lines(path: Path, fmt: str) -> Iterator[tuple[int, int, Any]]:
    """(byte offset, line number, row) per line: a dict per row, the CSV header as a list,
    and None for an unreadable last line.

    Raises:
        ScanError: a line other than the last is unreadable.
    """
    header: list[str] | None = None
    bad: tuple[int, int] | None = None
    for offset, number, line in _lines(path):
        if bad is not None:
            raise ScanError(
                f"{path} line {bad[1]}: unreadable row in the middle of the file; the file "
                "was edited or damaged — fix or delete that line, or scan to a new output."
            )
        if number == 1 and fmt == "csv":
            header = _parse_csv(line, None) or []
            yield offset, number, header
            continue
        row = _parse_csv(line, header) if fmt == "csv" else _parse_json(line)
        if row is None:
            bad = (offset, number)
        else:
            yield offset, number, row
    if bad is not None:
        yield bad[0], bad[1], None


def _csv_line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def _parse_csv(line: str, header: list[str] | None) -> Any:
    try:
        values = next(csv.reader([line], strict=True))
    except (csv.Error, StopIteration):
        return None
    if header is None:
        return values
    return dict(zip(header, values)) if len(values) == len(header) else None


def _parse_json(line: str) -> dict[str, Any] | None:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return None
    return row if isinstance(row, dict) and "listing_id" in row and "path" in row else None


def _lines(path: Path) -> Iterator[tuple[int, int, str]]:
    """(byte offset, line number, text without the newline) of each line."""
    offset = 0
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                text = raw.decode("utf-8").rstrip("\n")
            except UnicodeDecodeError:
                text = "\0"  # unparseable in either format
            yield offset, number, text
            offset += len(raw)


def _cut_partial_line(path: Path, chunk: int = 1 << 16) -> bool:
    """Cut the file back to its last newline; True when something was cut."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        end = size
        while end > 0:
            start = max(0, end - chunk)
            handle.seek(start)
            data = handle.read(end - start)
            newline = data.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        else:
            keep = 0
    if keep == size:
        return False
    _truncate(path, keep)
    return True


def _truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(size)
        handle.flush()
        os.fsync(handle.fileno())
