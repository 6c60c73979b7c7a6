"""The review report: flagged rows only, highest score first, thumbnails and heatmaps
embedded, text escaped, nothing fetched from outside; and it opens in a real browser."""

from __future__ import annotations

import base64
import io
import json
import random
import re
import shutil
import subprocess
import warnings
from html.parser import HTMLParser

import pytest
from PIL import Image

from tests.conftest import skimage_photo
from wildvision import Classifier, ScanError
from wildvision.cli import main
from wildvision.results import ResultsFile
from wildvision.review_page import write_review_report
from wildvision.scanning import COLUMNS, HASH_COLUMNS

NASTY_ID = '<script>alert("x")</script> & co'


@pytest.fixture(scope="module")
def classifier(tiny_model):
    return Classifier(tiny_model)


@pytest.fixture
def scan_results(tmp_path, classifier):
    """A hand-written results file (the tiny model flags nothing by itself): two photos
    that still exist, one that is gone, one that became corrupt, and allow/error rows."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("chelsea", "coffee", "astronaut"):
        Image.open(skimage_photo(f"{name}.png")).convert("RGB").save(photos / f"{name}.jpg")
    (photos / "corrupt.jpg").write_bytes(b"\xff\xd8 no longer a jpeg")
    version = classifier.spec.version
    rows = [
        ("l1", "photos/coffee.jpg", "drink", 0.71, "review"),
        (NASTY_ID, "photos/chelsea.jpg", "animal", 0.97, "block"),
        ("l3", "photos/astronaut.jpg", "animal", 0.99, "allow"),
        ("l4", "photos/gone.jpg", "animal", 0.88, "review"),
        ("l5", "photos/corrupt.jpg", "drink", 0.62, "block"),
        ("l6", "photos/missing.jpg", None, None, "error"),
    ]
    path = tmp_path / "results.jsonl"
    with ResultsFile(path, COLUMNS) as results:
        results.append(
            [
                dict(zip(COLUMNS, (lid, p, label, score, decision, None, version)))
                for lid, p, label, score, decision in rows
            ]
        )
    return path


class Page(HTMLParser):
    """The parts of the page the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.items: list[dict] = []
        self.urls: list[str] = []
        self.warnings = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [v for k, v in attrs.items() if k in ("src", "href") and v]
        if tag == "article":
            self.items.append({"class": attrs["class"].split(), "images": {}, "notes": 0})
        elif tag == "img" and self.items:
            self.items[-1]["images"][attrs["class"]] = attrs["src"]
        elif tag == "p" and attrs.get("class") == "note":
            self.items[-1]["notes"] += 1
        elif tag == "p" and attrs.get("class") == "warning":
            self.warnings += 1


def decode(uri: str) -> Image.Image:
    assert uri.startswith("data:image/jpeg;base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_flagged_rows_highest_score_first_with_photo_and_heatmap(
    scan_results, classifier, tmp_path
):
    output = tmp_path / "review" / "report.html"
    assert write_review_report(scan_results, output, classifier) == 4
    text = output.read_text(encoding="utf-8")
    page = Page(text)
    decisions = [item["class"][1] for item in page.items]
    assert decisions == ["block", "review", "review", "block"]  # 0.97, 0.88, 0.71, 0.62
    scores = [float(s) for s in re.findall(r"<dt>score</dt><dd>([0-9.]+)</dd>", text)]
    assert scores == sorted(scores, reverse=True) == [0.97, 0.88, 0.71, 0.62]
    cat, gone, coffee, corrupt = page.items
    for item in (cat, coffee):
        assert set(item["images"]) == {"photo", "heatmap"} and item["notes"] == 0
        assert decode(item["images"]["heatmap"]).size == (224, 224)
        assert max(decode(item["images"]["photo"]).size) == 240
    for item in (gone, corrupt):  # unreadable now: a note, no pictures
        assert item["images"] == {} and item["notes"] == 1
    assert "no such image file" in text and "not a recognised image" in text
    visible = re.sub(r"data:[^\"]+", "", text)
    assert "astronaut" not in visible and ">l6<" not in visible  # allow, error rows left out
    assert "where the model looks for animal" in text and "looks for drink" in text
    assert "4 highest-scoring of 4 block / review rows" in text
    assert "6 rows: allow 1 · block 2 · error 1 · review 2" in text
    assert page.warnings == 0


def test_text_is_escaped_and_nothing_is_fetched_from_outside(scan_results, classifier, tmp_path):
    output = tmp_path / "report.html"
    write_review_report(scan_results, output, classifier, limit=1)
    text = output.read_text(encoding="utf-8")
    assert NASTY_ID not in text and "<script" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in text
    urls = Page(text).urls
    assert urls and all(url.startswith("data:image/") for url in urls)
    assert not re.search(r"https?://|url\(|@import", text)


def test_limit_keeps_the_top_rows_of_a_long_file(tmp_path):
    """A heap keeps the best few of many rows; ties keep file order."""
    scores = [random.Random(i).random() for i in range(3000)]
    path = tmp_path / "big.jsonl"
    with ResultsFile(path, COLUMNS) as results:
        results.append(
            [
                dict(zip(COLUMNS, (f"l{i}", f"p{i}.jpg", "ivory", s, "review", None, "1")))
                for i, s in enumerate([*scores, 2.0, 2.0])
            ]
        )
    output = tmp_path / "report.html"
    assert write_review_report(path, output, explain=False, limit=5) == 5
    text = output.read_text(encoding="utf-8")
    shown = re.findall(r"<dt>listing</dt><dd>(l\d+)</dd>", text)
    best = sorted(range(3000), key=lambda i: -scores[i])[:3]
    assert shown == ["l3000", "l3001", *(f"l{i}" for i in best)]
    assert "(2997 more not shown: raise the limit)" in text
    assert "Heatmaps: off" in text


