"""Known-image matching: perceptual hashes of photos known to be trafficking.

A hash list holds hashes and labels only — never images or file names — so it can be shared
between platforms. Each hash is a 64-bit DCT hash (``imagehash.phash``) followed by a 64-bit
gradient hash (``imagehash.dhash``), 128 bits in all; two photos match when their Hamming
distance is at most ``max_distance``. A list has a name (shown beside each match) and the
decision a match asks for, ``review`` (the default) or ``block``: a scan raises a matching
photo's decision to at least that (``raise_decision``). Robustness to re-encoding, resizing,
crops and captions is measured in ``benchmarks/HASH_RESULTS.md``. Needs the ``[hashes]``
extra (imagehash).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ._atomic import atomic_write_text
from ._extras import require_extra
from ._progress import progress as progress_bar
from .errors import HashListError, ImageError
from .imaging import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    IMAGE_EXTENSIONS,
    ImageInput,
    load_image,
)
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
#: The decisions a list may ask for on a match, weakest first (a match is a lead for review
#: by default: see the false-match rates in HASH_RESULTS.md).
MATCH_DECISIONS = ("review", "block")
_STRENGTH = {"allow": 0, "review": 1, "block": 2}
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


@dataclass(frozen=True)
class HashEntry:
    """One known image: its hash (hex) and what it shows."""

    hash: str
    label: str


@dataclass(frozen=True)
class HashMatch:
    """The nearest known image within the distance limit, the list it is on and the decision
    that list asks for on a match."""

    label: str
    distance: int
    hash: str
    list_name: str = ""
    decision: str = "review"


@dataclass(frozen=True)
class HashList:
    """A shareable list of known-image hashes; ``save``/``load`` round-trip it as JSON.

    Attributes:
        entries: the known images.
        algorithm: how they were hashed.
        name: what results call the list (a list saved without one: its file's name).
        decision: what a match asks for, at least: ``review`` or ``block``.
    """

    entries: tuple[HashEntry, ...]
    algorithm: str = ALGORITHM
    name: str = ""
    decision: str = "review"

    def __post_init__(self) -> None:
        if self.decision not in MATCH_DECISIONS:
            raise HashListError(
                f"a hash list's decision is one of {', '.join(MATCH_DECISIONS)}, got "
                f'{self.decision!r}; fix the list\'s "decision".'
            )

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def labels(self) -> list[str]:
        return sorted({entry.label for entry in self.entries})

    def save(self, path: str | os.PathLike) -> Path:
        """Write the list as JSON (atomically) and return its path."""
        head = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "algorithm": self.algorithm,
            "name": self.name or Path(path).stem,
            "decision": self.decision,
        }
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
        name, decision = data.get("name") or Path(path).stem, data.get("decision", "review")
        if not isinstance(name, str) or decision not in MATCH_DECISIONS:
            raise HashListError(
                f'{path}: "name" must be text and "decision" one of {", ".join(MATCH_DECISIONS)}'
                f", got {name!r} and {decision!r}; fix them or rebuild the list."
            )
        return cls(tuple(entries), name=name, decision=decision)


def image_hash(
    image: ImageInput,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> str:
    """The 128-bit hash of one image, as 32 hex digits (decoded within ``load_image``'s
    ``max_pixels`` and ``max_bytes``).

    Raises:
        ImageError: the input cannot be decoded (through ``wildvision.load_image``).
        MissingExtraError: imagehash is not installed.
    """
    imagehash = _imagehash()
    picture = load_image(image, min_size=DECODE_SIZE, max_pixels=max_pixels, max_bytes=max_bytes)
    return str(imagehash.phash(picture)) + str(imagehash.dhash(picture))


def build_hash_list(
    folder: str | os.PathLike,
    *,
    label: str = "known",
    name: str | None = None,
    decision: str = "review",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = True,
) -> tuple[HashList, list[str]]:
    """Hash every image below ``folder``; returns the list and the errors of unreadable files.

    An image's label is the name of the top-level sub-folder it is in (``DIR/ivory/a.jpg`` is
    ``ivory``); images directly in ``folder`` get ``label``. Identical entries are kept once.

    Args:
        name: the list's name in results (None: the folder's name).
        decision: what a match asks for, at least: ``review`` or ``block``.
        max_pixels, max_bytes: decoding limits (``load_image``).
        progress: a bar on stderr when it is a terminal.

    Raises:
        HashListError: no such folder, or no image files below it (nothing to hash).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise HashListError(f"{folder}: no such folder; pass the folder of known photos.")
    empty = HashList((), name=name or folder.name, decision=decision)  # checks the decision
    _imagehash()  # a missing extra is said before the walk, not at the first photo
    paths = list(iter_images(folder))
    if not paths:
        raise HashListError(
            f"{folder}: no image files below it ({', '.join(sorted(IMAGE_EXTENSIONS))}); put "
            "the known photos there (DIR/LABEL/photo.jpg) or pass the folder that has them."
        )
    entries: dict[HashEntry, None] = {}
    errors = []
    for path in progress_bar(paths, desc="hashing", enabled=progress):
        parts = path.relative_to(folder).parts
        try:
            hashed = image_hash(path, max_pixels=max_pixels, max_bytes=max_bytes)
            entries[HashEntry(hashed, parts[0] if len(parts) > 1 else label)] = None
        except ImageError as exc:
            errors.append(str(exc))
    return replace(empty, entries=tuple(entries)), errors


class HashMatcher:
    """Finds the nearest entry of a hash list within ``max_distance`` bits; ``match_image``
    decodes within ``max_pixels`` and ``max_bytes``."""

    def __init__(
        self,
        hash_list: HashList,
        max_distance: int = DEFAULT_MAX_DISTANCE,
        *,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if not 0 <= max_distance <= HASH_BITS:
            raise ValueError(f"max_distance must be in 0..{HASH_BITS}, got {max_distance}")
        _imagehash()  # fail now, not on the first image of a long scan
        self.hash_list = hash_list
        self.max_distance = max_distance
        self.limits = {"max_pixels": max_pixels, "max_bytes": max_bytes}
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
        name, decision = self.hash_list.name, self.hash_list.decision
        return HashMatch(entry.label, int(distances[best]), entry.hash, name, decision)

    def match_image(self, image: ImageInput) -> HashMatch | None:
        """Hash ``image`` and match it; raises ``ImageError`` when it cannot be decoded."""
        return self.match(image_hash(image, **self.limits))


def raise_decision(decision: str, match: HashMatch | None) -> str:
    """``decision`` raised to at least what a known-image ``match`` asks for (its list's
    ``review`` or ``block``); unchanged without a match, and ``error`` stays ``error``."""
    if match is None or decision not in _STRENGTH:
        return decision
    return max(decision, match.decision, key=_STRENGTH.__getitem__)


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
