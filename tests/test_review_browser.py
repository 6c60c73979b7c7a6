"""The review page in the system's Chromium (Playwright): a dense grid with a dozen cards in
view, keys for everything (move, open a card, heatmaps over the photos, help, verdicts),
verdicts that survive a reload and download as verdicts.csv, and a page of 200 cards that
keys move through. Skipped, saying why, without Chromium or Playwright."""

from __future__ import annotations

import csv
import io
import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageStat

from tests.conftest import skimage_photo
from tests.review_pages import (
    CARDS_IN_VIEW,
    NASTY_ID,
    SKIMAGE_PHOTOS,
    browser_tab,
    save_photos,
    write_results,
)
from wildvision import Classifier
from wildvision.review import write_review_report
from wildvision.verdicts import VERDICT_COLUMNS, read_verdicts

log = logging.getLogger(__name__)

#: After the page has loaded: how many of its images decoded, and how many there are.
IMAGES_DECODED = """() => [[...document.images].filter(i => i.complete && i.naturalWidth > 0)
  .length, document.images.length]"""


def many_results(tmp_path: Path, count: int) -> Path:
    """``count`` block / review / allow rows over six photos, scores falling."""
    photos = save_photos(tmp_path / "photos", SKIMAGE_PHOTOS, size=400)
    decisions = ("block", "review", "allow")
    rows = [
        (
            f"listing-{i}",
            f"photos/{photos[i % len(photos)].name}",
            "ivory",
            round(1 - i / (2 * count), 4),
            decisions[i % 3],
            None,
            "1",
        )
        for i in range(count)
    ]
    return write_results(tmp_path / "results.jsonl", rows)


def current(tab) -> int:
    return int(tab.locator("article.current").get_attribute("data-rank"))


