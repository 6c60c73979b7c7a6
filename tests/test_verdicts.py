"""Reading reviewers' verdict files: paths, unsure rows, repeats and conflicts, errors that
say the fix, the verdicts as training samples, and ``wildvision verdicts stats``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from wildvision.cli import main
from wildvision.errors import ConfigError
from wildvision.verdicts import (
    NOT_WILDLIFE,
    UNSURE,
    VERDICT_COLUMNS,
    Conflict,
    is_verdict_file,
    read_verdicts,
    summarise,
)

URL = "https://example.org/listing/7.jpg"


def write_verdicts(path: Path, rows, header=VERDICT_COLUMNS) -> Path:
    """A verdict file; a row is (path, verdict_label, model_label[, reviewed_at]), filled in
    to the page's columns, or else written as it is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            if header == VERDICT_COLUMNS and len(row) <= 4:
                photo, verdict, model, *when = row
                at = when[0] if when else "2025-03-01T10:00:00.000Z"
                row = (f"id-{Path(photo).stem}", photo, verdict, model, "0.9", "0.3.0", at)
            writer.writerow(row)
    return path


@pytest.fixture
def photos(tmp_path) -> Path:
    """Three tiny photo files (verdicts are read without decoding them)."""
    folder = tmp_path / "scan" / "photos"
    folder.mkdir(parents=True)
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (folder / name).write_bytes(b"not decoded here")
    return folder


def test_paths_are_read_from_the_verdict_files_folder_absolute_paths_and_urls_kept(
    tmp_path, photos
):
    absolute = str(photos / "b.jpg")
    verdicts = write_verdicts(
        tmp_path / "scan" / "verdicts.csv",
        [("photos/a.jpg", "ivory", "ivory"), (absolute, "other", "ivory"), (URL, "ivory", "ivory")],
    )
    found = read_verdicts([verdicts]).verdicts
    assert [v.path for v in found] == [str(photos / "a.jpg"), absolute, URL]
    assert [v.outcome for v in found] == ["confirmed", "rejected", "confirmed"]
    first = found[0]
    assert (first.listing_id, first.score, first.model_version) == ("id-a", 0.9, "0.3.0")
    assert (first.file, first.line) == (str(verdicts), 2)
    assert read_verdicts(verdicts).verdicts == found  # one path alone is read too


def test_unsure_rows_are_counted_and_left_out_and_the_latest_repeat_is_kept(tmp_path, photos):
    first = write_verdicts(
        tmp_path / "scan" / "monday.csv",
        [
            ("photos/a.jpg", "rhino_horn", "ivory", "2025-03-02T09:00:00Z"),
            ("photos/b.jpg", UNSURE, "ivory"),
            ("photos/c.jpg", UNSURE, "ivory"),
        ],
    )
    second = write_verdicts(  # later in the list, but reviewed earlier: the first file wins
        tmp_path / "scan" / "sunday.csv",
        [("photos/a.jpg", "rhino_horn", "ivory", "2025-03-01T09:00:00+00:00")],
    )
    result = read_verdicts([first, second])
    assert (result.rows, result.skipped_unsure, result.repeats) == (4, 2, 1)
    assert result.conflicts == []
    (kept,) = result.verdicts
    assert (kept.file, kept.outcome, kept.verdict_label) == (str(first), "relabelled", "rhino_horn")


def test_conflicting_verdicts_within_and_across_files_are_listed_and_left_out(tmp_path, photos):
    first = write_verdicts(
        tmp_path / "scan" / "one.csv",
        [
            ("photos/a.jpg", "ivory", "ivory"),
            ("photos/b.jpg", "ivory", "ivory"),
            ("photos/b.jpg", NOT_WILDLIFE, "ivory"),
            ("photos/c.jpg", "ivory", "ivory"),
        ],
    )
    # the same photo a, named by an absolute path from another folder
    second = write_verdicts(tmp_path / "two.csv", [(str(photos / "a.jpg"), "bone", "ivory")])
    result = read_verdicts([first, second])
    assert result.conflicts == [
        Conflict(str(photos / "a.jpg"), ("bone", "ivory"), (str(first), str(second))),
        Conflict(str(photos / "b.jpg"), ("ivory", "other"), (str(first),)),
    ]
    assert [v.path for v in result.verdicts] == [str(photos / "c.jpg")]


def test_bad_files_are_refused_with_the_file_the_problem_and_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="no verdict files given"):
        read_verdicts([])
    with pytest.raises(ConfigError, match=r"verdict file .*gone.csv does not exist"):
        read_verdicts([tmp_path / "gone.csv"])
    manifest = write_verdicts(tmp_path / "m.csv", [("a.jpg", "ivory")], header=("path", "label"))
    with pytest.raises(ConfigError, match=r"m.csv lacks column\(s\) \['verdict_label', 'model_"):
        read_verdicts([manifest])
    with pytest.raises(ConfigError, match="listing_id,path,verdict_label,model_label,score"):
        read_verdicts([manifest])
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"path,verdict_label\n\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match=r"cannot read verdict file .*binary.csv"):
        read_verdicts([binary])
    rows = {
        "empty.csv": (("a.jpg", "", "ivory"), r"empty.csv:2: empty path or verdict_label"),
        "time.csv": (("a.jpg", "ivory", "ivory", "yesterday"), r"time.csv:2: reviewed_at"),
    }
    for name, (row, message) in rows.items():
        with pytest.raises(ConfigError, match=message):
            read_verdicts([write_verdicts(tmp_path / name, [row])])
    score = write_verdicts(
        tmp_path / "score.csv", [("", "a.jpg", "ivory", "ivory", "high", "", "")]
    )
    with pytest.raises(ConfigError, match=r"score.csv:2: score 'high' is not a number"):
        read_verdicts([score])


