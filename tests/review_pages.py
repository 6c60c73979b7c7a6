"""What the review page tests share: results files to build pages from, a parser of the
page's parts, and the system's Chromium driven by Playwright (the tests skip, saying why,
when either is missing)."""

from __future__ import annotations

import base64
import io
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import skimage_photo
from wildvision.results import ResultsFile
from wildvision.scanning import COLUMNS

NASTY_ID = '<script>alert("x")</script> & co'
SKIMAGE_PHOTOS = ("chelsea", "coffee", "astronaut", "motorcycle_left", "coins", "horse")


def write_results(path: Path, rows: Sequence[Sequence[Any]], columns=COLUMNS) -> Path:
    """A results file of ``rows`` (tuples in ``columns`` order), as ``scan`` writes one."""
    with ResultsFile(path, columns) as results:
        results.append([dict(zip(columns, row)) for row in rows])
    return path


def save_photos(folder: Path, names: Sequence[str], size: int | None = None) -> list[Path]:
    """scikit-image's photos ``names`` saved as JPEGs in ``folder`` (longest side ``size``)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        image = Image.open(skimage_photo(f"{name}.png")).convert("RGB")
        if size:
            image.thumbnail((size, size))
        image.save(folder / f"{name}.jpg")
        paths.append(folder / f"{name}.jpg")
    return paths


class Page(HTMLParser):
    """The parts of the page the tests look at: each card's classes, images, notes and
    data, the ``<main>`` element's data, every URL, the warnings."""

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


def decode(uri: str, mime: str = "image/jpeg") -> Image.Image:
    """The image of a ``data:`` URI of type ``mime``."""
    assert uri.startswith(f"data:{mime};base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def chromium() -> str | None:
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    return next((path for name in names if (path := shutil.which(name))), None)


@contextmanager
def browser_tab(viewport: tuple[int, int] = (1400, 1000), **context: Any) -> Iterator[Any]:
    """A Playwright tab in the system's Chromium; the test fails on any script error."""
    browser = chromium()
    if browser is None:
        pytest.skip("no chromium, chromium-browser or google-chrome on PATH")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as playwright:
        engine = playwright.chromium.launch(
            executable_path=browser, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            width, height = viewport
            size = {"width": width, "height": height}
            tab = engine.new_context(viewport=size, **context).new_page()
            tab.set_default_timeout(10_000)
            errors: list = []
            tab.on("pageerror", lambda error: errors.append(error))
            yield tab
            assert errors == []
        finally:
            engine.close()


#: The cards wholly inside the window, in page order (their ranks).
CARDS_IN_VIEW = """() => [...document.querySelectorAll('article.item')].filter(card => {
  const box = card.getBoundingClientRect();
  return box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth;
}).map(card => Number(card.dataset.rank))"""
