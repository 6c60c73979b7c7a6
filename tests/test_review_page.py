"""The review page, as written: the rows it keeps and their order (decision, then wildlife
score), thumbnails with heatmaps over them, known-image matches, text escaped and nothing
fetched from outside (the page in a browser: ``test_review_browser``)."""

from __future__ import annotations

import json
import random
import re
import warnings

import pytest

from tests.review_pages import NASTY_ID, Page, decode, save_photos, write_results
from wildvision import Classifier, ScanError
from wildvision.cli import main
from wildvision.review import write_review_report
from wildvision.scanning import COLUMNS, WILDLIFE_COLUMNS
from wildvision.verdicts import VERDICT_COLUMNS


@pytest.fixture(scope="module")
def classifier(tiny_model):
    return Classifier(tiny_model)


@pytest.fixture
def scan_results(tmp_path, classifier):
    """A hand-written results file (the tiny model flags nothing by itself): two photos
    that still exist, one that is gone, one that became corrupt, and allow/error rows."""
    save_photos(tmp_path / "photos", ["chelsea", "coffee", "astronaut"])
    (tmp_path / "photos" / "corrupt.jpg").write_bytes(b"\xff\xd8 no longer a jpeg")
    version = classifier.spec.version
    rows = [
        ("l1", "photos/coffee.jpg", "drink", 0.71, "review"),
        (NASTY_ID, "photos/chelsea.jpg", "animal", 0.97, "block"),
        ("l3", "photos/astronaut.jpg", "animal", 0.99, "allow"),
        ("l4", "photos/gone.jpg", "animal", 0.88, "review"),
        ("l5", "photos/corrupt.jpg", "drink", 0.62, "block"),
        ("l6", "photos/missing.jpg", None, None, "error"),
    ]
    rows = [
        (lid, p, label, score, decision, None, version) for lid, p, label, score, decision in rows
    ]
    return write_results(tmp_path / "results.jsonl", rows)


