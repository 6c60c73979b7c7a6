"""scan: one durable row per input, resume after a kill, error rows, hash matches, CLI."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, skimage_photo, terminal_stderr
from tests.photo_server import PNG
from wildvision import Classifier, HashListError, ModelError, ScanError, scan
from wildvision.cli import main
from wildvision.fetching import FetchOptions


@pytest.fixture(scope="module")
def classifier(wildlife_model):
    return Classifier(wildlife_model.path)


#: The decisions of the photos in ``source``, in scan order (``animal/`` then ``drink/``).
SOURCE_DECISIONS = ["block"] * 4 + ["review"] * 2 + ["allow"] * 2


@pytest.fixture
def source(wildlife_model, tmp_path):
    """Eight real photos in two folders plus a corrupt and an empty file: ``animal/`` holds
    four the model blocks (ivory), ``drink/`` two it reviews and two it allows (other)."""
    root = tmp_path / "source"
    chosen = {
        "animal": wildlife_model.photos("block", 4),
        "drink": wildlife_model.photos("review", 2) + wildlife_model.photos("allow", 2),
    }
    for folder, photos in chosen.items():
        (root / folder).mkdir(parents=True)
        for i, photo in enumerate(photos):
            shutil.copy(photo, root / folder / f"{i:02d}.jpg")
    (root / "drink" / "corrupt.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    (root / "empty.png").write_bytes(b"")
    return root


def read_rows(path):
    if path.suffix == ".csv":
        with open(path, newline="") as handle:
            return list(csv.DictReader(handle))
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_row_per_image_in_order_with_error_rows(classifier, source, tmp_path):
    output = tmp_path / "out.jsonl"
    summary = scan(source, output, classifier, batch_size=3, progress=False)
    rows = read_rows(output)
    expected = [str(source / "animal" / p) for p in sorted(os.listdir(source / "animal"))]
    expected += [str(source / "drink" / p) for p in sorted(os.listdir(source / "drink"))]
    expected += [str(source / "empty.png")]
    assert [row["listing_id"] for row in rows] == expected
    assert [row["path"] for row in rows] == expected
    assert set(rows[0]) == {
        "listing_id", "path", "label", "score", "decision", "error", "model_version"
    }  # fmt: skip
    bad = {row["path"]: row for row in rows if row["error"]}
    assert set(bad) == {str(source / "drink" / "corrupt.jpg"), str(source / "empty.png")}
    assert all(r["decision"] == "error" and r["label"] is None for r in bad.values())
    good = [row for row in rows if not row["error"]]
    assert [row["label"] for row in good] == ["ivory"] * 4 + ["other"] * 4
    assert [row["decision"] for row in good] == SOURCE_DECISIONS
    assert all(row["model_version"] == classifier.spec.version for row in rows)
    first = classifier.predict(good[0]["path"])
    assert good[0]["score"] == pytest.approx(first.score, abs=1e-5)
    assert (summary.total, summary.scanned, summary.skipped, summary.errors) == (10, 10, 0, 2)
    assert summary.decisions == {"block": 4, "review": 2, "allow": 2, "error": 2}
    assert "decisions: allow 2, block 4, error 2, review 2; errors 2" in summary.report()


def test_resume_predicts_only_the_missing_rows(classifier, source, tmp_path):
    output = tmp_path / "out.jsonl"
    scan(source, output, classifier, batch_size=4, progress=False)
    complete = output.read_text()
    lines = complete.splitlines(keepends=True)
    output.write_text("".join(lines[:6]) + lines[6][:25])  # killed while writing row 7
    summary = scan(source, output, classifier, batch_size=4, progress=False)
    assert (summary.skipped, summary.scanned, summary.total) == (6, 4, 10)
    assert output.read_text() == complete
    again = scan(source, output, classifier, progress=False)
    assert (again.skipped, again.scanned) == (10, 0) and output.read_text() == complete


def test_csv_output_holds_the_same_rows(classifier, source, tmp_path):
    scan(source, tmp_path / "out.jsonl", classifier, progress=False)
    scan(source, tmp_path / "out.csv", classifier, progress=False)
    as_json, as_csv = read_rows(tmp_path / "out.jsonl"), read_rows(tmp_path / "out.csv")
    assert [r["path"] for r in as_csv] == [r["path"] for r in as_json]
    assert [r["decision"] for r in as_csv] == [r["decision"] for r in as_json]
    assert [float(r["score"] or 0) for r in as_csv] == [r["score"] or 0 for r in as_json]
    assert [r["error"] or None for r in as_csv] == [r["error"] for r in as_json]


def test_listing_table_keeps_each_listing_image_pair_once(classifier, source, tmp_path):
    photos = sorted(str(p.relative_to(source)) for p in source.rglob("*.jpg"))[:2]
    table = source / "listings.csv"
    table.write_text(
        "listing_id,path\n"
        f"L1,{photos[0]}\nL1,{photos[1]}\nL2,{photos[0]}\nL1,{photos[0]}\nL3,missing.jpg\n"
    )
    summary = scan(table, tmp_path / "out.csv", classifier, progress=False)
    rows = read_rows(tmp_path / "out.csv")
    assert [(r["listing_id"], r["path"]) for r in rows] == [
        ("L1", str(source / photos[0])),
        ("L1", str(source / photos[1])),
        ("L2", str(source / photos[0])),
        ("L3", str(source / "missing.jpg")),
    ]
    assert "no such image file" in rows[3]["error"]
    assert (summary.total, summary.duplicates, summary.scanned) == (5, 1, 4)


def test_path_list_source(classifier, source, tmp_path):
    paths = source / "paths.txt"
    paths.write_text("animal/00.jpg\n# comment\n\ndrink/corrupt.jpg\n")
    summary = scan(paths, tmp_path / "out.jsonl", classifier, progress=False)
    rows = read_rows(tmp_path / "out.jsonl")
    assert [r["listing_id"] for r in rows] == [
        str(source / "animal" / "00.jpg"),
        str(source / "drink" / "corrupt.jpg"),
    ]
    assert rows[0]["label"] == "ivory" and rows[0]["decision"] == "block"
    assert rows[1]["error"] and rows[1]["decision"] == "error" and summary.errors == 1


def test_hash_list_matches_are_reported_with_their_distance(classifier, source, tmp_path):
    pytest.importorskip("imagehash")
    from wildvision.hashes import build_hash_list

    known = tmp_path / "known" / "ivory"
    known.mkdir(parents=True)
    Image.open(skimage_photo("astronaut.png")).convert("RGB").save(known / "seized.jpg")
    shutil.copy(source / "drink" / "03.jpg", known / "allowed.jpg")  # the model allows it
    hash_list, _ = build_hash_list(known.parent)
    shutil.copy(known / "seized.jpg", source / "drink" / "same.jpg")
    copy = Image.open(known / "seized.jpg").resize((256, 256))
    copy.save(source / "animal" / "reposted.jpg", quality=40)
    output = tmp_path / "out.jsonl"
    summary = scan(source, output, classifier, hashes=hash_list, progress=False)
    rows = {str(Path(r["path"]).relative_to(source)): r for r in read_rows(output)}
    assert rows["drink/same.jpg"]["hash_match"] is True
    assert rows["drink/same.jpg"]["hash_distance"] == 0
    assert rows["animal/reposted.jpg"]["hash_label"] == "ivory"
    assert rows["animal/reposted.jpg"]["hash_distance"] <= 10
    assert rows["animal/01.jpg"]["hash_match"] is False
    assert rows["animal/01.jpg"]["hash_label"] is rows["animal/01.jpg"]["hash_distance"] is None
    assert rows["animal/01.jpg"]["hash_list"] is None
    assert rows["drink/corrupt.jpg"]["hash_match"] is None
    assert summary.hash_matches == 3
    assert "known-image matches: 3 (list 'known', each raised to at least review)" in (
        summary.report()
    )
    # a known image the model allows is raised to the list's decision, named by the list
    allowed = rows["drink/03.jpg"]
    assert allowed["hash_match"] is True and allowed["hash_list"] == "known"
    assert classifier.predict(source / "drink" / "03.jpg").decision == "allow"
    assert allowed["decision"] == "review"
    assert rows["animal/01.jpg"]["decision"] == "block"  # no match: the model's own
    assert rows["drink/02.jpg"]["decision"] == "allow"
    blocking = replace(hash_list, name="seized-2026", decision="block")
    scan(source, tmp_path / "block.csv", classifier, hashes=blocking, progress=False)
    again = {str(Path(r["path"]).relative_to(source)): r for r in read_rows(tmp_path / "block.csv")}
    assert again["drink/03.jpg"]["decision"] == "block"
    assert again["drink/03.jpg"]["hash_list"] == "seized-2026"
    assert again["drink/02.jpg"]["decision"] == "allow"
    with pytest.raises(ScanError, match="re-run with the same options"):
        scan(source, output, classifier, progress=False)  # resume without --hashes


def test_bad_source_and_output_fail_before_any_work(classifier, source, tmp_path):
    with pytest.raises(ScanError, match="no such folder or file"):
        scan(tmp_path / "nope", tmp_path / "out.jsonl", classifier, progress=False)
    no_model = tmp_path / "none.onnx"  # checked last: each error below comes first
    with pytest.raises(ScanError, match="name the output .jsonl or .csv"):
        scan(source, tmp_path / "out.parquet", no_model, progress=False)
    with pytest.raises(HashListError, match="no such hash list"):
        scan(source, tmp_path / "out.jsonl", no_model, hashes=tmp_path / "x.json")
    with pytest.raises(ModelError, match="does not exist"):
        scan(source, tmp_path / "out.jsonl", no_model)
    assert not (tmp_path / "out.jsonl").exists()


def test_cli_scan_prints_a_summary_and_reports_bad_sources(classifier, source, tmp_path, capsys):
    output = tmp_path / "out.csv"
    args = ["scan", str(source), "-o", str(output), "--model", str(classifier.model_path)]
    assert main([*args, "--batch-size", "4"]) == 0
    captured = capsys.readouterr()
    assert "scanned 10 images in" in captured.out
    assert "decisions: allow 2, block 4, error 2, review 2; errors 2" in captured.out
    assert "scan source:" not in captured.err  # no progress bar: stderr is not a terminal
    assert len(read_rows(output)) == 10
    assert main(["scan", str(tmp_path / "nope.csv"), "-o", str(output)]) == 2
    assert "no such folder or file" in capsys.readouterr().err
    model = ["--model", str(classifier.model_path)]
    with terminal_stderr() as stderr:  # on a terminal: a bar over the 10 photos
        assert main(["scan", str(source), "-o", str(tmp_path / "bar.jsonl"), *model]) == 0
    assert "scan source:" in stderr.getvalue() and "/10" in stderr.getvalue()
    with terminal_stderr() as stderr:
        quiet = ["scan", str(source), "-o", str(tmp_path / "quiet.jsonl"), "--no-progress"]
        assert main([*quiet, *model]) == 0
    assert "scan source:" not in stderr.getvalue()


def test_an_empty_source_is_an_error_before_any_work(classifier, tmp_path, capsys):
    empty = tmp_path / "photos"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "notes.txt").write_text("no photos")
    output = tmp_path / "out.jsonl"
    with pytest.raises(ScanError, match="no image files below it"):
        scan(empty, output, classifier, progress=False)
    table = tmp_path / "listings.csv"
    table.write_text("listing_id,path\n")
    with pytest.raises(ScanError, match="no photos listed"):
        scan(table, output, classifier, progress=False)
    assert main(["scan", str(empty), "-o", str(output)]) == 2
    assert "no image files below it" in capsys.readouterr().err
    assert not output.exists()


#: Fetching from the loopback test server, quickly.
FETCH = FetchOptions(allow_private=True, timeout=0.5)


@pytest.fixture
def url_listings(wildlife_model, photo_server, tmp_path):
    """A listings table of photos at URLs, the same photos on disk, and URLs that fail."""
    blocked = wildlife_model.photos("block", 1)[0]
    allowed = tmp_path / "allowed.png"
    Image.open(wildlife_model.photos("allow", 1)[0]).save(allowed)
    rows = [
        ("L1", photo_server.add("/blocked.jpg", blocked.read_bytes(), "image/jpeg")),
        ("L1", str(blocked)),
        ("L2", photo_server.url("/missing")),
        ("L3", photo_server.url("/page")),
        ("L4", photo_server.add("/allowed.png", allowed.read_bytes(), "image/png")),
        ("L4", str(allowed)),
        ("L5", photo_server.url("/delay/3000")),
        ("L6", photo_server.add("/fake.png", b"<html>a page</html>", "image/png")),
    ]
    table = tmp_path / "listings.csv"
    table.write_text("listing_id,path\n" + "".join(f"{i},{p}\n" for i, p in rows))
    return table


def test_photos_at_urls_score_as_files_and_failures_are_error_rows(
    classifier, url_listings, tmp_path
):
    output = tmp_path / "out.jsonl"
    summary = scan(url_listings, output, classifier, batch_size=3, progress=False, fetch=FETCH)
    rows = read_rows(output)
    assert [r["listing_id"] for r in rows] == ["L1", "L1", "L2", "L3", "L4", "L4", "L5", "L6"]
    for url_row, file_row, decision in ((rows[0], rows[1], "block"), (rows[4], rows[5], "allow")):
        assert url_row["score"] == pytest.approx(file_row["score"], abs=1e-5)
        assert url_row["label"] == file_row["label"]
        assert url_row["decision"] == file_row["decision"] == decision
    failed = [rows[i] for i in (2, 3, 6, 7)]
    assert [r["decision"] for r in failed] == ["error"] * 4
    assert all(r["label"] is None and r["score"] is None for r in failed)
    assert "HTTP 404 Not Found" in failed[0]["error"]
    assert "sent 'text/html', not an image" in failed[1]["error"]
    assert "no complete answer within 0.5 s" in failed[2]["error"]
    assert failed[3]["error"].startswith(f"{failed[3]['path']}: not a recognised image format")
    assert (summary.scanned, summary.errors) == (8, 4)


def test_a_resumed_scan_does_not_fetch_again(classifier, url_listings, photo_server, tmp_path):
    output = tmp_path / "out.jsonl"
    scan(url_listings, output, classifier, progress=False, fetch=FETCH)
    lines = output.read_text().splitlines(keepends=True)
    output.write_text("".join(lines[:4]))  # killed after the fourth row
    summary = scan(url_listings, output, classifier, progress=False, fetch=FETCH)
    assert (summary.skipped, summary.scanned) == (4, 4)
    requests = photo_server.requests
    assert [requests[p] for p in ("/blocked.jpg", "/missing", "/page")] == [1, 1, 1]
    assert [requests[p] for p in ("/allowed.png", "/delay/3000", "/fake.png")] == [2, 2, 2]
    assert len(read_rows(output)) == 8


def test_a_scan_refuses_loopback_urls_by_default(classifier, photo_server, tmp_path):
    table = tmp_path / "listings.jsonl"
    table.write_text(json.dumps({"listing_id": "L1", "image": photo_server.add("/a.png", PNG)}))
    summary = scan(table, tmp_path / "out.jsonl", classifier, progress=False)
    [row] = read_rows(tmp_path / "out.jsonl")
    assert row["decision"] == "error" and "127.0.0.1 is a loopback address" in row["error"]
    assert summary.errors == 1 and photo_server.requests["/a.png"] == 0


def test_hash_matches_use_the_fetched_photo(classifier, url_listings, wildlife_model, tmp_path):
    pytest.importorskip("imagehash")
    from wildvision.hashes import build_hash_list

    known = tmp_path / "known" / "ivory"
    known.mkdir(parents=True)
    shutil.copy(wildlife_model.photos("block", 1)[0], known / "seized.jpg")
    hash_list, _ = build_hash_list(known.parent)
    output = tmp_path / "out.jsonl"
    scan(url_listings, output, classifier, hashes=hash_list, progress=False, fetch=FETCH)
    rows = read_rows(output)
    assert [r["hash_distance"] for r in rows[:2]] == [0, 0]
    assert rows[2]["hash_match"] is None and rows[4]["hash_match"] is False


def test_cli_predict_reads_urls_and_names_a_bad_one(classifier, url_listings, photo_server, capsys):
    good, bad = photo_server.url("/blocked.jpg"), photo_server.url("/missing")
    model = ["--model", str(classifier.model_path)]
    assert main(["predict", good, bad, *model, "--allow-private-urls"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{good}\tivory\t") and lines[0].endswith("\tblock")
    assert lines[1].startswith(f"{bad}\terror\t{bad}: HTTP 404")
    assert main(["predict", good, *model, "--allow-private-urls", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["source"] == good
    assert main(["predict", good, *model, "--fetch-timeout", "0.5"]) == 1
    assert "127.0.0.1 is a loopback address" in capsys.readouterr().out


def make_listing_photos(folder, count):
    """``count`` small JPEGs (64 px crops of a real photo) plus three unreadable files."""
    photo = np.asarray(Image.open(skimage_photo("astronaut.png")).convert("RGB"))
    rng = np.random.default_rng(0)
    for i in range(count):
        x, y = rng.integers(0, 512 - 128, size=2)
        crop = Image.fromarray(photo[y : y + 128, x : x + 128]).resize((64, 64))
        sub = folder / f"{i % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        crop.save(sub / f"{i:05d}.jpg", quality=80)
    (folder / "0" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut")
    (folder / "5" / "empty.jpg").write_bytes(b"")
    (folder / "9" / "text.png").write_text("hello")
    return count + 3


def kill_and_resume(tiny_model, tmp_path, count):
    source, output = tmp_path / "listings", tmp_path / "results.jsonl"
    total = make_listing_photos(source, count)
    command = [
        sys.executable, "-m", "wildvision", "scan", str(source), "-o", str(output),
        "--model", str(tiny_model), "--batch-size", "16",
    ]  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if output.exists() and output.read_bytes().count(b"\n") >= total // 3:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    at_kill = output.read_bytes().count(b"\n")
    assert total // 3 <= at_kill < total, "the scan must be killed part-way"
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"skipped {at_kill} already done" in done.stdout
    lines = output.read_text().splitlines()
    rows = [json.loads(line) for line in lines]  # every line parses
    ids = [row["listing_id"] for row in rows]
    assert len(ids) == total and len(set(ids)) == total
    assert set(ids) == {str(p) for p in source.rglob("*") if p.is_file()}
    assert sum(row["decision"] == "error" for row in rows) == 3


def test_killed_scan_resumes_to_exactly_one_row_per_input(tiny_model, tmp_path):
    kill_and_resume(tiny_model, tmp_path, count=300)


@pytest.mark.slow
def test_killed_scan_of_two_thousand_images_resumes_exactly(tiny_model, tmp_path):
    kill_and_resume(tiny_model, tmp_path, count=2000)
