"""Crash-safe training: a run SIGKILLed mid-way resumes from its last complete epoch and ends
exactly where an uninterrupted run ends."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from wildvision.errors import ConfigError  # noqa: E402
from wildvision.train.run import Run  # noqa: E402
from wildvision.train.trainer import train  # noqa: E402

SETTINGS = {
    "epochs": 3,
    "head_epochs": 1,
    "batch_size": 8,
    "num_workers": 0,
    "val_fraction": 0.25,
    "test_fraction": 0.25,
    "seed": 0,
    "ema_decay": 0.99,
    "mixup_alpha": 0.2,
    "calibrate": False,
}


def _config_file(folder: Path, photos: Path, output: Path) -> Path:
    lines = [f"data: [{photos}]", f"output_dir: {output}"]
    lines += [f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in SETTINGS.items()]
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _epochs_done(run_dir: Path) -> list[int]:
    metrics = run_dir / "metrics.csv"
    if not metrics.is_file():
        return []
    with open(metrics) as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def test_killed_run_resumes_and_matches_an_uninterrupted_run(photo_folder, tmp_path):
    reference = train(
        None, data=[str(photo_folder)], output_dir=str(tmp_path / "ref"), name="ref", **SETTINGS
    )
    config = _config_file(tmp_path, photo_folder, tmp_path / "runs")
    command = [sys.executable, "-m", "wildvision", "train", "--config", str(config)]
    process = subprocess.Popen(command + ["--name", "killed"], stdout=subprocess.DEVNULL)
    run_dir = tmp_path / "runs" / "killed"
    deadline = time.monotonic() + 300
    while _epochs_done(run_dir) != [1, 2] and process.poll() is None:
        assert time.monotonic() < deadline, "training made no progress"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)  # mid-way through epoch 3 (or between files)
    process.wait()
    assert not (run_dir / "test_metrics.json").exists(), "the run finished before the kill"

    resumed = subprocess.run(
        [*command[:4], "--resume", str(run_dir)], capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout
    assert _epochs_done(run_dir) == [1, 2, 3]  # each epoch once; at most one redone
    expected = reference.run.load_checkpoint("best")
    actual = Run(run_dir).load_checkpoint("best")
    assert actual["epoch"] == expected["epoch"]
    assert actual["val"]["macro_f1"] == pytest.approx(expected["val"]["macro_f1"], abs=1e-6)
    for name, tensor in expected["model"].items():
        assert torch.allclose(actual["model"][name].float(), tensor.float(), atol=1e-5), name


def test_resume_refuses_other_settings_and_foreign_folders(tmp_path, photo_folder):
    with pytest.raises(ConfigError, match="own config"):
        train(None, resume=tmp_path, epochs=2)
    with pytest.raises(ConfigError, match="config.yaml"):
        train(resume=tmp_path)
    from wildvision.cli import main

    assert main(["train", "--resume", str(tmp_path), "--epochs", "2"]) == 2
