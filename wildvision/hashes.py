"""Known-image matching: perceptual hashes of photos known to be trafficking.

A hash list holds hashes and labels only — never images or file names — so it can be shared
between platforms. Each hash is a 64-bit DCT hash (``imagehash.phash``) followed by a 64-bit
gradient hash (``imagehash.dhash``), 128 bits in all; two photos match when their Hamming
distance is at most ``max_distance``. Robustness to re-encoding, resizing, crops and captions
is measured in ``benchmarks/HASH_RESULTS.md``. Needs the ``[hashes]`` extra (imagehash).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._atomic import atomic_write_text
from ._extras import require_extra
from .errors import HashListError, ImageError
from .imaging import ImageInput, load_image
from .sources import iter_images

FORMAT = "wildvision-hashes"
FORMAT_VERSION = 1
ALGORITHM = "phash+dhash"
HASH_BITS = 128
#: Default largest Hamming distance (of 128 bits) that counts as a match; see HASH_RESULTS.md.
DEFAULT_MAX_DISTANCE = 16
#: Images are decoded (JPEG draft mode) to at least this size before hashing: the hashes look
#: at 9x8 and 32x32 thumbnails, so full-size decoding would only cost time.
DECODE_SIZE = 256
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


@dataclass(frozen=True)
class HashEntry:
    """One known image: its hash (hex) and what it shows."""

    hash: str
    label: str


@dataclass(frozen=True)
class HashMatch:
    """The nearest known image within the distance limit."""

    label: str
    distance: int
    hash: str


@dataclass(frozen=True)
class HashList:
    """A shareable list of known-image hashes; ``save``/``load`` round-trip it as JSON."""

    entries: tuple[HashEntry, ...]
    algorithm: str = ALGORITHM

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def labels(self) -> list[str]:
        return sorted({entry.label for entry in self.entries})

    def save(self, path: str | os.PathLike) -> Path:
        """Write the list as JSON (atomically) and return its path."""
        head = {"format": FORMAT, "format_version": FORMAT_VERSION, "algorithm": self.algorithm}
        entries = ",\n".join(  # one entry a line: compact, and diffs stay readable
            json.dumps({"hash": e.hash, "label": e.label}, ensure_ascii=False) for e in self.entries
        )
        text = json.dumps(head)[:-1] + ', "entries": [\n' + entries + "\n]}\n"
        atomic_write_text(path, text)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> HashList:
        """Read a list written by ``save`` (or by another platform in the same format).

        Raises:
            HashListError: missing, not JSON, another format or version, or a bad entry.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise HashListError(f"{path}: no such hash list; check the path.") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HashListError(
                f"{path}: not a readable JSON hash list ({exc}); rebuild it with "
                "`wildvision hashes build`."
            ) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise HashListError(
                f'{path}: not a wildvision hash list (no "format": {FORMAT!r}); build one '
                "with `wildvision hashes build DIR -o list.json`."
            )
        if data.get("format_version") != FORMAT_VERSION or data.get("algorithm") != ALGORITHM:
            raise HashListError(
                f"{path}: format version {data.get('format_version')!r} / algorithm "
                f"{data.get('algorithm')!r}; this wildvision reads version {FORMAT_VERSION} "
                f"with {ALGORITHM!r} — upgrade wildvision or rebuild the list."
            )
        entries = []
        for number, entry in enumerate(data.get("entries") or [], 1):
            if not (
                isinstance(entry, dict)
                and _valid_hash(entry.get("hash"))
                and isinstance(entry.get("label"), str)
                and entry["label"]
            ):
                raise HashListError(
                    f'{path}: entry {number} needs a {HASH_BITS // 4}-digit hex "hash" and a '
                    '"label"; fix the entry or rebuild the list.'
                )
            entries.append(HashEntry(entry["hash"].lower(), entry["label"]))
        return cls(tuple(entries))


def image_hash(image: ImageInput) -> str:
    """The 128-bit hash of one image, as 32 hex digits.

    Raises:
        ImageError: the input cannot be decoded (through ``wildvision.load_image``).
        MissingExtraError: imagehash is not installed.
    """
    imagehash = _imagehash()
    picture = load_image(image, min_size=DECODE_SIZE)
    return str(imagehash.phash(picture)) + str(imagehash.dhash(picture))


def build_hash_list(
    folder: str | os.PathLike, *, label: str = "known"
) -> tuple[HashList, list[str]]:
    """Hash every image below ``folder``; returns the list and the errors of unreadable files.

    An image's label is the name of the top-level sub-folder it is in (``DIR/ivory/a.jpg`` is
    ``ivory``); images directly in ``folder`` get ``label``. Identical entries are kept once.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise HashListError(f"{folder}: no such folder; pass the folder of known photos.")
    _imagehash()  # a missing extra is said before the walk, not at the first photo
    entries: dict[HashEntry, None] = {}
    errors = []
    for path in iter_images(folder):
        parts = path.relative_to(folder).parts
        try:
            entries[HashEntry(image_hash(path), parts[0] if len(parts) > 1 else label)] = None
        except ImageError as exc:
            errors.append(str(exc))
    return HashList(tuple(entries)), errors


class HashMatcher:
    """Finds the nearest entry of a hash list within ``max_distance`` bits."""

    def __init__(self, hash_list: HashList, max_distance: int = DEFAULT_MAX_DISTANCE) -> None:
        if not 0 <= max_distance <= HASH_BITS:
            raise ValueError(f"max_distance must be in 0..{HASH_BITS}, got {max_distance}")
        _imagehash()  # fail now, not on the first image of a long scan
        self.hash_list = hash_list
        self.max_distance = max_distance
        packed = b"".join(bytes.fromhex(e.hash) for e in hash_list.entries)
        self._bits = np.frombuffer(packed, dtype=np.uint8).reshape(len(hash_list), HASH_BITS // 8)

    def match(self, hash_hex: str) -> HashMatch | None:
        """The nearest known image if it is within ``max_distance``, else None."""
        if not len(self.hash_list):
            return None
        query = np.frombuffer(bytes.fromhex(hash_hex), dtype=np.uint8)
        distances = _POPCOUNT[self._bits ^ query].sum(axis=1, dtype=np.int64)
        best = int(np.argmin(distances))
        if distances[best] > self.max_distance:
            return None
        entry = self.hash_list.entries[best]
        return HashMatch(entry.label, int(distances[best]), entry.hash)

    def match_image(self, image: ImageInput) -> HashMatch | None:
        """Hash ``image`` and match it; raises ``ImageError`` when it cannot be decoded."""
        return self.match(image_hash(image))


def distance(a: str, b: str) -> int:
    """Hamming distance between two hex hashes."""
    return int(bin(int(a, 16) ^ int(b, 16)).count("1"))


def _valid_hash(value: object) -> bool:
    if not isinstance(value, str) or len(value) != HASH_BITS // 4:
        return False
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def _imagehash():
    require_extra("hashes", {"imagehash": "imagehash"}, "known-image hashing")
    import imagehash

    return imagehash
