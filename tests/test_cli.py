"""The wildvision command: verbs call the library and report errors cleanly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wildvision.cli import main


def test_predict_json_lines(tiny_model, photo_folder, capsys):
    photos = sorted(photo_folder.rglob("*.jpg"))[:2]
    assert main(["predict", *map(str, photos), "--model", str(tiny_model), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["source"] for line in lines] == [str(p) for p in photos]
    assert all(line["label"] in ("animal", "drink") and line["error"] is None for line in lines)


def test_predict_reports_bad_files_and_goes_on(tiny_model, photo_folder, tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    good = sorted(photo_folder.rglob("*.jpg"))[0]
    assert main(["predict", str(bad), str(good), "--model", str(tiny_model)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{bad}\terror\t") and out[1].startswith(f"{good}\t")


def test_missing_model_is_a_clean_error(tmp_path, capsys):
    assert main(["predict", "x.jpg", "--model", str(tmp_path / "none.onnx")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_info_prints_the_spec(tiny_model, capsys):
    assert main(["info", str(tiny_model)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["labels"] == ["animal", "drink"] and info["input_size"] == 224


def test_evaluate_writes_metrics(tiny_model, tiny_run, tmp_path, capsys):
    splits = tiny_run.run_dir / "splits.csv"
    args = ["evaluate", "--model", str(tiny_model), "--data", str(splits), "-o", str(tmp_path)]
    assert main(args) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics) == {"clean", "shift"}
    assert metrics["clean"]["count"] == 6 and metrics["clean"]["split"] == "test"
    assert set(metrics["shift"]["per_class"]) == {"animal", "drink"}
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert "shift: 6 photos" in capsys.readouterr().out


def test_console_script_is_installed():
    result = subprocess.run(
        [sys.executable, "-m", "wildvision", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("wildvision ")


def test_train_cli_runs_a_config(photo_folder, tmp_path, capsys):
    pytest.importorskip("torch")
    config = tmp_path / "c.yaml"
    config.write_text(
        f"data: [{photo_folder}]\nepochs: 1\nhead_epochs: 1\nbatch_size: 8\nnum_workers: 0\n"
        "max_steps_per_epoch: 1\nval_fraction: 0.25\ntest_fraction: 0.25\n"
    )
    assert (
        main(
            [
                "train",
                "--config",
                str(config),
                "--output-dir",
                str(tmp_path / "runs"),
                "--name",
                "cli",
            ]
        )
        == 0
    )
    assert (tmp_path / "runs" / "cli" / "best.pt").is_file()
    assert "wildvision export" in capsys.readouterr().out


def test_export_writes_the_same_spec_into_both_variants(tiny_run, tmp_path, capsys):
    from wildvision import Classifier

    target = tmp_path / "m.onnx"
    assert (
        main(
            ["export", str(tiny_run.run_dir), "-o", str(target), "--version", "9.9.9"]
            + ["--formats", "fp32", "ingraph"]
        )
        == 0
    )
    standard, ingraph = Classifier(target), Classifier(tmp_path / "m.ingraph.onnx")
    assert standard.spec.version == ingraph.spec.version == "9.9.9"
    assert standard.spec == ingraph.spec and ingraph.ingraph and not standard.ingraph
    assert "verified" in capsys.readouterr().out
