"""Model file integrity: SHA-256 digests, checked before a model is loaded.

A ``SHA256SUMS`` file (the format ``sha256sum`` writes) beside a model lists the digests its
files must have; the shipped models come with one, so a tampered or damaged shipped model is
refused. For any other file, pass the expected digest: ``Classifier(path, sha256=...)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from ._atomic import atomic_write_text
from .errors import ModelError

SUMS_FILE = "SHA256SUMS"


def sha256_of(path: str | Path) -> str:
    """The hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def listed_sha256(path: str | Path) -> str | None:
    """The digest that a ``SHA256SUMS`` beside ``path`` lists for it, if any."""
    path = Path(path)
    sums = path.parent / SUMS_FILE
    if not sums.is_file():
        return None
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.strip().partition("  ")
        if name.lstrip("*") == path.name:
            return digest.lower()
    return None


def verify_sha256(path: str | Path, data: bytes, expected: str | None = None) -> str:
    """Check ``data``, the bytes read from ``path``, against ``expected`` (or the file's
    ``SHA256SUMS`` entry); return their digest. Checking the very bytes that will be loaded
    leaves no window for the file to change between the check and the load.

    Raises:
        ModelError: the digest differs: the file is damaged or was changed.
    """
    expected = (expected or listed_sha256(path) or "").lower()
    actual = hashlib.sha256(data).hexdigest()
    if expected and actual != expected:
        raise ModelError(
            f"{path}: SHA-256 is {actual}, expected {expected}; the file is damaged or was "
            "changed — re-download or reinstall it (or re-export your own model)."
        )
    return actual


def update_sums(paths: list[Path]) -> Path | None:
    """Set the entries of ``paths`` (files of one folder) in that folder's ``SHA256SUMS``
    when it has one, keeping every other entry; return it, or None when there is none.
    A file written beside listed ones is then checked like them rather than refused."""
    if not paths:
        return None
    sums = paths[0].parent / SUMS_FILE
    if not sums.is_file():
        return None
    names = {p.name for p in paths}
    lines = [
        line
        for line in sums.read_text(encoding="utf-8").splitlines()
        if line.strip() and line.strip().partition("  ")[2].lstrip("*") not in names
    ]
    lines += [f"{sha256_of(p)}  {p.name}" for p in paths]
    atomic_write_text(sums, "\n".join(lines) + "\n")
    return sums


def write_sums(
    folder: str | Path, pattern: str | Sequence[str] = ("*.onnx", "*.negatives.npz")
) -> Path:
    """Write ``SHA256SUMS`` for the models and negative banks in ``folder`` (after exporting
    shipped models or rebuilding their bank), or for the files ``pattern`` matches."""
    folder = Path(folder)
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    files = sorted({p for glob in patterns for p in folder.glob(glob)}, key=lambda p: p.name)
    lines = [f"{sha256_of(p)}  {p.name}" for p in files]
    target = folder / SUMS_FILE
    atomic_write_text(target, "\n".join(lines) + "\n")
    return target
