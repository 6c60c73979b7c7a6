"""The package's map: moved modules keep their old import paths for one release (the same
objects, not copies), and each floor has a face."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import wildvision
from wildvision.errors import MissingExtraError, PackError

MOVED = [
    ("wildvision.evaluation.samples", "wildvision.data", "Sample"),
    ("wildvision.evaluation.samples", "wildvision.data", "load_samples"),
    ("wildvision.evaluation.samples", "wildvision.data", "read_manifest"),
    ("wildvision.evaluation.calibration", "wildvision.thresholds", "threshold_for_budget"),
    ("wildvision.evaluation.calibration", "wildvision.thresholds", "choose_thresholds_by_budget"),
    ("wildvision.evaluation.calibration", "wildvision.thresholds", "DEFAULT_REVIEW_BUDGET"),
    ("wildvision.evaluation.shift", "wildvision.drawing", "random_color"),
    ("wildvision.evaluation.metrics", "wildvision.metrics", "roc_auc"),
    ("wildvision.packs.pack_file", "wildvision.pack_file", "load_pack"),
    ("wildvision.train.export", "wildvision.train.exporter", "export_onnx"),
    ("wildvision.classifier", "wildvision.spec", "INPUT_NAME"),
    ("wildvision.packs.negative_bank", "wildvision.taxonomy", "ORDINARY_LABEL"),
    ("wildvision.train.run", "wildvision.runs", "Run"),
    ("wildvision.train.config", "wildvision.runs", "load_config"),
    ("wildvision.train.config", "wildvision.runs.config", "parse_overrides"),
]


def _import(name: str):
    """The module, or a skip naming the extra it needs (a base install lacks torch, PyYAML)."""
    try:
        return importlib.import_module(name)
    except MissingExtraError as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize(("old", "new", "name"), MOVED)
def test_old_paths_re_export_the_same_objects(old: str, new: str, name: str) -> None:
    assert getattr(_import(old), name) is getattr(_import(new), name)


def test_the_top_level_has_every_error() -> None:
    assert wildvision.PackError is PackError
    assert issubclass(wildvision.ExportError, wildvision.ModelError)
    assert "PackError" in wildvision.__all__


def _fresh(code: str) -> str:
    """Run ``code`` in a fresh interpreter (imports not yet cached) and return its output."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_training_face_imports_no_torch() -> None:
    pytest.importorskip("yaml", reason="reading a run's config needs PyYAML ([eval] or [train])")
    out = _fresh(
        "import sys; from wildvision.train import Run, load_config;"
        "print(Run.__module__, load_config.__module__, 'torch' in sys.modules)"
    )
    assert out == "wildvision.runs.run wildvision.runs.config False"


def test_the_training_face_gives_the_functions() -> None:
    pytest.importorskip("torch")
    out = _fresh(
        "import wildvision.train.exporter\n"
        "from wildvision.train import train, export, calibrate, load_model\n"
        "print(*(f.__module__ + '.' + f.__name__ for f in (train, export, calibrate, load_model)))"
    )
    assert out.split() == [
        "wildvision.train.trainer.train",
        "wildvision.train.exporter.export",
        "wildvision.train.operating_points.calibrate",
        "wildvision.train.model_factory.load_model",
    ]


def test_the_evaluation_face_gives_the_function() -> None:
    pytest.importorskip("matplotlib")
    out = _fresh(
        "import wildvision.evaluation.evaluate\n"
        "from wildvision.evaluation import evaluate\n"
        "print(callable(evaluate) and evaluate.__module__)"
    )
    assert out == "wildvision.evaluation.evaluate"


REPO = Path(__file__).resolve().parent.parent


def test_no_module_is_over_400_lines_and_the_readme_is_a_guide() -> None:
    long = {
        str(path.relative_to(REPO)): n
        for path in (REPO / "wildvision").rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not long, f"modules over 400 lines: {long}"
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) <= 350