def test_verdict_files_are_told_from_manifests_by_their_header(tmp_path):
    assert is_verdict_file(write_verdicts(tmp_path / "v.csv", [("a.jpg", "ivory", "ivory")]))
    assert not is_verdict_file(write_verdicts(tmp_path / "m.csv", [], header=("path", "label")))
    assert not is_verdict_file(tmp_path / "gone.csv") and not is_verdict_file(tmp_path)


def test_samples_are_positives_and_hard_negatives_from_their_file(tmp_path, photos):
    verdicts = write_verdicts(
        tmp_path / "scan" / "week1.csv",
        [
            ("photos/a.jpg", "ivory", "ivory"),
            ("photos/b.jpg", NOT_WILDLIFE, "ivory"),
            ("photos/c.jpg", "rhino_horn", "ivory"),
        ],
    )
    samples = read_verdicts([verdicts]).samples(["ivory", "rhino_horn", "other"])
    assert [(s.path, s.label) for s in samples] == [
        (photos / "a.jpg", "ivory"),
        (photos / "b.jpg", "other"),
        (photos / "c.jpg", "rhino_horn"),
    ]
    assert {s.source for s in samples} == {"verdicts/week1"}
    assert [s.group for s in samples] == ["id-a", "id-b", "id-c"] and samples[0].split is None
    with pytest.raises(ConfigError, match=r"\['rhino_horn'\] are not among the known labels"):
        read_verdicts([verdicts]).samples(["ivory", "other"])


def test_samples_leave_out_urls_with_a_warning_and_refuse_missing_photos(tmp_path, photos):
    verdicts = write_verdicts(
        tmp_path / "scan" / "v.csv", [("photos/a.jpg", "ivory", "ivory"), (URL, "ivory", "ivory")]
    )
    with pytest.warns(UserWarning, match="1 verdicts name photos by URL"):
        assert [s.path for s in read_verdicts([verdicts]).samples()] == [photos / "a.jpg"]
    elsewhere = write_verdicts(tmp_path / "downloads" / "v.csv", [("photos/a.jpg", "ivory", "x")])
    with pytest.raises(ConfigError, match=r"1 reviewed photos do not exist, .*v.csv:2.*beside"):
        read_verdicts([elsewhere]).samples()


def mixed_verdicts(tmp_path: Path) -> Path:
    """ivory flags: 2 confirmed, 1 relabelled rhino_horn, 1 rejected, 1 relabelled ceramic
    (a look-alike); a bone flag confirmed; one unsure and one conflict."""
    ivory = ["ivory", "ivory", "rhino_horn", NOT_WILDLIFE, "ceramic", UNSURE]
    rows = [(f"p{i}.jpg", label, "ivory") for i, label in enumerate(ivory)]
    rows += [("q.jpg", "bone", "bone"), ("r.jpg", "ivory", "ivory"), ("r.jpg", "bone", "ivory")]
    return write_verdicts(tmp_path / "verdicts.csv", rows)


def test_summary_counts_outcomes_and_the_reviewers_precision_per_model_label(tmp_path):
    summary = summarise(read_verdicts([mixed_verdicts(tmp_path)]))
    assert (summary["rows"], summary["reviewed"], summary["skipped_unsure"]) == (9, 6, 1)
    assert summary["conflicts"] == [
        {
            "path": str(tmp_path / "r.jpg"),
            "labels": ["bone", "ivory"],
            "files": [str(tmp_path / "verdicts.csv")],
        }
    ]
    ivory = summary["per_model_label"]["ivory"]
    counts = [ivory[key] for key in ("reviewed", "confirmed", "relabelled", "rejected")]
    assert counts == [5, 2, 2, 1]
    assert ivory["relabelled_as"] == {"ceramic": 1, "rhino_horn": 1}
    assert ivory["precision"] == pytest.approx(2 / 5)
    assert ivory["wildlife_precision"] == pytest.approx(3 / 5)  # ceramic, other are not
    assert summary["per_model_label"]["bone"]["precision"] == 1.0
    assert summary["overall"]["reviewed"] == 6 and summary["overall"]["confirmed"] == 3


def test_the_stats_command_prints_a_summary_or_json(tmp_path, capsys):
    path = mixed_verdicts(tmp_path)
    assert main(["verdicts", "stats", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "verdicts.csv: 9 rows; 6 photos with a verdict, 1 unsure (skipped), 0 repeated, "
        "1 in conflict (left out)"
    )
    assert out[1] == f"  conflict: {tmp_path / 'r.jpg'}: bone vs ivory (verdicts.csv)"
    table = {line.split()[0]: line.split()[1:] for line in out[3:6]}
    assert table == {
        "bone": ["1", "1", "0", "0", "100.0%", "0.0%"],
        "ivory": ["5", "2", "2", "1", "40.0%", "60.0%"],
        "all": ["6", "3", "2", "1", "50.0%", "50.0%"],
    }
    assert "relabelled ivory as: ceramic 1, rhino_horn 1" in out
    assert main(["verdicts", "stats", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == summarise(read_verdicts([path]))
    assert main(["verdicts", "stats", str(tmp_path / "gone.csv")]) == 2
    assert "gone.csv does not exist" in capsys.readouterr().err
