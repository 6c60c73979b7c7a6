"""Reviewers' verdicts on flagged photos, read back from the review page's ``verdicts.csv``.

A verdict file has one row per reviewed photo (``VERDICT_COLUMNS``): the model's label and
the reviewer's. ``read_verdicts`` merges one or more files into a ``VerdictSet``: "unsure"
rows are counted and skipped, a photo reviewed twice the same way is kept once, and a photo
given different labels is a ``Conflict``, left out. Training reads the set as labelled
photos (``VerdictSet.samples``: confirmed flags as positives, rejected ones as hard
negatives ``other``); ``summarise`` says how often the model's flags were right.

Needs no torch: ``wildvision verdicts stats`` runs on the base install.
"""

from __future__ import annotations

import csv
import os
import warnings
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .imaging import is_url
from .taxonomy import LOOKALIKE_LABELS, ORDINARY_LABEL

if TYPE_CHECKING:
    from .data import Sample

#: The verdict of a photo that is no wildlife product (the label of ordinary photos).
NOT_WILDLIFE = ORDINARY_LABEL
#: The verdict of a reviewer who cannot tell; such rows are counted and left out.
UNSURE = "unsure"
#: The header of a verdict file, in the order the review page writes it.
VERDICT_COLUMNS = (
    "listing_id",
    "path",
    "verdict_label",
    "model_label",
    "score",
    "model_version",
    "reviewed_at",
)
#: The columns a verdict file cannot do without.
REQUIRED_COLUMNS = ("path", "verdict_label", "model_label")
_FIX = (
    f"a verdict file has the header {','.join(VERDICT_COLUMNS)} "
    "(the review page's 'download verdicts.csv' button writes it)"
)


@dataclass(frozen=True)
class Verdict:
    """One reviewed photo: what the model said and what the reviewer decided."""

    path: str  # the photo: an absolute path, or an http(s) URL as written
    verdict_label: str
    model_label: str
    listing_id: str = ""
    score: float | None = None
    model_version: str = ""
    reviewed_at: str = ""
    file: str = ""  # the verdict file the row comes from
    line: int = 0

    @property
    def outcome(self) -> str:
        """``confirmed`` (the model's label), ``rejected`` (not wildlife) or ``relabelled``."""
        if self.verdict_label == self.model_label:
            return "confirmed"
        return "rejected" if self.verdict_label == NOT_WILDLIFE else "relabelled"

    @property
    def is_url(self) -> bool:
        return is_url(self.path)


@dataclass(frozen=True)
class Conflict:
    """A photo that reviewers gave different labels: it is left out until they agree."""

    path: str
    labels: tuple[str, ...]
    files: tuple[str, ...]


@dataclass
class VerdictSet:
    """The verdicts of one or more files, one per photo, with what was left out."""

    verdicts: list[Verdict] = field(default_factory=list)
    skipped_unsure: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    rows: int = 0  # data rows read, all files together
    repeats: int = 0  # rows that repeated a photo's verdict (the latest one is kept)
    files: list[str] = field(default_factory=list)

    def samples(self, labels: Collection[str] | None = None) -> list[Sample]:
        """The verdicts as labelled photos for training, source ``verdicts/<file stem>``.

        A confirmed or relabelled flag is a photo of its verdict label; a rejected one is a
        hard negative ``other``. Photos given by URL are left out with a ``UserWarning``
        (training reads local files only).

        Args:
            labels: the labels training knows (None: any); a verdict label outside them
                raises.

        Raises:
            ConfigError: a verdict label is not one of ``labels``, or a photo is missing.
        """
        from .data import Sample  # the base install's (no [eval] needed)

        local = [v for v in self.verdicts if not v.is_url]
        if len(local) < len(self.verdicts):
            warnings.warn(
                f"{len(self.verdicts) - len(local)} verdicts name photos by URL, which "
                "training cannot read; they are left out. Download the photos and write "
                "their file paths in the verdict file to use them.",
                UserWarning,
                stacklevel=2,
            )
        if labels is not None:
            unknown = sorted({v.verdict_label for v in local} - set(labels))
            if unknown:
                raise ConfigError(
                    f"verdict label(s) {unknown} are not among the known labels "
                    f"{sorted(labels)}; add them to the labels (config 'labels') or map them "
                    "to known ones (the data source's 'label_map')."
                )
        missing = [v for v in local if not Path(v.path).is_file()]
        if missing:
            shown = ", ".join(f"{v.path} ({Path(v.file).name}:{v.line})" for v in missing[:3])
            raise ConfigError(
                f"{len(missing)} reviewed photos do not exist, e.g. {shown}. Relative paths "
                "are read from the verdict file's folder: save verdicts.csv beside the scan's "
                "results file, or write absolute paths."
            )
        return [
            Sample(
                path=Path(v.path),
                label=v.verdict_label,
                group=v.listing_id or None,
                source=f"verdicts/{Path(v.file).stem}",
            )
            for v in local
        ]