def test_flagged_rows_by_decision_then_score_with_photo_and_heatmap_layer(
    scan_results, classifier, tmp_path
):
    output = tmp_path / "review" / "report.html"
    assert write_review_report(scan_results, output, classifier) == 4
    text = output.read_text(encoding="utf-8")
    page = Page(text)
    decisions = [item["class"][1] for item in page.items]
    assert decisions == ["block", "block", "review", "review"]
    scores = [float(s) for s in re.findall(r"<dt>score</dt><dd>([0-9.]+)</dd>", text)]
    assert scores == [0.97, 0.62, 0.88, 0.71]  # highest first within each decision
    cat, corrupt, gone, coffee = page.items
    for item in (cat, coffee):
        assert set(item["images"]) == {"photo", "heatmap"} and item["notes"] == 0
        photo = decode(item["images"]["photo"])
        layer = decode(item["images"]["heatmap"], "image/png").convert("RGBA")
        assert max(photo.size) == 320 and layer.size == photo.size  # drawn over the photo
        alpha = layer.getchannel("A")
        assert alpha.getpixel((0, 0)) == 0 < alpha.getpixel((160, photo.height // 2))
    for item in (gone, corrupt):  # unreadable now: a note, no pictures
        assert item["images"] == {} and item["notes"] == 1
    assert "no such image file" in text and "not a recognised image" in text
    visible = re.sub(r"data:[^\"]+", "", text)
    assert "astronaut" not in visible and ">l6<" not in visible  # allow, error rows left out
    assert "where the model looks for animal" in text and "looks for drink" in text
    assert "first 4 of 4 block / review rows: block, then review;" in text
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
    rows = [
        (f"l{i}", f"p{i}.jpg", "ivory", s, "review", None, "1")
        for i, s in enumerate([*scores, 2.0, 2.0])
    ]
    path = write_results(tmp_path / "big.jsonl", rows)
    output = tmp_path / "report.html"
    assert write_review_report(path, output, explain=False, limit=5) == 5
    text = output.read_text(encoding="utf-8")
    shown = re.findall(r"<dt>listing</dt><dd>(l\d+)</dd>", text)
    best = sorted(range(3000), key=lambda i: -scores[i])[:3]
    assert shown == ["l3000", "l3001", *(f"l{i}" for i in best)]
    assert "(2997 more not shown: raise the limit)" in text
    assert "Heatmaps: off" in text


def test_cards_go_by_decision_then_wildlife_score_not_the_top_labels_score(tmp_path):
    """An ``allow other 1.000`` (wildlife at most 0) comes after every block and review;
    a look-alike label's score leaves at most 1 - score to wildlife; a row's own
    ``wildlife_score`` (triage, scan --wildlife-score) is used when it has one."""
    rows = [
        ("sure-other", "a.jpg", "other", 1.0, "allow", None, "1"),
        ("ivory-allow", "a.jpg", "ivory", 0.3, "allow", None, "1"),
        ("ivory-block", "a.jpg", "ivory", 0.6, "block", None, "1"),
        ("bone-block", "a.jpg", "bone", 0.55, "block", None, "1"),  # wildlife <= 0.45
        ("rhino-review", "a.jpg", "rhino_horn", 0.9, "review", None, "1"),
        ("pack-block", "a.jpg", "my_pack_product", 0.95, "block", None, "1"),
        ("broken", "a.jpg", None, None, "error", "not an image", "1"),
    ]
    path = write_results(tmp_path / "results.jsonl", rows)
    output = tmp_path / "page.html"
    everything = ["allow", "block", "error", "review"]
    write_review_report(path, output, explain=False, decisions=everything)
    text = output.read_text(encoding="utf-8")
    shown = [item["data"]["data-listing-id"] for item in Page(text).items]
    assert shown == [
        "pack-block", "ivory-block", "bone-block", "rhino-review",
        "ivory-allow", "sure-other", "broken",
    ]  # fmt: skip
    assert "wildlife ≤ 0.450" in text and "wildlife ≤ 0.000" in text
    assert "rows: block, then review, then allow, then error;" in text
    write_review_report(path, output, explain=False, decisions=everything, limit=2)
    kept = [item["data"]["data-listing-id"] for item in Page(output.read_text()).items]
    assert kept == ["pack-block", "ivory-block"]  # not the allow row of score 1.0

    # a triage queue's wildlife_score outranks the top label's score
    columns = COLUMNS + WILDLIFE_COLUMNS
    queue = [
        ("sure-ivory", "a.jpg", "ivory", 0.99, "block", None, "1", 0.991),
        ("split", "a.jpg", "other", 0.4, "block", None, "1", 0.6),
        ("spread", "a.jpg", "ivory", 0.5, "block", None, "1", 0.995),
    ]
    path = write_results(tmp_path / "queue.csv", queue, columns)
    write_review_report(path, output, explain=False)
    text = output.read_text(encoding="utf-8")
    assert [item["data"]["data-listing-id"] for item in Page(text).items] == [
        "spread", "sure-ivory", "split",
    ]  # fmt: skip
    assert "wildlife 0.600 · split" in text


def test_known_image_matches_show_with_their_list_whatever_the_decision(tmp_path):
    """A hash match is a badge on the card naming the list (``scan --hashes`` writes its
    name in ``hash_list``), on allow rows too; relative paths are found beside a CSV."""
    save_photos(tmp_path / "listing", ["chelsea"])
    columns = (*COLUMNS, "hash_match", "hash_label", "hash_distance", "hash_list")
    photo = "listing/chelsea.jpg"
    rows = [
        ("a", photo, "ivory", 0.9, "block", None, "1", True, "ivory", 6, "seized"),
        ("b", photo, "ivory", 0.5, "review", None, "1", False, None, None, None),
        ("c", photo, "other", 0.97, "allow", None, "1", True, "tiger_part", 2, "partner"),
        ("d", photo, "other", 0.96, "allow", None, "1", True, "ivory", 0, None),  # older scan
    ]
    path = write_results(tmp_path / "results.csv", rows, columns)
    output = tmp_path / "out" / "report.html"
    everything = ("block", "review", "allow")
    assert write_review_report(path, output, explain=False, decisions=everything) == 4
    text = output.read_text(encoding="utf-8")
    assert "match in seized: ivory, distance 6 of 128 bits" in text and "no match" in text
    assert "match: ivory, distance 0 of 128 bits" in text
    cards = text.split("<article ")[1:]
    badges = [re.findall(r'<p class="known"[^>]*>([^<]*)</p>', card) for card in cards]
    assert badges == [
        ["known image (seized): ivory"],
        [],
        ["known image: ivory"],  # wildlife at most 0.04: before the one at most 0.03
        ["known image (partner): tiger_part"],
    ]
    assert 'class="item allow"' in cards[2]
    items = Page(text).items
    assert [set(item["images"]) for item in items] == [{"photo"}] * 4  # found beside
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
    listings = tmp_path / "listings.csv"
    listings.write_text("listing_id,path\nL1,photos/a.jpg\n")
    with pytest.raises(ScanError, match="looks like a listings table.*wildvision scan"):
        write_review_report(listings, output, explain=False)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ScanError, match="no result rows"):
        write_review_report(empty, output, explain=False)
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


def test_without_heatmaps_the_thumbnails_keep_the_decoding_limits(scan_results, tmp_path):
    """--no-heatmaps loads no model, yet --max-image-mb still bounds what is decoded."""
    output = tmp_path / "report.html"
    args = ["report", str(scan_results), "-o", str(output), "--no-heatmaps"]
    assert main(args) == 0
    page = output.read_text()
    items = page.count("<article")
    readable = items - page.count("Image unreadable now")  # the fixture has a corrupt photo
    assert readable >= 2 and "max_bytes" not in page
    assert main([*args, "--max-image-mb", "0.0001"]) == 0
    page = output.read_text()
    assert page.count("Image unreadable now") == items and page.count("max_bytes") == readable
    write_review_report(scan_results, output, explain=False, max_pixels=10)
    assert output.read_text().count("Image unreadable now") == items


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
