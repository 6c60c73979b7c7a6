"""The wildvision command: verbs call the library and report errors cleanly."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest

from tests.conftest import SAMPLE_PHOTO, terminal_stderr
from wildvision.cli import build_parser, main
from wildvision.cli.options import decode_limits
from wildvision.errors import ScanError
from wildvision.results import check_results


def test_predict_json_lines(wildlife_model, capsys):
    photos = [wildlife_model.photos(decision, 1)[0] for decision in ("block", "review", "allow")]
    args = ["predict", *map(str, photos), "--model", str(wildlife_model.path), "--json"]
    assert main(args) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["source"] for line in lines] == [str(p) for p in photos]
    assert [line["label"] for line in lines] == ["ivory", "other", "other"]
    assert [line["decision"] for line in lines] == ["block", "review", "allow"]
    assert all(line["error"] is None for line in lines)


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


def test_info_takes_the_model_as_every_verb_does(tiny_model, capsys):
    assert main(["info", "--model", str(tiny_model)]) == 0
    assert json.loads(capsys.readouterr().out)["labels"] == ["animal", "drink"]
    assert main(["info", str(tiny_model), "--model", "another.onnx"]) == 2
    assert "info got two models" in capsys.readouterr().err


def test_evaluate_writes_metrics(tiny_model, tiny_run, tmp_path, capsys):
    splits = tiny_run.run_dir / "splits.csv"
    args = ["evaluate", "--model", str(tiny_model), "--data", str(splits), "-o", str(tmp_path)]
    assert main(args) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics) == {"clean", "shift", "card"}
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


@pytest.fixture
def captured_train(monkeypatch):
    """``wildvision train`` with the trainer replaced: the configs it would train on."""
    trainer = pytest.importorskip("wildvision.train.trainer")
    seen = []

    def fake_train(config=None, **_):
        seen.append(config)
        return SimpleNamespace(best_checkpoint="b.pt", best_epoch=1, val_macro_f1=1.0, run_dir="r")

    monkeypatch.setattr(trainer, "train", fake_train)
    return seen


def test_train_takes_any_config_key_as_key_value(captured_train, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        "data: [photos]\nepochs: 5\nname: file\naugment: {listing: 0.1, grayscale: 0.3}\n"
    )
    args = ["train", "--config", str(config), "epochs=3", "augment.listing=0.5"]
    args += ["review_budget=null", "block_budget=null", "version=1.10", "--name", "cli"]
    assert main(args) == 0
    seen = captured_train[-1]
    assert (seen.epochs, seen.name, seen.version) == (3, "cli", "1.10")
    assert (seen.augment.listing, seen.augment.grayscale) == (0.5, 0.3)  # merged, not replaced
    assert seen.review_budget is None and seen.block_budget is None  # null sets null
    # --data takes the words up to the next flag; a key=value among them is still a setting
    assert main(["train", "--data", str(tmp_path), "epochs=2", "lr=0.001"]) == 0
    seen = captured_train[-1]
    assert [d.source for d in seen.data] == [str(tmp_path)] and (seen.epochs, seen.lr) == (2, 1e-3)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("epoch=3", "unknown config key 'epoch'. Did you mean 'epochs'?"),
        ("augment.listin=0.5", "unknown augment key 'listin'. Did you mean 'listing'?"),
        ("epochs=three", "config key 'epochs' must be a whole number, got 'three'."),
        ("calibrate=1", "config key 'calibrate' must be true or false, got 1."),
        ("epochs", "expected key=value, got 'epochs'"),
    ],
)
def test_train_refuses_bad_settings_in_one_line(captured_train, tmp_path, capsys, setting, message):
    assert main(["train", setting, "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    assert not captured_train


def test_train_refuses_a_setting_given_twice_and_settings_on_resume(captured_train, capsys):
    assert main(["train", "--data", "p", "--epochs", "2", "epochs=3"]) == 2
    assert "epochs given as a flag and as key=value" in capsys.readouterr().err
    assert main(["train", "--resume", "runs/x", "epochs=3"]) == 2
    assert "drop epochs=3" in capsys.readouterr().err
    assert not captured_train


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--data", "{missing}"],
        ["evaluate", "--data", "{missing}"],
        ["evaluate", "--data", "{photo}"],  # a photo where a manifest or folder belongs
        ["train", "--config", "{missing}.yaml"],
        ["scan", "{missing}", "-o", "{out}"],
        ["hashes", "build", "{missing}", "-o", "{out}"],
    ],
)
def test_a_bad_data_path_is_one_line_and_exit_code_2(tmp_path, capsys, args):
    pytest.importorskip("torch")
    paths = {"missing": tmp_path / "nowhere", "photo": SAMPLE_PHOTO, "out": tmp_path / "o.jsonl"}
    assert main([a.format(**paths) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


#: Every verb that needs an extra, run with the extra's package made unimportable.
MISSING_EXTRAS = """
import contextlib, io, sys
for name in ("torch", "fastapi", "imagehash", "matplotlib"):
    sys.modules[name] = None
