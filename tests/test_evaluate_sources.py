"""Evaluation on ordinary photos: false flags per source and category, recall at a
false-flag rate and expected precision, through ``evaluate`` and the CLI."""

from __future__ import annotations

import csv
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import terminal_stderr
from wildvision.classifier import Classifier
from wildvision.prediction import Prediction, decide
from wildvision.spec import ModelSpec, Thresholds

pytest.importorskip("matplotlib")

LABELS = ("bone", "ceramic", "ivory", "other")
SPEC = ModelSpec(labels=LABELS, thresholds={"ivory": Thresholds(block=0.9, review=0.5)})

# name: (label, source, category, ivory probability)
PHOTOS = {
    "i0": ("ivory", "museum", "", 0.99),  # block
    "i1": ("ivory", "museum", "", 0.95),  # block
    "i2": ("ivory", "museum", "", 0.7),  # review
    "i3": ("ivory", "museum", "", 0.3),  # allow
    "b0": ("bone", "museum", "", 0.55),  # review, but not an ordinary photo
    "o0": ("other", "instagram", "piano", 0.6),  # review
    "o1": ("other", "instagram", "piano", 0.1),
    "o2": ("other", "instagram", "elephant_figure", 0.92),  # block
    "o3": ("other", "instagram", "elephant_figure", 0.2),
    "o4": ("other", "ebay", "piano", 0.05),
    "o5": ("other", "ebay", "piano", 0.05),
    "o6": ("other", "ebay", "piano", 0.05),
    "o7": ("other", "ebay", "", 0.0),
}


class StubClassifier(Classifier):
    """A model whose ivory probability for each photo is fixed (the rest share what is
    left), decided by the real ``decide``: evaluation is tested, not a network."""

    def __init__(self, model=None, tta_flip: bool = False, **limits: int) -> None:
        self.spec = SPEC
        self.model_path = Path("stub.onnx")
        self.tta_flip = tta_flip

    def predict_batch(self, images, batch_size: int = 32):
        for image in images:
            ivory = PHOTOS[Path(image).stem][3]
            scores = {k: (1 - ivory) / 3 for k in LABELS} | {"ivory": ivory}
            label = max(scores, key=scores.get)
            yield Prediction(label, scores[label], scores, decide(scores, SPEC), source=str(image))


@pytest.fixture
def manifest(tmp_path) -> Path:
    path = tmp_path / "data" / "manifest.csv"
    path.parent.mkdir()
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "split", "source", "category"])
        for name, (label, source, category, _) in PHOTOS.items():
            writer.writerow([f"photos/{name}.jpg", label, "test", source, category])
    return path


def test_false_flags_by_source_and_category(manifest, tmp_path):
    from wildvision.evaluation.evaluate import evaluate

    out = tmp_path / "out"
    metrics = evaluate(StubClassifier(), manifest, shift=False, card=False, output_dir=out)["clean"]
    assert metrics["other_false_flag_rate"] == 0.25  # o0 and o2 of eight
    assert metrics["false_flags_by_source"] == {
        "instagram": {"photos": 4, "flagged": 0.5, "blocked": 0.25},
        "ebay": {"photos": 4, "flagged": 0.0, "blocked": 0.0},
    }  # only ordinary photos: the museum's bone photo in review is not a false flag here
    assert metrics["false_flags_by_category"] == {
        "elephant_figure": {"photos": 2, "flagged": 0.5, "blocked": 0.5},
        "piano": {"photos": 5, "flagged": 0.2, "blocked": 0.0},
        "(none)": {"photos": 1, "flagged": 0.0, "blocked": 0.0},
    }
    assert json.loads((out / "metrics.json").read_text())["clean"]["false_flags_by_source"]
    page = (out / "report.html").read_text()
    assert "false flags on other by source" in page and "elephant_figure" in page


def test_recall_at_false_flags_and_expected_precision(manifest):
    from wildvision.evaluation.evaluate import evaluate

    metrics = evaluate(StubClassifier(), manifest, shift=False, card=False, prevalence=0.01)[
        "clean"
    ]
    # 1% or 0.1% of eight ordinary photos: none may pass, so the cut is above their 0.92
    assert metrics["ivory_recall_at_false_flags"] == {"0.01": 0.5, "0.001": 0.5}
    # flagged: R = 3/4 of ivory, F = 2/8 of other; blocked: R = 2/4, F = 1/8
    expected = metrics["expected_precision"]
    assert expected["prevalence"] == 0.01
    assert expected["ivory"]["flagged"] == pytest.approx(0.0075 / (0.0075 + 0.99 * 0.25))
    assert expected["ivory"]["blocked"] == pytest.approx(0.005 / (0.005 + 0.99 * 0.125))


