"""The review report: flagged rows only, highest score first, thumbnails and heatmaps
embedded, text escaped, nothing fetched from outside; it opens in a real browser, where
reviewers' verdicts survive a reload and download as verdicts.csv."""

from __future__ import annotations

import base64
import csv
import io
import json
import random
import re
import shutil
import subprocess
import warnings
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import skimage_photo
from wildvision import Classifier, ScanError
from wildvision.cli import main
from wildvision.results import ResultsFile
from wildvision.review_page import write_review_report
from wildvision.scanning import COLUMNS, HASH_COLUMNS
from wildvision.verdicts import VERDICT_COLUMNS, read_verdicts

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
        self.main: dict = {}
        self.urls: list[str] = []
        self.warnings = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [v for k, v in attrs.items() if k in ("src", "href") and v]
        if tag == "main":
            self.main = attrs
        if tag == "article":
            self.items.append(
                {"class": attrs["class"].split(), "images": {}, "notes": 0, "data": attrs}
            )
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
    assert NASTY_ID not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in text
    # one inline script (the verdicts'), last in the body, with nothing that closes it early
    assert text.count("<script") == 1 and text.count("</script>") == 1
    script = text.split("<script>", 1)[1].split("</script>", 1)[0]
    assert "</" not in script and text.endswith("</script>\n</body>\n</html>\n")
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


def test_cards_carry_their_row_and_the_model_labels_are_offered(scan_results, classifier, tmp_path):
    output = tmp_path / "report.html"
    write_review_report(
        scan_results, output, classifier, explain=False, extra_labels=["pangolin_scale", "drink"]
    )
    page = Page(output.read_text(encoding="utf-8"))
    assert list(classifier.spec.labels) == ["animal", "drink"]
    assert json.loads(page.main["data-labels"]) == ["animal", "drink", "pangolin_scale"]
    assert json.loads(page.main["data-columns"]) == list(VERDICT_COLUMNS)
    cat = page.items[0]["data"]
    assert (cat["data-listing-id"], cat["data-path"]) == (NASTY_ID, "photos/chelsea.jpg")
    assert (cat["data-label"], cat["data-score"]) == ("animal", "0.97")
    assert cat["data-model-version"] == classifier.spec.version


def test_without_a_model_the_results_labels_are_offered_and_the_page_id_follows_the_rows(
    scan_results, tmp_path
):
    first, second, fewer = (tmp_path / f"{name}.html" for name in ("a", "b", "c"))
    write_review_report(scan_results, first, explain=False, extra_labels=["ivory"])
    write_review_report(scan_results, second, explain=False, extra_labels=["ivory"])
    write_review_report(scan_results, fewer, explain=False, limit=2)
    pages = [Page(path.read_text(encoding="utf-8")).main for path in (first, second, fewer)]
    assert json.loads(pages[0]["data-labels"]) == ["animal", "drink", "ivory"]
    assert pages[0]["data-page-id"] == pages[1]["data-page-id"] != pages[2]["data-page-id"]


def browser_results(tmp_path: Path) -> tuple[Path, list[str]]:
    """A results file whose paths need CSV quoting (comma, quote, newline), one absolute, one
    of a photo that is gone; the paths as written in it, highest score first."""
    photos = tmp_path / "photos"
    photos.mkdir()
    cat = Image.open(skimage_photo("chelsea.png")).convert("RGB").resize((96, 64))
    for name in ('a,"b".jpg', "new\nline.jpg", "cat.jpg"):
        cat.save(photos / name)
    paths = ['photos/a,"b".jpg', "photos/new\nline.jpg", str(photos / "cat.jpg")]
    paths += ["photos/cat.jpg", "photos/gone.jpg"]
    labels = ["ivory", "ivory", "rhino_horn", "ivory", "ivory"]
    rows = [
        dict(zip(COLUMNS, (lid, path, label, score, "block", None, "1")))
        for lid, path, label, score in zip(
            [NASTY_ID, "l2", "l3", "l4", "l5"], paths, labels, [0.95, 0.9, 0.8, 0.7, 0.6]
        )
    ]
    rows.append(dict(zip(COLUMNS, ("l6", "photos/cat.jpg", "other", 0.99, "allow", None, "1"))))
    results = tmp_path / "results.jsonl"
    with ResultsFile(results, COLUMNS) as file:
        file.append(rows)
    return results, paths


