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


def test_evaluate_runs_without_torch(tiny_model, tiny_run, tmp_path):
    splits = tiny_run.run_dir / "splits.csv"
    args = [str(tiny_model), "--data", str(splits), "-o", str(tmp_path)]
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, "evaluate", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "clean: 6 photos" in result.stdout and "shift: 6 photos" in result.stdout
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["clean"]["count"] == metrics["shift"]["count"] == 6
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_the_old_import_paths_still_work():
    from wildvision.evaluation import calibration, evaluate, metrics, report, samples, shift
    from wildvision.train import calibration as old_calibration
    from wildvision.train import data as old_data
    from wildvision.train import evaluate as old_evaluate
    from wildvision.train import metrics as old_metrics
    from wildvision.train import report as old_report
    from wildvision.train import shift as old_shift

    assert old_evaluate.evaluate is evaluate.evaluate
    assert old_metrics.classification_report is metrics.classification_report
    assert old_calibration.choose_thresholds_by_budget is calibration.choose_thresholds_by_budget
    assert old_report.write_report is report.write_report
    assert old_shift.render_shifted is shift.render_shifted
    assert old_data.Sample is samples.Sample and old_data.load_samples is samples.load_samples
