"""Calibrate on your own stream: thresholds refitted to a sample land within the binomial
error on a second draw of the same stream, and every reader of the file decides alike.

The models are synthetic (``tests/stream_models.py``): a photo's ivory score is its mean
brightness and its guard distance twice its blue level, so the stream's score distribution,
and the share any thresholds flag on it, is known exactly.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.stream_models import SPEC, draw_colours, synthetic_model, true_shares, write_stream
from wildvision import CalibrationError, CalibrationWarning, Classifier, ConfigError
from wildvision.cli import main
from wildvision.integrity import sha256_of
from wildvision.packs import Pack, load_pack
from wildvision.spec import Thresholds
from wildvision.stream_calibration import calibrate_stream

REVIEW, BLOCK = 0.01, 0.002  # 0.2% blocked needs 5,000 photos
DRAW = 5000
NODE_DIR = Path(__file__).resolve().parent.parent / "examples" / "node"


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    """The standard model with its in-graph twin beside it; returns the standard one."""
    folder = tmp_path_factory.mktemp("synthetic")
    synthetic_model(folder / "m.ingraph.onnx", ingraph=True)
    return synthetic_model(folder / "m.onnx")


@pytest.fixture(scope="module")
def streams(tmp_path_factory) -> dict[str, Path]:
    """Two independent draws of the same stream, and their colours."""
    root = tmp_path_factory.mktemp("streams")
    return {
        name: write_stream(root / name, draw_colours(DRAW, seed))
        for name, seed in (("first", 0), ("second", 1))
    }


@pytest.fixture(scope="module")
def calibrated(models, streams, tmp_path_factory):
    output = tmp_path_factory.mktemp("out") / "stream.onnx"
    return calibrate(models, streams["first"], output=output)


def calibrate(model: Path, sample: Path, output: Path, **options):
    """``calibrate_stream`` at the budgets of these tests unless told otherwise."""
    budgets = {"review_budget": REVIEW, "block_budget": BLOCK}
    return calibrate_stream(model, sample, output=output, **{**budgets, **options})


def decisions(model: Path, folder: Path, **options) -> list[str]:
    photos = sorted(folder.glob("*.png"))
    return [p.decision for p in Classifier(model, **options).predict_batch(photos, 64)]


def shares(decided: list[str]) -> tuple[float, float]:
    counts = Counter(decided)
    return (counts["review"] + counts["block"]) / len(decided), counts["block"] / len(decided)


def test_the_synthetic_scores_are_the_known_function(models, streams):
    colours = draw_colours(DRAW, 0)[:50]
    photos = sorted(streams["first"].glob("*.png"))[:50]
    for prediction, (r, g, b) in zip(Classifier(models).predict_batch(photos), colours):
        assert prediction.scores["ivory"] == pytest.approx((r + g + b) / 765, abs=1e-6)
        assert prediction.guard_distance == pytest.approx(2 * b / 255, abs=1e-6)


def test_a_second_draw_is_flagged_within_the_binomial_error(calibrated, streams):
    t = calibrated.spec.thresholds["ivory"]
    record = calibrated.record
    # on the sample itself: within the budgets, as the Classifier of the new file decides
    first = shares(decisions(calibrated.output, streams["first"]))
    assert first == pytest.approx((record["after"]["flagged"], record["after"]["blocked"]))
    assert first[0] <= REVIEW and first[1] <= BLOCK
    assert first[0] >= REVIEW - 0.002  # the budget is used, not thrown away
    # the guard counts: ignoring it, the 1% quantile of the scores would sit higher
    brightness = np.sort(draw_colours(DRAW, 0).sum(axis=1) / 765)[::-1]
    assert t.review < brightness[int(REVIEW * DRAW)]
    # on the stream: the exact share at the fitted thresholds, and a second, unseen draw
    true_flagged, true_blocked = true_shares(t.review, t.block)
    second = shares(decisions(calibrated.output, streams["second"]))
    for budget, true, seen in ((REVIEW, true_flagged, second[0]), (BLOCK, true_blocked, second[1])):
        quantile_error = math.sqrt(budget * (1 - budget) / DRAW)
        assert abs(true - budget) <= 3 * quantile_error
        assert abs(seen - budget) <= 3 * math.sqrt(2) * quantile_error


def test_the_file_carries_its_operating_point_and_where_it_came_from(calibrated, models, streams):
    spec = Classifier(calibrated.output).spec
    assert spec == calibrated.spec and spec.budgets == {"review": REVIEW, "block": BLOCK}
    (record,) = spec.calibrations
    assert record["sample"]["photos"] == DRAW and record["sample"]["undecodable"] == 0
    assert record["model_sha256"] == sha256_of(models)
    assert record["previous_thresholds"] == {"ivory": {"block": 0.9, "review": 0.75}}
    assert record["before"]["flagged"] == pytest.approx(
        shares(decisions(models, streams["first"]))[0]
    )
    assert record["thresholds"]["ivory"] == {
        "block": spec.thresholds["ivory"].block,
        "review": spec.thresholds["ivory"].review,
    }
    # the same photos in another order hash alike
    listed = streams["first"].parent / "reversed.txt"
    listed.write_text("\n".join(str(p) for p in sorted(streams["first"].glob("*.png"))[::-1]))
    again = calibrate(models, listed, output=listed.with_suffix(".onnx"))
    assert again.record["sample"]["sha256"] == record["sample"]["sha256"]
    assert again.spec.thresholds == spec.thresholds


def test_weights_are_untouched(calibrated, models, streams):
    onnx = pytest.importorskip("onnx")
    before, after = onnx.load(models), onnx.load(calibrated.output)
    assert before.graph.SerializeToString() == after.graph.SerializeToString()
    photos = sorted(streams["second"].glob("*.png"))[:40]
    old = [p.scores for p in Classifier(models).predict_batch(photos)]
    assert [p.scores for p in Classifier(calibrated.output).predict_batch(photos)] == old


def test_python_and_in_graph_decide_alike_on_the_calibrated_model(calibrated, streams):
    twin = calibrated.output.with_name("stream.ingraph.onnx")
    assert twin in calibrated.written
    assert Classifier(twin).spec == calibrated.spec and Classifier(twin).ingraph
    standard = decisions(calibrated.output, streams["second"])
    assert decisions(twin, streams["second"]) == standard
    assert {"block", "review", "allow"} <= set(standard)


@pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_DIR / "node_modules" / "onnxruntime-node").is_dir(),
    reason="needs Node.js and `npm ci --ignore-scripts` in examples/node",
)
def test_node_decides_like_python_on_the_calibrated_model(calibrated, streams):
    twin = calibrated.output.with_name("stream.ingraph.onnx")
    photos = sorted(streams["second"].glob("*.png"))
    python = dict(zip(photos, decisions(twin, streams["second"])))
    flagged = [p for p in photos if python[p] != "allow"]
    chosen = flagged + [p for p in photos if python[p] == "allow"][: len(flagged)]
    command = ["node", "classify.js", str(twin), *map(str, chosen), "--json"]
    run = subprocess.run(command, cwd=NODE_DIR, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    node = [json.loads(line)["decision"] for line in run.stdout.splitlines()]
    assert node == [python[p] for p in chosen]
    assert {"block", "review"} <= set(node)


def test_a_pack_is_calibrated_with_the_model_and_fits_the_new_file(models, streams, tmp_path):
    # a "red" product: score sigmoid(12 r - 6 g - 6 b - 4) over the embedding (r, g, b) / 255
    pack = Pack(
        "red_coral",
        np.array([12.0, -6.0, -6.0]),
        -4.0,
        Thresholds(0.999, 0.99),
        model_sha256=sha256_of(models),
    )
    pack_path = pack.save(tmp_path / "red_coral.wvpack")
    result = calibrate(models, streams["first"], output=tmp_path / "c.onnx", packs=[pack_path])
    new_path = tmp_path / "c.red_coral.wvpack"
    new = load_pack(new_path)
    assert new_path in result.written and new.thresholds != pack.thresholds
    assert new.fits(sha256_of(tmp_path / "c.onnx"))
    assert new.fits(sha256_of(tmp_path / "c.ingraph.onnx"))
    assert result.record["packs"]["red_coral"]["previous"] == {"block": 0.999, "review": 0.99}
    decided = decisions(tmp_path / "c.onnx", streams["first"], packs=[new_path])
    assert shares(decided) == pytest.approx(
        (result.record["after"]["flagged"], result.record["after"]["blocked"])
    )
    assert shares(decided)[0] <= REVIEW and shares(decided)[1] <= BLOCK
    labels = Counter(
        p.label
        for p in Classifier(tmp_path / "c.onnx", packs=[new_path]).predict_batch(
            sorted(streams["first"].glob("*.png"))
        )
        if p.decision != "allow"
    )
    assert labels["red_coral"] > 0 and labels["ivory"] > 0  # both labels share the budget


def test_a_small_sample_is_refused_with_how_many_more(models, streams, tmp_path):
    few = tmp_path / "few.txt"
    few.write_text("\n".join(str(p) for p in sorted(streams["first"].glob("*.png"))[:600]))
    with pytest.raises(
        CalibrationError, match=r"600 photos .* needs about 5,000 .* add about 4,400"
    ):
        calibrate(models, few, output=tmp_path / "o.onnx")
    assert not (tmp_path / "o.onnx").exists()
    with pytest.warns(CalibrationWarning, match="calibrating anyway"):
        result = calibrate(models, few, output=tmp_path / "o.onnx", allow_small=True)
    assert result.record["sample"]["small_allowed"] is True


def test_unreadable_photos_are_reported_and_skipped(models, streams, tmp_path):
    sample = tmp_path / "sample"
    shutil.copytree(streams["first"], sample)
    for i in range(3):
        (sample / f"zz{i}.png").write_bytes(b"<html>not a photo</html>")
    with pytest.warns(CalibrationWarning, match=r"3 photos of the sample could not be read"):
        result = calibrate(models, sample, output=tmp_path / "o.onnx")
    assert result.record["sample"]["undecodable"] == 3
    assert result.record["sample"]["photos"] == DRAW
    assert [source for source, _ in result.errors] == [str(sample / f"zz{i}.png") for i in range(3)]


def test_a_sample_that_is_not_a_stream_is_refused(models, streams, tmp_path):
    rng = np.random.default_rng(2)  # "reported listings": bright, not blue, so all flagged
    reported = np.stack([rng.integers(250, 256, 1200)] * 2 + [rng.integers(100, 150, 1200)], 1)
    folder = write_stream(tmp_path / "reported", np.concatenate([reported, draw_colours(4000, 3)]))
    with pytest.raises(CalibrationError, match="not hold on the stream.*--allow-skewed"):
        calibrate(models, folder, output=tmp_path / "o.onnx")
    with pytest.warns(CalibrationWarning, match="flagged under the model's current thresholds"):
        result = calibrate(models, folder, output=tmp_path / "o.onnx", allow_skewed=True)
    assert result.record["before"]["flagged"] > 0.2 >= result.record["after"]["flagged"]


def test_calibrating_a_calibrated_model_keeps_the_history(calibrated, streams, tmp_path):
    with pytest.warns(CalibrationWarning, match=r"calibrated on a stream before \(1 time"):
        again = calibrate(
            calibrated.output, streams["second"], tmp_path / "2.onnx", review_budget=0.02
        )
    first, second = again.spec.calibrations
    assert first == calibrated.record
    assert second["previous_thresholds"] == first["thresholds"]
    assert second["before"]["flagged"] <= REVIEW + 0.01  # measured at the first calibration's
    assert second["after"]["flagged"] <= 0.02 and again.spec.budgets["review"] == 0.02
    assert any("appended to the history" in note for note in again.notes)


def test_nothing_is_overwritten_in_place(models, streams, tmp_path):
    before = sha256_of(models)
    for target in (models, models.with_name("m.ingraph.onnx"), models.parent / "." / "m.onnx"):
        with pytest.raises(CalibrationError, match="would overwrite the input"):
            calibrate_stream(models, streams["first"], output=target)
    assert sha256_of(models) == before
    with pytest.raises(CalibrationError, match="is a standard model: name the output like it"):
        calibrate_stream(models, streams["first"], output=tmp_path / "o.ingraph.onnx")
    with pytest.raises(ConfigError, match="review in"):
        calibrate_stream(models, streams["first"], output=tmp_path / "o.onnx", review_budget=0.0)
    with pytest.raises(ConfigError, match="block in"):
        calibrate_stream(models, streams["first"], output=tmp_path / "o.onnx", block_budget=0.1)


def test_sha256sums_beside_the_output_are_kept_consistent(models, streams, tmp_path):
    (tmp_path / "SHA256SUMS").write_text(f"{'0' * 64}  other.onnx\n{'1' * 64}  s.onnx\n")
    result = calibrate(models, streams["first"], output=tmp_path / "s.onnx")
    lines = (tmp_path / "SHA256SUMS").read_text().splitlines()
    assert f"{'0' * 64}  other.onnx" in lines and len(lines) == 3
    assert f"{sha256_of(tmp_path / 's.onnx')}  s.onnx" in lines
    assert tmp_path / "SHA256SUMS" in result.written
    Classifier(tmp_path / "s.onnx")  # checked against the sums, and accepted


def test_cli_calibrates_and_info_shows_it(models, streams, tmp_path, capsys):
    out = tmp_path / "cli.onnx"
    args = [
        "--stream",
        str(streams["first"]),
        "-o",
        str(out),
        "--review-budget",
        "0.01",
        "--block-budget",
        "0.002",
    ]
    assert main(["calibrate", str(models), *args]) == 0
    printed = capsys.readouterr().out
    assert "flagged" in printed and f"wrote {out}" in printed
    assert main(["info", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["calibrations"][0]["budgets"] == {"review": 0.01, "block": 0.002}
    assert (
        main(["calibrate", "--model", str(models), *args[:3], str(tmp_path / "m2.onnx"), *args[4:]])
        == 0
    )
    capsys.readouterr()
    assert main(["calibrate", str(models)]) == 2
    assert "--stream SAMPLE" in capsys.readouterr().err
    assert main(["calibrate", str(models), *args, "--block-precision", "0.9"]) == 2
    assert "drop the precision flags" in capsys.readouterr().err
    few = ["calibrate", str(models), "--stream", str(streams["first"]), "-o", str(out)]
    assert main(few) == 2  # the default block budget, 0.1%, needs 10,000 photos
    assert "add about 5,000 more" in capsys.readouterr().err


def test_the_server_shows_the_calibration(calibrated):
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from wildvision.server import create_app

    with TestClient(create_app(str(calibrated.output))) as client:
        described = client.get("/v1/model").json()
    assert described["calibrations"] == [calibrated.record]
    assert described["thresholds"]["ivory"]["review"] == calibrated.spec.thresholds["ivory"].review


def test_spec_without_calibrations_reads_as_before():
    assert SPEC.calibrations == () and SPEC.to_dict()["calibrations"] == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert type(SPEC).from_json(SPEC.to_json()) == SPEC


def test_scan_honours_the_calibrated_thresholds(calibrated, models, streams, tmp_path):
    from wildvision import scan

    photos = sorted(streams["second"].glob("*.png"))[:1500]
    listed = tmp_path / "photos.txt"
    listed.write_text("\n".join(map(str, photos)))
    scan(listed, tmp_path / "r.jsonl", calibrated.output, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    expected = [p.decision for p in Classifier(calibrated.output).predict_batch(photos)]
    assert [row["decision"] for row in rows] == expected
    before = [p.decision for p in Classifier(models).predict_batch(photos)]
    assert expected != before