from wildvision.cli import main
for args in (["train", "--data", "x"], ["export", "run"], ["evaluate", "--data", "x"],
             ["serve"], ["hashes", "build", ".", "-o", "h.json"]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(args)
    print(code, err.getvalue().strip())
"""


def test_a_missing_extra_is_the_same_error_and_exit_code_for_every_verb(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", MISSING_EXTRAS], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    extras = ["train", "train", "eval", "serve", "hashes"]
    assert len(lines) == len(extras)
    for line, extra in zip(lines, extras):
        assert re.fullmatch(
            rf"2 error: [\w -]+ needs [\w, -]+; install the extra: pip install "
            rf"'wildvision\[{extra}\]'",
            line,
        ), line


def test_a_closed_pipe_ends_quietly():
    """``wildvision info | head -1``: the reader goes before the command writes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wildvision", "info"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141 and err == ""


@pytest.fixture(scope="module")
def shipped():
    """The shipped default model (loads in a second; no training)."""
    from wildvision import Classifier

    return Classifier()


def test_predict_takes_a_folder_and_json_has_the_model_version(shipped, tmp_path, capsys):
    (tmp_path / "photos" / "more").mkdir(parents=True)
    shutil.copy(SAMPLE_PHOTO, tmp_path / "photos" / "b.jpg")
    shutil.copy(SAMPLE_PHOTO, tmp_path / "photos" / "more" / "a.jpg")
    (tmp_path / "photos" / "notes.txt").write_text("not a photo: left out, as scan does")
    assert main(["predict", str(tmp_path / "photos"), str(SAMPLE_PHOTO), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["source"] for line in lines] == [
        str(tmp_path / "photos" / "b.jpg"),
        str(tmp_path / "photos" / "more" / "a.jpg"),
        str(SAMPLE_PHOTO),
    ]
    expected = shipped.predict(SAMPLE_PHOTO)
    assert all(line["model_version"] == shipped.spec.version for line in lines)
    assert all(line["decision"] == expected.decision for line in lines)
    assert lines[0]["score"] == pytest.approx(expected.score, abs=1e-6)


def test_predict_on_a_folder_without_photos_is_an_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    no_model = ["--model", str(tmp_path / "none.onnx")]  # the folder is checked first
    assert main(["predict", str(SAMPLE_PHOTO), str(tmp_path / "empty"), *no_model]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'empty'}: no image files below it")


#: The verbs that decode photos, each with the arguments it needs besides the limits.
DECODING_VERBS = [
    ["predict", "x.jpg"],
    ["scan", "src", "-o", "out.jsonl"],
    ["triage", "src", "-o", "out.jsonl"],
    ["report", "results.jsonl", "-o", "page.html"],
    ["hashes", "build", "known", "-o", "list.json"],
    ["pack", "build", "photos", "--label", "x"],
    ["pack", "bank", "photos"],
    ["evaluate", "--data", "photos"],
]


@pytest.mark.parametrize("args", DECODING_VERBS, ids=lambda args: " ".join(args[:2]))
def test_every_decoding_verb_takes_the_decoding_limits(args, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # raised: restored
    parsed = build_parser().parse_args([*args, "--max-pixels", "400000000", "--max-image-mb", "80"])
    assert decode_limits(parsed) == {"max_pixels": 400_000_000, "max_bytes": 80 * 2**20}
    served = build_parser().parse_args(["serve", "--max-pixels", "1000"])
    assert decode_limits(served) == {"max_pixels": 1000}  # uploads: --max-upload-mb
    with pytest.raises(SystemExit):
        build_parser().parse_args([*args, "--max-pixels", "0"])


def test_the_pixel_and_byte_errors_name_the_flags_that_raise_them(tmp_path, capsys, monkeypatch):
    from PIL import Image

    from tests.hostile_images import png_claiming

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # restored after
    huge = tmp_path / "huge.png"
    huge.write_bytes(png_claiming(20000, 20000))  # 400 megapixels claimed, one row of data
    assert main(["predict", str(huge)]) == 1
    out = capsys.readouterr().out
    assert "too large" in out and "--max-pixels N on the command line" in out
    assert main(["predict", str(SAMPLE_PHOTO), "--max-pixels", "1000"]) == 1
    assert "exceeds the limit of 1000; downscale the image or raise max_pixels (--max-pixels" in (
        capsys.readouterr().out
    )
    assert main(["predict", str(SAMPLE_PHOTO), "--max-image-mb", "0.001"]) == 1
    assert "raise max_bytes (--max-image-mb on the command line)" in capsys.readouterr().out
    # raised past Pillow's own bomb limit, the photo gets as far as its (missing) pixel data
    assert main(["predict", str(huge), "--max-pixels", "500000000"]) == 1
    out = capsys.readouterr().out
    assert "too large" not in out and "corrupt or truncated" in out
    assert Image.MAX_IMAGE_PIXELS == 500_000_000


def test_report_refuses_a_listings_table_and_an_empty_file(tmp_path, capsys):
    table = tmp_path / "listings.csv"
    table.write_text(f"listing_id,path\nL1,{SAMPLE_PHOTO}\n")
    page = tmp_path / "page.html"
    assert main(["report", str(table), "-o", str(page)]) == 2
    err = capsys.readouterr().err
    assert "this looks like a listings table (no decision column)" in err
    assert f"run `wildvision scan {table} -o results.jsonl` first" in err
    (tmp_path / "empty.jsonl").write_text("")
    assert main(["report", str(tmp_path / "empty.jsonl"), "-o", str(page)]) == 2
    assert "no result rows; run `wildvision scan SOURCE" in capsys.readouterr().err
    other = tmp_path / "other.csv"
    other.write_text("name,size\nx,3\n")
    with pytest.raises(ScanError, match="not a scan's results"):
        check_results(other)
    assert not page.exists()


def test_report_with_heatmaps_shows_progress_on_a_terminal_only(shipped, tmp_path, capsys):
    results = tmp_path / "results.jsonl"
    row = {"listing_id": "L1", "path": str(SAMPLE_PHOTO), "label": "ivory", "score": 0.9}
    row |= {"decision": "review", "error": None, "model_version": shipped.spec.version}
    results.write_text(json.dumps(row) + "\n" + json.dumps(row | {"listing_id": "L2"}) + "\n")
    page = tmp_path / "page.html"
    assert main(["report", str(results), "-o", str(page)]) == 0
    captured = capsys.readouterr()
    assert "wrote" in captured.out and "heatmaps" not in captured.err
    with terminal_stderr() as stderr:
        assert main(["report", str(results), "-o", str(page)]) == 0
    assert "heatmaps:" in stderr.getvalue() and "/2" in stderr.getvalue()