def read_verdicts(paths: Sequence[str | os.PathLike] | str | os.PathLike) -> VerdictSet:
    """Read verdict files into one set: one verdict per photo, conflicts left out.

    Relative photo paths are read from each verdict file's folder (absolute paths and
    http(s) URLs are kept). When a photo has several rows of one label the latest
    (``reviewed_at``, then file order) is kept; when its rows disagree, it is a ``Conflict``.

    Raises:
        ConfigError: no file given, a file missing or unreadable, a required column
            missing, or a row without a path or verdict label, or with a bad score or time.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not paths:
        raise ConfigError("no verdict files given; pass one or more verdicts.csv files.")
    rows: list[Verdict] = []
    for path in paths:
        rows.extend(_read_file(Path(path)))
    verdict_set = VerdictSet(rows=len(rows), files=[os.fspath(p) for p in paths])
    by_photo: dict[str, list[tuple[int, Verdict]]] = {}
    for order, verdict in enumerate(rows):
        if verdict.verdict_label == UNSURE:
            verdict_set.skipped_unsure += 1
        else:
            by_photo.setdefault(verdict.path, []).append((order, verdict))
    for photo, group in by_photo.items():
        labels = sorted({v.verdict_label for _, v in group})
        if len(labels) > 1:
            files = tuple(dict.fromkeys(v.file for _, v in group))
            verdict_set.conflicts.append(Conflict(photo, tuple(labels), files))
            continue
        latest = max(group, key=lambda entry: (_moment(entry[1].reviewed_at), entry[0]))
        verdict_set.verdicts.append(latest[1])
        verdict_set.repeats += len(group) - 1
    return verdict_set


def is_verdict_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a CSV file whose header has a ``verdict_label`` column."""
    path = Path(path)
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return "verdict_label" in (name.strip() for name in header)


def _read_file(path: Path) -> list[Verdict]:
    if not path.is_file():
        raise ConfigError(f"verdict file {path} does not exist; check the path.")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return _read_rows(path, csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"cannot read verdict file {path} ({exc}); {_FIX}.") from None


def _read_rows(path: Path, reader: csv.DictReader) -> list[Verdict]:
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ConfigError(f"verdict file {path} lacks column(s) {missing}; {_FIX}.")
    folder = path.parent
    verdicts = []
    for row in reader:
        line = reader.line_num
        text = {key: (value or "").strip() for key, value in row.items() if key is not None}
        if not text["path"] or not text["verdict_label"]:
            raise ConfigError(
                f"{path}:{line}: empty path or verdict_label; fill it in or delete the row."
            )
        _moment(text.get("reviewed_at", ""), f"{path}:{line}")  # refuse a bad time here
        verdicts.append(
            Verdict(
                path=_resolve(text["path"], folder),
                verdict_label=text["verdict_label"],
                model_label=text["model_label"],
                listing_id=text.get("listing_id", ""),
                score=_score(text.get("score", ""), f"{path}:{line}"),
                model_version=text.get("model_version", ""),
                reviewed_at=text.get("reviewed_at", ""),
                file=os.fspath(path),
                line=line,
            )
        )
    return verdicts


def _resolve(text: str, folder: Path) -> str:
    """A URL or absolute path as written; a relative path from the verdict file's folder."""
    if is_url(text):
        return text
    path = Path(text)
    return os.path.normpath(os.path.abspath(path if path.is_absolute() else folder / path))


def _score(text: str, where: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{where}: score {text!r} is not a number; fix or empty it.") from None


_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def _moment(text: str, where: str = "") -> datetime:
    """``reviewed_at`` as an aware time (no zone: UTC); empty is the earliest time."""
    if not text:
        return _EARLIEST
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise ConfigError(
            f"{where}: reviewed_at {text!r} is not an ISO-8601 time "
            "(e.g. 2025-01-31T12:00:00Z); fix or empty it."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def summarise(verdict_set: VerdictSet) -> dict[str, Any]:
    """Counts and the reviewers' precision of the model's flags, per model label and in all.

    ``precision`` is the share of reviewed flags whose label the reviewer confirmed;
    ``wildlife_precision`` the share that show a wildlife product under any label (not
    ``other`` nor a look-alike such as ``ceramic``).
    """
    per_label: dict[str, dict[str, Any]] = {}
    for verdict in verdict_set.verdicts:
        key = verdict.model_label or "(none)"
        per_label.setdefault(key, _Tally()).update(_one(verdict))
    overall = _Tally()
    for row in per_label.values():
        overall.update(row)
    return {
        "files": list(verdict_set.files),
        "rows": verdict_set.rows,
        "reviewed": len(verdict_set.verdicts),
        "skipped_unsure": verdict_set.skipped_unsure,
        "repeats": verdict_set.repeats,
        "conflicts": [
            {"path": c.path, "labels": list(c.labels), "files": list(c.files)}
            for c in verdict_set.conflicts
        ],
        "per_model_label": {k: v.figures() for k, v in sorted(per_label.items())},
        "overall": overall.figures(),
    }


class _Tally(Counter):
    """Counts of one model label's verdicts; relabelled ones also by their new label."""

    def figures(self) -> dict[str, Any]:
        reviewed = self["reviewed"]
        relabelled_as = {k[3:]: n for k, n in sorted(self.items()) if k.startswith("as:")}
        return {
            "reviewed": reviewed,
            "confirmed": self["confirmed"],
            "relabelled": self["relabelled"],
            "rejected": self["rejected"],
            "relabelled_as": relabelled_as,
            "precision": self["confirmed"] / reviewed if reviewed else None,
            "wildlife_precision": self["wildlife"] / reviewed if reviewed else None,
        }


def _one(verdict: Verdict) -> Counter:
    counts = Counter({"reviewed": 1, verdict.outcome: 1})
    if verdict.outcome == "relabelled":
        counts[f"as:{verdict.verdict_label}"] += 1
    if verdict.verdict_label not in LOOKALIKE_LABELS:
        counts["wildlife"] += 1
    return counts