def test_data_without_the_columns_gives_empty_tables(tmp_path):
    from wildvision.evaluation.evaluate import evaluate, read_column

    path = tmp_path / "m.csv"
    path.write_text("path,label\no0.jpg,other\ni0.jpg,ivory\n")
    metrics = evaluate(StubClassifier(), path, shift=False, card=False)["clean"]
    assert metrics["false_flags_by_source"] == metrics["false_flags_by_category"] == {}
    assert read_column(path, "category") == {} and read_column(tmp_path / "none", "x") == {}
    assert read_column(path, "label") == {
        tmp_path / "o0.jpg": "other",
        tmp_path / "i0.jpg": "ivory",
    }


def test_without_ordinary_photos_the_budget_figures_are_none(tmp_path):
    from wildvision.evaluation.evaluate import budget_cells, evaluate, headline

    path = tmp_path / "m.csv"
    path.write_text("path,label\ni0.jpg,ivory\nb0.jpg,bone\n")
    metrics = evaluate(StubClassifier(), path, shift=False, card=False)["clean"]
    assert metrics["ivory_recall_at_false_flags"] == {"0.01": None, "0.001": None}
    assert metrics["expected_precision"]["ivory"] == {"flagged": None, "blocked": None}
    h = headline(metrics)
    assert h["ivory_recall_at_1pct_false_flags"] is None
    assert h["ivory_recall_at_0.1pct_false_flags"] is None
    assert budget_cells(h) == "n/a | n/a"


def test_headline_and_budget_cells(manifest):
    from wildvision.evaluation.evaluate import budget_cells, evaluate, headline, headline_cells

    h = headline(evaluate(StubClassifier(), manifest, shift=False, card=False)["clean"])
    assert h["ivory_recall_at_1pct_false_flags"] == h["ivory_recall_at_0.1pct_false_flags"] == 0.5
    assert budget_cells(h) == "0.500 | 0.500"
    assert headline_cells(h).endswith("| 25.00%")
    # a metrics.json written before these keys existed still gives a headline
    old = {"per_class": {"ivory": {"auroc": 0.9}}, "accuracy": 0.5, "macro_f1": 0.5}
    assert headline(old)["ivory_recall_at_1pct_false_flags"] is None


def test_bad_prevalence_is_refused_before_scoring(manifest):
    from wildvision.errors import ConfigError
    from wildvision.evaluation.evaluate import evaluate

    with pytest.raises(ConfigError, match=r"prevalence .* in \(0, 1\)"):
        evaluate(StubClassifier(), manifest, prevalence=1.0)


def test_cli_prints_the_tables(manifest, tmp_path, monkeypatch, capsys):
    from wildvision.cli import main

    # the module: the attribute wildvision.evaluation.evaluate is the face's function
    module = importlib.import_module("wildvision.evaluation.evaluate")
    monkeypatch.setattr(module, "Classifier", StubClassifier)
    args = ["evaluate", "--model", "stub.onnx", "--data", str(manifest), "--no-shift", "--no-card"]
    assert main([*args, "--prevalence", "0.02"]) == 0
    out = capsys.readouterr().out
    assert "ivory recall at false flags on 'other': 50.00% at 1.0%, 50.00% at 0.1%" in out
    assert "ivory expected precision at 2.00% prevalence: flagged 5.77%, blocked" in out
    assert "false flags on 'other' by source:" in out
    lines = out.splitlines()
    row = next(line for line in lines if line.strip().startswith("instagram"))
    assert row.split() == ["instagram", "4", "50.00%", "25.00%"]
    assert any(line.split()[:2] == ["elephant_figure", "2"] for line in lines)
    assert main([*args, "--prevalence", "0"]) == 2
    assert "prevalence" in capsys.readouterr().err


def test_evaluate_module_imports_without_torch():
    code = (
        "import sys, wildvision.evaluation.evaluate; "
        "assert not {'torch', 'albumentations'} & set(sys.modules), sys.modules.keys()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_progress_is_drawn_on_a_terminal_only(manifest, capsys):
    from wildvision.evaluation.evaluate import evaluate

    with terminal_stderr() as stderr:
        evaluate(StubClassifier(), manifest, shift=False, card=False)
    assert "evaluating (clean):" in stderr.getvalue()
    evaluate(StubClassifier(), manifest, shift=False, card=False)
    assert "evaluating" not in capsys.readouterr().err
