"""triage: reported listings ranked likeliest wildlife first, a queue that `report` reads,
photos at URLs included (fetched from a local server), and the CLI."""

from __future__ import annotations

import csv
import json
import re
import shutil

import pytest

from wildvision import Classifier, ScanError
from wildvision.cli import main
from wildvision.fetching import FetchOptions
from wildvision.review import write_review_report
from wildvision.scanning import scan
from wildvision.triage import QUEUE_COLUMNS, triage

FETCH = FetchOptions(allow_private=True, timeout=0.5)


@pytest.fixture(scope="module")
def classifier(wildlife_model):
    return Classifier(wildlife_model.path)


@pytest.fixture
def reports(wildlife_model, photo_server, tmp_path):
    """Reported listings out of rank order: photos the model allows, blocks and reviews,
    some at URLs, with an unreadable file and a dead link among them."""
    folder = tmp_path / "photos"
    folder.mkdir()
    block, review, allow = (wildlife_model.photos(d, 2) for d in ("block", "review", "allow"))
    for photo in (*block, *review, *allow):
        shutil.copy(photo, tmp_path / f"photos/{photo.parent.name}-{photo.name}")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 cut")
    url = photo_server.add("/ivory.jpg", block[1].read_bytes(), "image/jpeg")

    def name(photo):
        return f"photos/{photo.parent.name}-{photo.name}"

    rows = [
        ("R1", name(allow[0])),
        ("R2", photo_server.url("/missing")),
        ("R3", name(review[0])),
        ("R4", name(block[0])),
        ("R5", "photos/broken.jpg"),
        ("R6", name(allow[1])),
        ("R7", url),
        ("R8", photo_server.add("/review.jpg", review[1].read_bytes(), "image/jpeg")),
    ]
    table = tmp_path / "reports.csv"
    table.write_text("listing_id,image\n" + "".join(f"{i},{p}\n" for i, p in rows))
    return table


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_queue_puts_the_likeliest_wildlife_first_and_errors_last(classifier, reports, tmp_path):
    queue = tmp_path / "queue.jsonl"
    summary = triage(reports, queue, classifier, fetch=FETCH)
    rows = read_jsonl(queue)
    decisions = ["block"] * 2 + ["review"] * 2 + ["allow"] * 2 + ["error"] * 2
    assert [r["decision"] for r in rows] == decisions
    assert {r["listing_id"] for r in rows[:2]} == {"R4", "R7"}
    assert [r["listing_id"] for r in rows[-2:]] == ["R2", "R5"]  # errors keep report order
    scores = [r["wildlife_score"] for r in rows[:-2]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.5 > scores[-1]
    assert all(r["wildlife_score"] is None and r["error"] for r in rows[-2:])
    assert all(list(r) == list(QUEUE_COLUMNS) for r in rows)
    assert all(r["model_version"] == classifier.spec.version for r in rows)
    assert summary.output == str(queue) and (summary.scanned, summary.errors) == (8, 2)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # work file


def test_the_queue_feeds_the_review_page_with_photos_fetched(classifier, reports, tmp_path):
    queue = tmp_path / "queue.csv"
    triage(reports, queue, classifier, fetch=FETCH)
    page = tmp_path / "page.html"
    everything = ("block", "review", "allow", "error")
    assert write_review_report(queue, page, explain=False, decisions=everything, fetch=FETCH) == 8
    html = page.read_text()
    assert html.count('<img class="photo"') == 6  # two URL photos among them
    assert "HTTP 404 Not Found" in html and html.count("Image unreadable now") == 2
    with queue.open(newline="") as handle:
        queued = [row["listing_id"] for row in csv.DictReader(handle)]
    shown = re.findall(r'data-listing-id="(R\d)"', html)
    assert shown[:6] == queued[:6]  # the page keeps the queue's order: likeliest wildlife first
    write_review_report(queue, page, explain=False, decisions=everything)  # loopback refused
    html = page.read_text()
    assert html.count('<img class="photo"') == 4 and html.count("loopback address") == 3


def test_a_killed_triage_resumes_and_keeps_only_these_reports(classifier, reports, tmp_path):
    queue = tmp_path / "queue.jsonl"
    work = tmp_path / ".queue.jsonl.partial.jsonl"
    first = tmp_path / "first.csv"
    lines = reports.read_text().splitlines(keepends=True)
    first.write_text("".join(lines[:4]) + "R9,photos/broken.jpg\n")  # R9: not in the reports
    scan(first, work, classifier, progress=False, fetch=FETCH, wildlife_score=True)
    summary = triage(reports, queue, classifier, fetch=FETCH)
    assert (summary.skipped, summary.scanned) == (3, 5)
    assert sorted(r["listing_id"] for r in read_jsonl(queue)) == [f"R{i}" for i in range(1, 9)]
    assert not work.exists()


def test_a_queue_of_unknown_format_fails_before_scoring(reports, tmp_path):
    with pytest.raises(ScanError, match="name the queue .jsonl or .csv"):
        triage(reports, tmp_path / "queue.parquet", tmp_path / "no-model.onnx")


def test_cli_triage_then_report(classifier, reports, tmp_path, capsys):
    queue, page = tmp_path / "queue.jsonl", tmp_path / "page.html"
    args = ["triage", str(reports), "-o", str(queue), "--model", str(classifier.model_path)]
    args += ["--no-progress", "--fetch-timeout", "0.5", "--fetch-workers", "2"]
    assert main([*args, "--allow-private-urls"]) == 0
    out = capsys.readouterr().out
    assert "scanned 8 images" in out and f"wildvision report {queue}" in out
    assert [r["decision"] for r in read_jsonl(queue)][:2] == ["block", "block"]
    report = ["report", str(queue), "-o", str(page), "--no-heatmaps", "--allow-private-urls"]
    assert main(report) == 0
    assert "wrote" in capsys.readouterr().out and page.read_text().count('<img class="photo"') == 4
    assert main(["triage", str(reports), "-o", str(tmp_path / "q.txt")]) == 2
    assert "name the queue .jsonl or .csv" in capsys.readouterr().err