def test_a_dense_grid_shows_a_dozen_whole_cards_at_1400_by_1000(tmp_path):
    results = many_results(tmp_path, 40)
    page = tmp_path / "page.html"
    write_review_report(results, page, explain=False, decisions=["block", "review", "allow"])
    with browser_tab((1400, 1000)) as tab:
        tab.goto(page.as_uri())
        assert tab.evaluate(IMAGES_DECODED) == [40, 40]
        in_view = tab.evaluate(CARDS_IN_VIEW)
        assert len(in_view) >= 12 and in_view == list(range(1, len(in_view) + 1))
        shot = tmp_path / "grid.png"
        tab.screenshot(path=str(shot))
        boxes = [tab.locator(f'article[data-rank="{r}"] img.photo').bounding_box() for r in in_view]
    log.info("cards wholly in view at 1400x1000: %d", len(in_view))
    screen = Image.open(shot).convert("L")
    assert screen.size == (1400, 1000)
    for box in boxes:  # every card in view has its photo painted (detail, not a flat box)
        area = (box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"])
        assert ImageStat.Stat(screen.crop(tuple(round(v) for v in area))).stddev[0] > 10


def test_keys_open_a_card_show_the_heatmaps_over_the_photos_and_the_help(tmp_path, tiny_model):
    save_photos(tmp_path / "photos", ["chelsea", "coffee", "astronaut"])
    model = Classifier(tiny_model)
    rows = [
        (f"l{i}", f"photos/{name}.jpg", "animal", 0.9 - i / 10, "block", None, model.spec.version)
        for i, name in enumerate(["chelsea", "coffee", "astronaut"])
    ]
    results = write_results(tmp_path / "results.jsonl", rows)
    page = tmp_path / "page.html"
    write_review_report(results, page, model)
    with browser_tab((1400, 1000)) as tab:
        tab.goto(page.as_uri())
        first = tab.locator('article[data-rank="1"]')
        overlay, photo = first.locator("img.heatmap"), first.locator("img.photo")
        button = tab.locator("#toggle-heat")
        assert not overlay.is_visible() and button.get_attribute("aria-pressed") == "false"
        tab.keyboard.press("h")
        assert overlay.is_visible() and button.get_attribute("aria-pressed") == "true"
        assert overlay.bounding_box() == photo.bounding_box()  # over the photo, not beside
        assert tab.locator("img.heatmap:visible").count() == 3
        button.click()
        assert not overlay.is_visible()

        caption, details = first.locator(".caption"), first.locator("dl")
        assert not caption.is_visible() and not details.is_visible()
        tab.keyboard.press("Enter")  # the current card (the first) opens large
        assert "focused" in first.get_attribute("class")
        assert first.bounding_box()["width"] > 0.8 * 1400
        assert caption.is_visible() and details.is_visible()
        assert "where the model looks for animal" in caption.inner_text()
        assert tab.locator("#backdrop").is_visible()
        tab.keyboard.press("j")  # the open view moves on with the current card
        assert current(tab) == 2 and tab.locator("article.focused").count() == 1
        assert "focused" in tab.locator('article[data-rank="2"]').get_attribute("class")
        tab.keyboard.press("Escape")
        assert tab.locator("article.focused").count() == 0
        assert not tab.locator("#backdrop").is_visible() and not details.is_visible()
        tab.locator('article[data-rank="3"] .pic').click()  # a click on the photo opens too
        assert "focused" in tab.locator('article[data-rank="3"]').get_attribute("class")
        tab.locator('article[data-rank="3"] .pic').click()  # and closes
        assert tab.locator("article.focused").count() == 0 and current(tab) == 3

        help_dialog = tab.locator("#help")
        assert not help_dialog.is_visible()
        tab.keyboard.press("?")
        assert help_dialog.is_visible() and "heatmaps over the photos" in help_dialog.inner_text()
        tab.keyboard.press("y")  # keys other than Esc do nothing while the help is open
        assert tab.locator("#reviewed-count").inner_text() == "0 of 3 reviewed"
        tab.keyboard.press("Escape")
        assert not help_dialog.is_visible()


def test_200_cards_render_and_keys_move_through_them(tmp_path):
    """A reviewer's session: arrows through the grid, then one key a card for all 200, and
    the download holds every verdict."""
    results = many_results(tmp_path, 200)
    page = tmp_path / "page.html"
    start = time.perf_counter()
    everything = ["block", "review", "allow"]
    count = write_review_report(results, page, explain=False, decisions=everything)
    written = time.perf_counter() - start
    assert count == 200
    with browser_tab((1400, 1000), accept_downloads=True) as tab:
        start = time.perf_counter()
        tab.goto(page.as_uri())
        loaded = time.perf_counter() - start
        assert tab.locator("article.item").count() == 200
        assert tab.evaluate(IMAGES_DECODED) == [200, 200]
        columns = tab.evaluate("getComputedStyle(document.querySelector('main'))"
                               ".gridTemplateColumns.split(' ').length")  # fmt: skip
        assert columns >= 6
        tab.keyboard.press("ArrowRight")
        tab.keyboard.press("ArrowDown")
        assert current(tab) == 2 + columns  # down: the card below
        tab.keyboard.press("ArrowUp")
        tab.keyboard.press("ArrowLeft")
        assert current(tab) == 1
        tab.keyboard.press("End")
        assert current(tab) == 200 and 200 in tab.evaluate(CARDS_IN_VIEW)
        tab.keyboard.press("Home")
        start = time.perf_counter()
        for _ in range(200):
            tab.keyboard.press("y")
        pressed = time.perf_counter() - start
        assert tab.locator("#reviewed-count").inner_text() == "200 of 200 reviewed"
        assert current(tab) == 200 and 200 in tab.evaluate(CARDS_IN_VIEW)  # followed along
        with tab.expect_download() as info:
            tab.click("#download-verdicts")
        saved = tmp_path / "verdicts.csv"
        info.value.save_as(saved)
    log.info(
        "200 cards: page written in %.1f s (%.1f MB), loaded in %.2f s, 200 verdict keys in "
        "%.2f s", written, page.stat().st_size / 1e6, loaded, pressed
    )  # fmt: skip
    rows = list(csv.DictReader(saved.open(newline="", encoding="utf-8")))
    assert len(rows) == 200 and {row["verdict_label"] for row in rows} == {"ivory"}


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
    ids = [NASTY_ID, "l2", "l3", "l4", "l5"]
    rows = [
        (lid, path, label, score, "block", None, "1")
        for lid, path, label, score in zip(ids, paths, labels, [0.95, 0.9, 0.8, 0.7, 0.6])
    ]
    rows.append(("l6", "photos/cat.jpg", "other", 0.99, "allow", None, "1"))
    return write_results(tmp_path / "results.jsonl", rows), paths


def test_verdicts_survive_a_reload_and_download_as_csv(tmp_path):
    """Buttons and keys give verdicts; a reload keeps them; the download is verdicts.csv
    with every reviewed row (paths as in the results file), which read_verdicts reads."""
    results, paths = browser_results(tmp_path)
    output = tmp_path / "review.html"
    write_review_report(results, output, explain=False, extra_labels=["pangolin_scale", "ivory"])
    fewer = tmp_path / "fewer.html"
    write_review_report(results, fewer, explain=False, limit=2)
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    with browser_tab(accept_downloads=True) as tab:
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
        card(5).click()  # its photo is gone: no picture to open it by; x clears
        tab.keyboard.press("x")
        card(2).locator(".pic").click()  # opened, the card offers every label
        card(2).locator('button[data-verdict="rhino_horn"]').click()  # changed
        tab.keyboard.press("Escape")
        assert counter.inner_text() == "4 of 5 reviewed"
        with tab.expect_download() as info:
            tab.click("#download-verdicts")
        download = info.value
        assert download.suggested_filename == "verdicts.csv"
        saved = results.parent / "verdicts.csv"  # beside the results, as the page says
        download.save_as(saved)

        tab.goto(fewer.as_uri())  # another page: its own verdicts, none yet
        assert tab.locator("#reviewed-count").inner_text() == "0 of 2 reviewed"

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
