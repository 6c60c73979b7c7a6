"""``wildvision evaluate`` needs the [eval] extra only: it runs with torch unimportable."""

from __future__ import annotations

import json
import subprocess
import sys

#: Run in a fresh interpreter where the training floor's packages cannot be imported.
WITHOUT_TORCH = """
import sys
for name in ("torch", "torchvision", "timm", "albumentations", "cv2", "onnx"):
    sys.modules[name] = None  # an import of any of them now raises ImportError
from wildvision.cli import main
code = main(sys.argv[1:])
assert not any(m.startswith("wildvision.train") for m in sys.modules), "imported the training floor"
sys.exit(code)
"""


def _evaluate_without_torch(*args: str) -> subprocess.CompletedProcess:
    """``wildvision evaluate ARGS`` in a fresh interpreter that cannot import torch."""
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, "evaluate", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_evaluate_runs_without_torch(tiny_model, tiny_run, tmp_path):
    splits = tiny_run.run_dir / "splits.csv"
    result = _evaluate_without_torch(str(tiny_model), "--data", str(splits), "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "clean: 6 photos" in result.stdout and "shift: 6 photos" in result.stdout
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["clean"]["count"] == metrics["shift"]["count"] == 6
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_evaluate_reads_an_image_folder_without_torch(tiny_model, photo_folder):
    """A folder that is no training run is read as an image folder: the training floor,
    which only a run folder needs, is never imported."""
    args = ["--data", str(photo_folder), "--no-shift", "--split", "all"]
    result = _evaluate_without_torch(str(tiny_model), *args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "clean: 24 photos" in result.stdout and "shift:" not in result.stdout


def test_a_run_folder_is_evaluated_without_torch(tiny_model, tiny_run):
    """A run folder is read through ``wildvision.runs`` (its test split), not the training
    floor: the script asserts no ``wildvision.train`` module was imported."""
    result = _evaluate_without_torch(str(tiny_model), "--data", str(tiny_run.run_dir), "--no-shift")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "clean: 6 photos" in result.stdout