def test_verdicts_survive_a_reload_and_download_as_csv_in_chromium(tmp_path):
    """Buttons and keys give verdicts; a reload keeps them; the download is verdicts.csv
    with every reviewed row (paths as in the results file), which read_verdicts reads."""
    browser = chromium()
    if browser is None:
        pytest.skip("no chromium, chromium-browser or google-chrome on PATH")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
    )
    results, paths = browser_results(tmp_path)
    output = tmp_path / "review.html"
    write_review_report(results, output, explain=False, extra_labels=["pangolin_scale", "ivory"])
    fewer = tmp_path / "fewer.html"
    write_review_report(results, fewer, explain=False, limit=2)
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    with sync_api.sync_playwright() as playwright:
        engine = playwright.chromium.launch(
            executable_path=browser, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            tab = engine.new_context(accept_downloads=True).new_page()
            tab.set_default_timeout(10_000)
            errors: list = []
            tab.on("pageerror", lambda error: errors.append(error))
            tab.goto(output.as_uri())

            def card(rank: int):
                return tab.locator(f'article[data-rank="{rank}"]')

            def verdicts() -> list[str | None]:
                return [card(rank).get_attribute("data-verdict") for rank in range(1, 6)]

            counter = tab.locator("#reviewed-count")
            assert counter.inner_text() == "0 of 5 reviewed"
            card(1).locator("button[data-kind=correct]").click()
            card(2).locator("button[data-kind=other]").click()
            tab.keyboard.press("j")  # from card 2 (the last clicked) to card 3
            tab.keyboard.press("3")  # the third label offered: pangolin_scale; on to card 4
            tab.keyboard.press("u")  # card 4 unsure; on to card 5
            tab.keyboard.press("y")  # card 5: its label is right
            assert verdicts() == ["ivory", "other", "pangolin_scale", "unsure", "ivory"]
            assert counter.inner_text() == "5 of 5 reviewed"
            status = card(3).locator(".verdict-status").inner_text()
            assert status == "verdict: another label: pangolin_scale"

            tab.reload()
            assert verdicts() == ["ivory", "other", "pangolin_scale", "unsure", "ivory"]
            assert counter.inner_text() == "5 of 5 reviewed"
            pressed = card(2).locator("button[aria-pressed=true]")
            assert pressed.get_attribute("data-kind") == "other"
            card(5).locator("button[data-kind=clear]").click()
            card(2).locator('button[data-verdict="rhino_horn"]').click()  # changed
            assert counter.inner_text() == "4 of 5 reviewed"
            with tab.expect_download() as info:
                tab.click("#download-verdicts")
            download = info.value
            assert download.suggested_filename == "verdicts.csv"
            saved = results.parent / "verdicts.csv"  # beside the results, as the page says
            download.save_as(saved)

            tab.goto(fewer.as_uri())  # another page: its own verdicts, none yet
            assert tab.locator("#reviewed-count").inner_text() == "0 of 2 reviewed"
            assert errors == []
        finally:
            engine.close()

    text = saved.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(VERDICT_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["listing_id"] for row in rows] == [NASTY_ID, "l2", "l3", "l4"]
    assert [row["path"] for row in rows] == paths[:4]
    verdict_labels = ["ivory", "rhino_horn", "pangolin_scale", "unsure"]
    assert [row["verdict_label"] for row in rows] == verdict_labels
    assert [row["model_label"] for row in rows] == ["ivory", "ivory", "rhino_horn", "ivory"]
    assert [row["score"] for row in rows] == ["0.95", "0.9", "0.8", "0.7"]
    assert {row["model_version"] for row in rows} == {"1"}
    for row in rows:
        assert row["reviewed_at"].endswith("Z")
        moment = datetime.fromisoformat(row["reviewed_at"].replace("Z", "+00:00"))
        assert started <= moment <= datetime.now(timezone.utc)

    verdict_set = read_verdicts([saved])
    assert verdict_set.skipped_unsure == 1 and not verdict_set.conflicts
    photos = results.parent / "photos"
    expected = [photos / 'a,"b".jpg', photos / "new\nline.jpg", photos / "cat.jpg"]
    assert [Path(v.path) for v in verdict_set.verdicts] == expected
    assert all(Path(v.path).is_file() for v in verdict_set.verdicts)
