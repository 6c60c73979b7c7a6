"""A run's operating points: ``calibrate`` refits temperature, guard and thresholds on a
finished run's validation photos, by false-flag budget or by precision (the CLI verb too)."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pytest

from wildvision.errors import ConfigError
from wildvision.spec import Thresholds
from wildvision.thresholds import softmax, threshold_for_budget

pytest.importorskip("torch")


def test_calibrate_refuses_budgets_and_precisions_together(tmp_path):
    from wildvision.train.operating_points import calibrate

    with pytest.raises(ConfigError, match="not both"):
        calibrate(tmp_path, review_budget=0.01, block_precision=0.9)


def relabelled_run(run_dir, target, names):
    """A copy of a run (its best weights, config and split) whose two classes are renamed
    (e.g. animal -> ivory, drink -> other), so a tiny run can stand in for an ivory model."""
    from wildvision.train.run import Run

    source = Run.open(run_dir)
    spec = source.spec
    spec = spec.with_updates(
        labels=tuple(names[x] for x in spec.labels), wildlife_labels=(), thresholds={}
    )
    config = source.config
    config.output_dir, config.name = str(target.parent), target.name
    splits = {
        name: [replace(s, label=names[s.label]) for s in part]
        for name, part in source.splits().items()
    }
    run = Run.create(config, spec, splits)
    best = source.load_checkpoint("best")
    run.save_checkpoint("best", {"model": best["model"], "epoch": best["epoch"]})
    return run.folder


def val_scores(run, label):
    """The calibrated validation probabilities of ``label``, as calibration computes them,
    and the rows' labels."""
    from torch.utils.data import DataLoader

    from wildvision.train.model_factory import load_model
    from wildvision.train.run import Run
    from wildvision.train.torch_dataset import eval_dataset
    from wildvision.train.trainer import predict_loader

    run = Run.open(run)
    model, spec = load_model(run), run.spec
    val = run.splits()["val"]
    loader = DataLoader(eval_dataset(val, spec), batch_size=32)
    targets, logits, _ = predict_loader(model, loader, "cpu")
    probs = softmax(logits, spec.temperature)[:, spec.labels.index(label)]
    return probs, [spec.labels[t] for t in targets]


def test_calibrate_cli_by_budget_then_precision(tiny_run, tmp_path, capsys):
    from wildvision.cli import main
    from wildvision.train.run import Run

    run = relabelled_run(tiny_run.run_dir, tmp_path / "run", {"animal": "ivory", "drink": "other"})

    assert main(["calibrate", str(run), "--review-budget", "0.34", "--block-budget", "0"]) == 0
    assert "by false-flag budget: review 34.00%, block 0.00%" in capsys.readouterr().out
    spec = Run(run).spec
    assert spec.budgets == {"review": 0.34, "block": 0.0}
    probs, labels = val_scores(run, "ivory")
    others = probs[np.array(labels) == "other"]
    assert len(others) == 3  # one of three may go to review, none may be blocked
    assert spec.thresholds["ivory"] == Thresholds(
        block=threshold_for_budget(others, 0.0), review=threshold_for_budget(others, 0.34)
    )
    assert (others >= spec.thresholds["ivory"].block).sum() == 0
    assert (others >= spec.thresholds["ivory"].review).sum() <= 1
    config = Run(run).config
    assert (config.review_budget, config.block_budget) == (0.34, 0.0)

    # a precision flag switches to precision and clears the budgets, and that sticks
    assert main(["calibrate", str(run), "--block-precision", "0.9"]) == 0
    assert "(by precision)" in capsys.readouterr().out
    assert Run(run).spec.budgets is None
    config = Run(run).config
    assert (config.review_budget, config.block_budget) == (None, None)
    assert config.block_precision == 0.9
    assert main(["calibrate", str(run)]) == 0
    assert Run(run).spec.budgets is None

    # one budget flag switches back; the other budget is the default
    assert main(["calibrate", str(run), "--review-budget", "0.05"]) == 0
    assert Run(run).spec.budgets == {"review": 0.05, "block": 0.001}

    # both kinds at once are refused, and nothing is changed
    before = Run(run).spec
    assert (
        main(["calibrate", str(run), "--review-budget", "0.01", "--review-precision", "0.8"]) == 2
    )
    assert "not both" in capsys.readouterr().err
    assert Run(run).spec == before


def test_calibration_without_other_photos_falls_back_to_precision(tiny_run, tmp_path, caplog):
    from wildvision.train.operating_points import calibrate

    names = {"animal": "ivory", "drink": "ceramic"}
    run = relabelled_run(tiny_run.run_dir, tmp_path / "run", names)
    with caplog.at_level(logging.WARNING, logger="wildvision"):
        spec = calibrate(run, review_budget=0.01, block_budget=0.001)
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("no 'other' photos" in r.getMessage() for r in warned)
    assert spec.budgets is None and set(spec.thresholds) == {"ivory"}
