"""The evaluation report is one valid HTML page with its plots and thumbnails embedded."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from tests.conftest import skimage_photo  # noqa: E402
from wildvision.evaluation.report import reliability, worst_errors, write_report  # noqa: E402
from wildvision.metrics import classification_report  # noqa: E402

VOID = {"img", "meta", "br", "hr", "input", "link"}


class Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack, self.images, self.problems = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(tag)


def fake_result(seed: int):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 3, 40)
    probs = rng.dirichlet(np.ones(3), 40)
    probs[np.arange(40), targets] += 0.5
    probs /= probs.sum(1, keepdims=True)
    metrics = classification_report(targets, probs, ["ivory", "ceramic", "other"])
    metrics.update(reliability=reliability(probs, targets), other_false_flag_rate=0.1)
    return {
        "metrics": metrics,
        "targets": targets,
        "probabilities": probs,
        "sources": [str(skimage_photo("coffee.png"))] * 40,
    }


def test_report_is_valid_html_with_embedded_plots(tmp_path):
    results = {"clean": fake_result(0), "shift": fake_result(1)}
    path = write_report(tmp_path / "report.html", results, ["ivory", "ceramic", "other"], "t")
    text = path.read_text()
    checker = Checker()
    checker.feed(text)
    assert text.startswith("<!DOCTYPE html>") and not checker.problems and not checker.stack
    plots = [i for i in checker.images if i["src"].startswith("data:image/png;base64,")]
    assert len(plots) == 3
    for image in plots:
        assert base64.b64decode(image["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    thumbs = [i for i in checker.images if i["src"].startswith("data:image/jpeg;base64,")]
    assert thumbs, "worst errors should show thumbnails"
    assert "http" not in text.replace("http-equiv", "")  # self-contained: nothing fetched


def test_reliability_of_a_perfectly_calibrated_model_is_zero():
    probs = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert reliability(probs, np.array([0, 1]))["ece"] == 0.0
    assert reliability(probs, np.array([1, 0]))["ece"] == 1.0


def test_worst_errors_are_the_most_confident_mistakes():
    result = {
        "targets": np.array([0, 1, 0]),
        "sources": ["a", "b", "c"],
        "probabilities": np.array([[0.2, 0.8], [0.4, 0.6], [0.05, 0.95]]),
    }
    errors = worst_errors(result, ["ivory", "other"])
    assert [e["source"] for e in errors] == ["c", "a"]
    assert errors[0]["predicted"] == "other" and errors[0]["score"] == 0.95
