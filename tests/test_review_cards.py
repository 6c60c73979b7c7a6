"""One card of the review page: its wildlife score, where its heatmap lies over the photo,
and a caption that says why a map shows nothing (a saturated score is not "noise")."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.review_pages import Page, decode, save_photos, write_results
from wildvision import Classifier
from wildvision.explain import Explanation
from wildvision.preprocess import resize_and_crop
from wildvision.review import cards as review_cards
from wildvision.review import write_review_report
from wildvision.review.cards import heat_caption, heat_layer, view_box, wildlife_score
from wildvision.spec import ModelSpec

SPEC = ModelSpec(labels=("ivory", "other"))


def explanation(score: float, max_drop: float, peak: tuple[int, int] = (40, 150)) -> Explanation:
    """An explanation whose heat peaks at ``peak`` (x, y) of the model's 224 square."""
    ys, xs = np.mgrid[0:224, 0:224]
    heat = np.exp(-((xs - peak[0]) ** 2 + (ys - peak[1]) ** 2) / 400.0).astype(np.float32)
    view = Image.new("RGB", (224, 224))
    return Explanation(view=view, heatmap=heat, label="ivory", score=score, max_drop=max_drop)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"label": "ivory", "score": 0.7}, (0.7, True)),  # a wildlife label: its own score
        ({"label": "my_pack", "score": "0.6"}, (0.6, True)),  # unlisted: a pack's, a model's
        ({"label": "other", "score": 1.0}, (0.0, False)),  # at most 1 - 1.0 left to wildlife
        ({"label": "bone", "score": 0.55}, (0.45, False)),
        ({"label": "other", "score": 0.4, "wildlife_score": 0.6}, (0.6, True)),  # the scan's
        ({"label": "ivory", "score": 0.9, "wildlife_score": ""}, (0.9, True)),  # CSV: empty
        ({"label": None, "score": None, "decision": "error"}, (None, True)),
        ({"label": "ivory", "score": "nan"}, (None, True)),  # never ranked above a number
    ],
)
def test_the_wildlife_score_of_a_row(row, expected):
    assert wildlife_score(row) == expected


def test_a_saturated_score_is_called_saturated_not_noise():
    caption, tag = heat_caption(explanation(0.99996, 0.0004), "ivory")
    assert tag == "saturated" and "noise" not in caption
    assert "the score is saturated (p 1.0000)" in caption and "none is drawn" in caption
    low, tag = heat_caption(explanation(0.0002, 0.0001), "ivory")  # saturated near 0 too
    assert tag == "saturated" and "noise" not in low

    spread, tag = heat_caption(explanation(0.6, 0.004), "ivory")
    assert tag == "spread out" and "no single region decides the score" in spread
    assert "saturated" not in spread

    informative, tag = heat_caption(explanation(0.99996, 0.3), "ivory")  # moved: a real map
    assert tag == "" and "saturated" not in informative and "noise" not in informative
    assert informative.startswith("where the model looks for ivory: p 1.000 here")
    other, _ = heat_caption(explanation(0.7, 0.3), "tiger_part")
    assert "the results' label 'tiger_part' is not one of this model's labels" in other


def test_the_view_box_is_the_square_resize_and_crop_keeps():
    """Each pixel of a photo says where it is (x in red, y in green); the corners of the
    model's view then name the box in the photo."""
    for width, height in [(400, 300), (300, 400), (256, 256)]:
        xs, ys = np.meshgrid(np.arange(width), np.arange(height))
        photo = np.dstack([xs * 255 // (width - 1), ys * 255 // (height - 1), xs * 0])
        view = np.asarray(resize_and_crop(Image.fromarray(photo.astype(np.uint8)), SPEC))
        left, top, right, bottom = view_box((width, height), SPEC)
        assert view[0, 0, 0] == pytest.approx(left * 255 / (width - 1), abs=3)
        assert view[0, 0, 1] == pytest.approx(top * 255 / (height - 1), abs=3)
        assert view[-1, -1, 0] == pytest.approx(right * 255 / (width - 1), abs=3)
        assert view[-1, -1, 1] == pytest.approx(bottom * 255 / (height - 1), abs=3)


def test_the_heat_layer_lies_over_the_models_square_of_the_photo():
    size = (320, 240)
    box = view_box(size, SPEC)
    layer = np.asarray(heat_layer(size, box, explanation(0.7, 0.3, peak=(40, 150))))
    alpha = layer[..., 3]
    inside = np.argwhere(alpha > 0)
    (top, left), (bottom, right) = inside.min(axis=0), inside.max(axis=0) + 1
    assert (left, top, right, bottom) == tuple(round(v) for v in box)  # nothing outside
    hottest = np.unravel_index(np.argmax(alpha), alpha.shape)  # the peak, scaled into the box
    scale = (box[2] - box[0]) / 224
    assert hottest[1] == pytest.approx(box[0] + 40 * scale, abs=2)
    assert hottest[0] == pytest.approx(box[1] + 150 * scale, abs=2)
    red, green, blue = layer[hottest][:3]
    assert red > 100 and green == blue == 0  # red where hottest

    veil = np.asarray(heat_layer(size, box, explanation(0.99996, 0.0004)))
    shown = veil[veil[..., 3] > 0]
    assert len(np.unique(shown, axis=0)) == 1  # one flat colour: no spot pretends to matter


def test_a_saturated_card_on_the_page_says_so(tmp_path, tiny_model, monkeypatch):
    """The page's caption and tag come from ``heat_caption``: a saturated card says
    "saturated", never "mostly noise"."""
    classifier = Classifier(tiny_model)
    save_photos(tmp_path / "photos", ["chelsea"])
    version = classifier.spec.version
    row = ("l1", "photos/chelsea.jpg", "animal", 0.99996, "block", None, version)
    results = write_results(tmp_path / "results.jsonl", [row])
    saturated = Explanation(Image.new("RGB", (224, 224)), np.zeros((224, 224)), "animal", 1.0, 0)
    monkeypatch.setattr(review_cards, "explain_photo", lambda *args, **kw: saturated)
    output = tmp_path / "page.html"
    write_review_report(results, output, classifier)
    text = output.read_text(encoding="utf-8")
    assert "the score is saturated (p 1.0000)" in text and "map: saturated" in text
    assert "noise" not in text
    layer = decode(Page(text).items[0]["images"]["heatmap"], "image/png").convert("RGBA")
    pixels = np.asarray(layer).reshape(-1, 4)
    assert len(np.unique(pixels[pixels[:, 3] > 0], axis=0)) == 1  # a plain veil
