"""What a scan reads: a folder of images, a text file of paths, or a CSV/JSONL of listings.

Every source is read lazily, one item at a time, so a list of millions of rows is never held
in memory. Each item is a ``ScanItem(listing_id, path)``; for folders and path lists the
path is also the listing id.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ScanError
from .imaging import (
    IMAGE_EXTENSIONS,  # the files a folder scan picks up (case-insensitive)
    is_url,
)

LIST_SUFFIXES = (".txt", ".lst")
TABLE_SUFFIXES = (".csv", ".jsonl", ".ndjson")
#: Column names accepted for the image path in CSV/JSONL listings, in order of preference.
PATH_COLUMNS = ("path", "image_path", "image")
ID_COLUMN = "listing_id"


@dataclass(frozen=True)
class ScanItem:
    """One image to scan and the listing it belongs to."""

    listing_id: str
    path: str

    def __post_init__(self) -> None:
        # Each result row must stay one line: a kill can then only ever cut the last line.
        if any(c in value for value in (self.listing_id, self.path) for c in "\r\n"):
            raise ScanError(
                f"{self.listing_id!r} / {self.path!r}: a line break inside a listing id or "
                "path; rename the file or fix the row."
            )


def iter_source(source: str | os.PathLike) -> Iterator[ScanItem]:
    """Items of ``source`` in a stable order; call again to read it again.

    A folder is walked recursively in sorted order (hidden entries and non-image files are
    left out; directory symlinks are not followed). A ``.txt``/``.lst`` file holds one path
    per line (blank lines and ``#`` comments skipped). A ``.csv``/``.jsonl`` file holds one
    listing per row with ``listing_id`` and ``path`` (or ``image_path``/``image``). Relative
    paths in files resolve against the file's folder; ``http(s)://`` URLs stay as written.

    Raises:
        ScanError: the source is missing or of an unknown kind (now), or a row is malformed
            (when that row is read).
    """
    path = Path(source)
    if path.is_dir():
        return (ScanItem(str(p), str(p)) for p in iter_images(path))
    if not path.is_file():
        raise ScanError(f"{path}: no such folder or file; check the scan source path.")
    suffix = path.suffix.lower()
    if suffix in LIST_SUFFIXES:
        return _iter_path_list(path)
    if suffix == ".csv":
        _csv_path_column(path)  # a wrong header fails now, not mid-scan
        return _iter_csv(path)
    if suffix in (".jsonl", ".ndjson"):
        return _iter_jsonl(path)
    raise ScanError(
        f"{path}: unknown source kind {suffix or '(no suffix)'!r}; scan a folder, a text file "
        f"of paths ({', '.join(LIST_SUFFIXES)}) or a listings table ({', '.join(TABLE_SUFFIXES)})."
    )


def check_not_empty(source: str | os.PathLike) -> None:
    """Refuse a source with nothing to scan, now rather than after a run of "0 images".

    Raises:
        ScanError: a folder without image files below it, or a list or table without rows
            (also every error of ``iter_source`` and of the source's first row).
    """
    if next(iter_source(source), None) is not None:
        return
    path = Path(source)
    if path.is_dir():
        raise ScanError(
            f"{path}: no image files below it ({', '.join(sorted(IMAGE_EXTENSIONS))}, "
            "searched recursively); check the folder, or pass a .txt of paths or a listings "
            "table instead."
        )
    raise ScanError(f"{path}: no photos listed (no rows); add rows or check the file.")


def iter_images(folder: Path) -> Iterator[Path]:
    """Image files below ``folder``, recursively, in sorted order (one directory listing in
    memory at a time)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise ScanError(
            f"{folder}: cannot list the folder ({exc}); check its permissions."
        ) from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from iter_images(Path(entry.path))
        elif Path(entry.name).suffix.lower() in IMAGE_EXTENSIONS:
            yield Path(entry.path)


def _iter_path_list(path: Path) -> Iterator[ScanItem]:
    base = path.parent
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#"):
                resolved = _resolve(base, line)
                yield ScanItem(resolved, resolved)


def _csv_path_column(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    return _path_column(header, path)


def _path_column(columns: Collection[str], where: str | Path) -> str:
    found = [c for c in PATH_COLUMNS if c in columns]
    if ID_COLUMN not in columns or not found:
        raise ScanError(
            f"{where}: expected columns {ID_COLUMN!r} and {PATH_COLUMNS[0]!r} (or "
            f"{' / '.join(map(repr, PATH_COLUMNS[1:]))}), found {list(columns)}; "
            "rename the columns."
        )
    return found[0]


def _iter_csv(path: Path) -> Iterator[ScanItem]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        column = _path_column(reader.fieldnames or [], path)
        for row in reader:
            yield _item(row, column, path.parent, f"{path} line {reader.line_num}")


def _iter_jsonl(path: Path) -> Iterator[ScanItem]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path} line {number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ScanError(
                    f"{where}: not valid JSON ({exc}); fix or remove the line."
                ) from None
            if not isinstance(row, dict):
                raise ScanError(f"{where}: expected a JSON object per line; fix the line.")
            yield _item(row, _path_column(row, where), path.parent, where)


def _item(row: Mapping[str, object], column: str, base: Path, where: str) -> ScanItem:
    listing_id, image = row.get(ID_COLUMN), row.get(column)
    if listing_id in (None, "") or image in (None, ""):
        raise ScanError(
            f"{where}: empty {ID_COLUMN!r} or {column!r}; fill in both or drop the row."
        )
    return ScanItem(str(listing_id), _resolve(base, str(image)))


def _resolve(base: Path, path: str) -> str:
    """A path in a list or table: a URL as written, a file path against the list's folder."""
    return path if is_url(path) else str(base / path)
