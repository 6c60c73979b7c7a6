"""Temperature scaling and threshold selection."""

from __future__ import annotations

import numpy as np
import pytest

from wildvision.spec import Thresholds
from wildvision.train.calibration import (
    choose_thresholds,
    fit_temperature,
    negative_log_likelihood,
    softmax,
    threshold_for_precision,
)


def overconfident_logits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three-class logits from a model that is right ~75% of the time but scaled x4."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 3, n)
    logits = rng.normal(0, 1, (n, 3))
    logits[np.arange(n), targets] += 1.2
    return logits * 4.0, targets


def test_temperature_lowers_nll_on_held_out_data():
    fit_logits, fit_targets = overconfident_logits(600, seed=0)
    held_logits, held_targets = overconfident_logits(600, seed=1)
    temperature = fit_temperature(fit_logits, fit_targets)
    assert temperature > 2.0  # it undoes the x4 over-confidence
    before = negative_log_likelihood(held_logits, held_targets)
    after = negative_log_likelihood(held_logits, held_targets, temperature)
    assert after < before - 0.1


def test_temperature_keeps_the_argmax():
    logits, _ = overconfident_logits(100, seed=2)
    assert np.array_equal(softmax(logits).argmax(1), softmax(logits, 3.7).argmax(1))


def test_temperature_finds_the_grid_minimum():
    logits, targets = overconfident_logits(300, seed=3)
    temperature = fit_temperature(logits, targets)
    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 400))
    best = min(grid, key=lambda t: negative_log_likelihood(logits, targets, t))
    assert negative_log_likelihood(logits, targets, temperature) <= (
        negative_log_likelihood(logits, targets, best) + 1e-6
    )


def test_threshold_for_precision_hand_case():
    positive = np.array([1, 1, 0, 1, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.1])
    assert threshold_for_precision(positive, scores, 1.0) == 0.8
    assert threshold_for_precision(positive, scores, 0.75) == 0.6
    assert threshold_for_precision(positive, scores, 0.5) == 0.1
    assert threshold_for_precision(np.zeros(3), scores[:3], 0.9) == 1.0


def test_tied_scores_are_cut_together():
    positive = np.array([1, 0, 1])
    scores = np.array([0.9, 0.9, 0.2])
    # a cut at 0.9 takes both tied photos (precision 0.5), so precision 1.0 is unreachable
    assert threshold_for_precision(positive, scores, 1.0) == 1.0


def test_choose_thresholds_only_for_wildlife_and_review_below_block():
    probs = np.array([[0.95, 0.05], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.55, 0.45]])
    targets = [0, 0, 1, 1, 0]
    chosen = choose_thresholds(
        probs, targets, ["ivory", "other"], ["ivory"], block_precision=0.97, review_precision=0.7
    )
    assert set(chosen) == {"ivory"}
    assert chosen["ivory"] == Thresholds(block=0.9, review=0.55)
    assert chosen["ivory"].review <= chosen["ivory"].block


def test_softmax_rows_sum_to_one():
    logits, _ = overconfident_logits(10, seed=4)
    assert softmax(logits, 2.0).sum(1) == pytest.approx(np.ones(10))
