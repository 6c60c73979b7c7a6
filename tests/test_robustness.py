"""Held-out listing effects and the robustness table: each effect reaches the model, the
table counts the model's own decisions, and evaluate/CLI write it with several sources."""

from __future__ import annotations

import csv
import importlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import skimage_photo
from wildvision.classifier import Classifier
from wildvision.data import Sample
from wildvision.evaluation.effects import EFFECTS, apply_effect, held_out_font, render_card_test
from wildvision.evaluation.robustness import robustness_markdown, robustness_table
from wildvision.prediction import Prediction, decide
from wildvision.spec import ModelSpec, Thresholds

LABELS = ("ivory", "other")
SPEC = ModelSpec(labels=LABELS, thresholds={"ivory": Thresholds(block=0.9, review=0.5)})


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(skimage_photo("coffee.png")).convert("RGB")


@pytest.mark.parametrize("name", list(EFFECTS))
def test_each_effect_is_fixed_per_index_and_changes_the_photo(name, photo):
    first = np.asarray(apply_effect(name, photo, 3))
    assert np.array_equal(first, np.asarray(apply_effect(name, photo, 3)))
    assert first.dtype == np.uint8 and first.ndim == 3
    if first.shape == np.asarray(photo).shape:
        assert np.abs(first.astype(int) - np.asarray(photo)).mean() > 0.5


def test_cards_hold_the_photo_at_their_share_of_the_width(photo):
    for name, share in (("card_70", 0.7), ("card_50", 0.5), ("card_35", 0.35)):
        card = np.asarray(apply_effect(name, photo, 0))
        columns = np.flatnonzero((card < 250).any(axis=(0, 2)))
        assert card.shape == (600, 800, 3)
        assert (columns[-1] - columns[0] + 1) / 800 == pytest.approx(share, abs=0.01)
    text = np.asarray(apply_effect("card_35_text", photo, 0))
    assert (text[:, 400:] < 200).mean() > 0.01  # price and slogans beside the photo


def test_the_card_test_and_the_fonts_are_not_training_s(photo):
    assert np.array_equal(
        np.asarray(render_card_test(photo, 4)), np.asarray(render_card_test(photo, 4))
    )
    assert "STIX" in Path(held_out_font(20).path).name
    with pytest.raises(ValueError, match="the effects are: card_70"):
        apply_effect("sepia", photo, 0)


class WhiteShy(Classifier):
    """Flags a photo as ivory unless more than a third of it is pale: so the clean
    photos are flagged and the photos set on white cards are not."""

    def __init__(self, model=None, tta_flip: bool = False, **limits: int) -> None:
        self.spec = SPEC
        self.model_path = Path("stub.onnx")
        self.tta_flip = False

    def predict_batch(self, images, batch_size: int = 32):
        for image in images:
            pixels = np.asarray(Image.open(image) if isinstance(image, Path) else image)
            ivory = 0.1 if (pixels > 225).all(axis=-1).mean() > 1 / 3 else 0.95
            scores = {"ivory": ivory, "other": 1 - ivory}
            label = max(scores, key=scores.get)
            yield Prediction(label, scores[label], scores, decide(scores, SPEC), source="x")


@pytest.fixture
def photos(tmp_path, photo) -> list[Sample]:
    samples = []
    for i, label in enumerate(("ivory", "ivory", "other")):
        path = tmp_path / f"{i}.jpg"
        photo.rotate(i * 5).save(path)
        samples.append(Sample(path=path, label=label, source="s"))
    return samples


def test_the_table_counts_the_model_s_decisions_per_effect(photos):
    table = robustness_table(WhiteShy(), photos, effects=["mirror", "card_35", "small_on_canvas"])
    assert list(table) == ["none", "mirror", "card_35", "small_on_canvas"]
    assert table["none"] == {
        "photos": 3,
        "flagged": {"ivory": 1.0},
        "blocked": {"ivory": 1.0},
        "ordinary_flagged": 1.0,
        "ordinary_blocked": 1.0,
    }
    assert table["mirror"]["flagged"] == {"ivory": 1.0}
    for effect in ("card_35", "small_on_canvas"):  # mostly white: the stub lets them pass
        assert table[effect]["flagged"] == {"ivory": 0.0} and table[effect]["ordinary_flagged"] == 0
    markdown = robustness_markdown(table, "stub")
    assert "| card_35 | 0.0% / 0.0% | 0.0% / 0.0% |" in markdown


def test_evaluate_scores_several_sources_with_the_card_test_and_the_table(
    photos, tmp_path, monkeypatch, capsys
):
    from wildvision.cli import main

    first, second = tmp_path / "a.csv", tmp_path / "posts" / "manifest.csv"
    second.parent.mkdir()
    with open(first, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "split", "source"])
        writer.writerows([(p.path.name, p.label, "test", "museum") for p in photos])
        writer.writerow(["0.jpg", "ivory", "train", "museum"])  # not in the test split
    with open(second, "w", newline="") as handle:  # no split column: every row counts
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "source", "category"])
        writer.writerow([str(photos[2].path), "other", "posts", "social_post"])
    # the module: the attribute wildvision.evaluation.evaluate is the face's function
    module = importlib.import_module("wildvision.evaluation.evaluate")
    monkeypatch.setattr(module, "Classifier", type("Stub", (WhiteShy,), {}))
    out = tmp_path / "out"
    args = ["evaluate", "--data", str(first), str(second), "--no-shift", "--robustness"]
    assert main([*args, "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "card: 4 photos" in printed and "| card_70 |" in printed
    import json

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["clean"]["count"] == 4
    assert set(metrics["clean"]["false_flags_by_source"]) == {"museum", "posts"}
    assert metrics["card"]["other_false_flag_rate"] == 0.0  # on white cards the stub passes
    assert metrics["clean"]["robustness"]["none"]["photos"] == 4
    assert (out / "robustness.md").read_text().startswith("### stub.onnx")
    assert Image.open(out / "robustness.png").size[0] > 300