def test_csv_results_relative_paths_and_hash_matches(tmp_path):
    photo = tmp_path / "listing" / "cat.jpg"
    photo.parent.mkdir()
    Image.open(skimage_photo("chelsea.png")).convert("RGB").save(photo)
    path = tmp_path / "results.csv"
    columns = COLUMNS + HASH_COLUMNS
    rows = [
        ("a", "listing/cat.jpg", "ivory", 0.9, "block", None, "1", True, "ivory", 6),
        ("b", "listing/cat.jpg", "ivory", 0.5, "review", None, "1", False, None, None),
    ]
    with ResultsFile(path, columns) as results:
        results.append([dict(zip(columns, row)) for row in rows])
    output = tmp_path / "out" / "report.html"
    assert write_review_report(path, output, explain=False) == 2
    text = output.read_text(encoding="utf-8")
    assert "match: ivory, distance 6 of 128 bits" in text and "no match" in text
    items = Page(text).items
    assert [set(item["images"]) for item in items] == [{"photo"}, {"photo"}]  # found beside
    assert "0.9000" in text and "0.5000" in text


def test_a_different_model_version_is_warned_about(scan_results, tiny_model, tmp_path):
    text = scan_results.read_text().replace('"model_version": "', '"model_version": "old-')
    scan_results.write_text(text)
    output = tmp_path / "report.html"
    with pytest.warns(UserWarning, match="explain a different model"):
        write_review_report(scan_results, output, tiny_model, limit=1)
    page = output.read_text(encoding="utf-8")
    assert Page(page).warnings == 1 and "version(s) old-" in page


def test_rows_without_a_model_version_raise_no_warning(scan_results, classifier, tmp_path):
    text = scan_results.read_text().replace(f'"{classifier.spec.version}"', "null")
    scan_results.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_review_report(scan_results, tmp_path / "report.html", classifier, limit=1)
    assert "Model versions in the results: (none) (6)" in (tmp_path / "report.html").read_text()


def test_bad_arguments_and_files_are_refused(scan_results, tmp_path):
    output = tmp_path / "report.html"
    with pytest.raises(ValueError, match="unknown decisions"):
        write_review_report(scan_results, output, decisions=["blocked"], explain=False)
    with pytest.raises(ValueError, match="limit must be at least 1"):
        write_review_report(scan_results, output, limit=0, explain=False)
    with pytest.raises(ScanError, match="no such results file"):
        write_review_report(tmp_path / "none.jsonl", output, explain=False)
    assert not output.exists()


def test_the_cli_writes_the_page_and_prints_warnings(scan_results, tiny_model, tmp_path, capsys):
    output = tmp_path / "report.html"
    args = ["report", str(scan_results), "-o", str(output), "--model", str(tiny_model)]
    assert main([*args, "--limit", "2"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {output}: 2 items"
    scan_results.write_text(
        scan_results.read_text().replace('"model_version": "', '"model_version": "9')
    )
    assert main([*args, "--decisions", "allow", "--no-heatmaps"]) == 0
    assert "warning" not in capsys.readouterr().err  # no model loaded, nothing to compare
    assert main([*args, "--limit", "1"]) == 0
    assert capsys.readouterr().err.startswith("warning: the results were made by model")
    assert main(["report", str(tmp_path / "none.csv"), "-o", str(output), "--no-heatmaps"]) == 2


def chromium() -> str | None:
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    return next((path for name in names if (path := shutil.which(name))), None)


#: Added to a copy of the page for the browser test only: after load, write what each image
#: decoded to into the DOM, where --dump-dom can read it back.
PROBE = """<script>addEventListener('load', () => {
  const p = document.createElement('pre'); p.id = 'probe';
  p.textContent = JSON.stringify([...document.images].map(
    i => [i.className, i.complete, i.naturalWidth, i.naturalHeight]));
  document.body.appendChild(p);
});</script>"""


def test_the_page_opens_in_headless_chromium(scan_results, classifier, tmp_path):
    browser = chromium()
    if browser is None:
        pytest.skip("no chromium, chromium-browser or google-chrome on PATH")
    output = tmp_path / "report.html"
    write_review_report(scan_results, output, classifier)
    probe = tmp_path / "probe.html"
    probe.write_text(output.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"))
    flags = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--window-size=1200,2000"]
    flags.append(f"--user-data-dir={tmp_path / 'profile'}")
    screenshot = tmp_path / "page.png"
    run = {"capture_output": True, "text": True, "timeout": 120, "check": True}
    subprocess.run([*flags, f"--screenshot={screenshot}", output.as_uri()], **run)
    shot = Image.open(screenshot).convert("L")
    assert shot.size == (1200, 2000)
    assert shot.getextrema()[0] < 100  # more than a blank page was painted
    dom = subprocess.run([*flags, "--dump-dom", probe.as_uri()], **run).stdout
    assert dom.count('<article class="item') == 4
    decoded = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom).group(1))
    assert [kind for kind, *_ in decoded] == ["photo", "heatmap"] * 2
    assert all(done and width > 0 and height > 0 for _, done, width, height in decoded)
    assert [w for kind, _, w, _ in decoded if kind == "heatmap"] == [224, 224]
