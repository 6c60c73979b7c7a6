"""Temperature scaling and threshold selection, by precision and by false-flag budget."""

from __future__ import annotations

import numpy as np
import pytest

from wildvision.errors import ConfigError
from wildvision.spec import Thresholds
from wildvision.thresholds import (
    choose_thresholds,
    choose_thresholds_by_budget,
    fit_temperature,
    negative_log_likelihood,
    softmax,
    threshold_for_budget,
    threshold_for_precision,
)

pytest.importorskip("yaml", reason="the training config needs PyYAML ([train] or [eval])")
from wildvision.train.config import TrainConfig, build_config  # noqa: E402


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


def above(value: float) -> float:
    return float(np.nextafter(value, np.inf))


def passing(scores, threshold: float) -> float:
    return float((np.asarray(scores) >= threshold).mean())


def test_threshold_for_budget_hand_case():
    negatives = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
    # 10% of ten negatives: one (0.95) may pass, 0.9 must not: just above 0.9
    assert threshold_for_budget(negatives, 0.1) == above(0.9)
    assert threshold_for_budget(negatives, 0.25) == above(0.8)  # two may pass, not three
    assert threshold_for_budget(negatives, 0.0) == above(0.95)  # none: above the highest
    assert threshold_for_budget(negatives, 1.0) == 0.0  # all may pass
    assert passing(negatives, threshold_for_budget(negatives, 0.1)) == 0.1


def test_threshold_for_budget_keeps_ties_together():
    negatives = [0.5, 0.5, 0.5, 0.2]
    # letting one 0.5 through lets all three (75% > 50%): all are kept out together
    assert threshold_for_budget(negatives, 0.5) == above(0.5)
    assert threshold_for_budget(negatives, 0.75) == above(0.2)
    assert passing(negatives, threshold_for_budget(negatives, 0.75)) == 0.75


def test_threshold_for_budget_is_the_lowest_that_keeps_the_budget():
    rng = np.random.default_rng(0)
    for _ in range(200):
        # int8-like outputs: a few distinct values, many ties
        negatives = rng.integers(0, 12, rng.integers(1, 40)) / 11.0
        budget = float(rng.choice([0.0, 0.01, 0.05, 0.1, 0.3, 0.5]))
        threshold = threshold_for_budget(negatives, budget)
        assert 0.0 <= threshold <= 1.0
        cannot = (negatives == 1.0).mean() > budget  # documented: 1.0 is the highest cut
        assert passing(negatives, threshold) <= budget or (cannot and threshold == 1.0)
        if threshold > 0.0:  # one step lower lets too many through
            assert passing(negatives, np.nextafter(threshold, -np.inf)) > budget
        order = rng.permutation(len(negatives))
        assert threshold_for_budget(negatives[order], budget) == threshold


def test_threshold_for_budget_edge_cases():
    # a negative at exactly 1.0 cannot be kept out by a threshold <= 1: 1.0, documented
    assert threshold_for_budget([1.0, 0.3], 0.0) == 1.0
    assert threshold_for_budget([], 0.01) == 1.0  # no negatives: the most cautious threshold
    assert threshold_for_budget(np.array([0.2], dtype=np.float32), 0.0) > 0.2
    with pytest.raises(ConfigError, match="share of ordinary photos"):
        threshold_for_budget([0.1], 1.5)
    with pytest.raises(ConfigError, match="NaN"):
        threshold_for_budget([0.1, np.nan], 0.1)


def budget_case():
    """Four ivory photos and ten ordinary ones; columns ivory, other."""
    ivory = np.array([0.99, 0.85, 0.6, 0.3])
    other = np.array([0.9, 0.7, 0.7, 0.4, 0.3, 0.2, 0.1, 0.1, 0.05, 0.0])
    scores = np.r_[ivory, other]
    probs = np.c_[scores, 1 - scores]
    targets = np.r_[np.zeros(4, int), np.ones(10, int)]
    return probs, targets, targets == 1


def test_choose_thresholds_by_budget_one_label_is_exact():
    probs, targets, negatives = budget_case()
    chosen = choose_thresholds_by_budget(
        probs, targets, ["ivory", "other"], ["ivory"], negatives,
        review_budget=0.1, block_budget=0.0,
    )  # fmt: skip
    # review: one ordinary photo (0.9) may pass, the tied 0.7s may not
    assert chosen == {"ivory": Thresholds(block=above(0.9), review=above(0.7))}
    chosen = choose_thresholds_by_budget(
        probs, targets, ["ivory", "other"], ["ivory"], negatives,
        review_budget=0.3, block_budget=0.1,
    )  # fmt: skip
    assert chosen == {"ivory": Thresholds(block=above(0.7), review=above(0.4))}


def test_choose_thresholds_by_budget_splits_the_budget_over_wildlife_labels():
    # columns: ivory, horn, other; a photo is flagged if either wildlife label passes
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(3), 200)
    targets = np.full(200, 2)
    negatives = np.ones(200, dtype=bool)
    labels = ["ivory", "horn", "other"]
    both = choose_thresholds_by_budget(
        probs, targets, labels, ["ivory", "horn"], negatives, review_budget=0.02, block_budget=0.01
    )
    for column, label in enumerate(("ivory", "horn")):  # each gets half: 1% review, 0.5% block
        assert both[label].review == threshold_for_budget(probs[:, column], 0.01)
        assert both[label].block == threshold_for_budget(probs[:, column], 0.005)
    flagged = (probs[:, 0] >= both["ivory"].review) | (probs[:, 1] >= both["horn"].review)
    assert flagged.mean() <= 0.02
    alone = choose_thresholds_by_budget(
        probs, targets, labels, ["ivory"], negatives, review_budget=0.02, block_budget=0.01
    )
    assert alone["ivory"].review == threshold_for_budget(probs[:, 0], 0.02)


def test_choose_thresholds_by_budget_refuses_bad_input():
    probs, targets, negatives = budget_case()
    with pytest.raises(ConfigError, match="block_budget <= review_budget"):
        choose_thresholds_by_budget(
            probs, targets, ["ivory", "other"], ["ivory"], negatives,
            review_budget=0.001, block_budget=0.01,
        )  # fmt: skip
    with pytest.raises(ConfigError, match="same photos"):
        choose_thresholds_by_budget(probs, targets, ["ivory", "other"], ["ivory"], negatives[1:])


def test_config_budgets_default_and_validation():
    config = TrainConfig(data=["x"]).validate()
    assert (config.review_budget, config.block_budget) == (0.01, 0.001)
    assert build_config({"data": ["x"], "review_budget": None, "block_budget": None})
    for bad, match in (
        ({"review_budget": 1.0}, r"review_budget is a share .* in \[0, 1\)"),
        ({"block_budget": -0.1}, r"block_budget is a share"),
        ({"review_budget": None}, "set both review_budget and block_budget"),
        ({"review_budget": 0.001, "block_budget": 0.01}, "block_budget <= review_budget"),
    ):
        with pytest.raises(ConfigError, match=match):
            build_config({"data": ["x"], **bad})


def test_temperature_stays_one_when_validation_is_already_separated():
    """A split with no wrong argmax has its NLL minimum at T -> 0: that would turn every
    probability into 0 or 1, so the temperature is left at 1."""
    logits = np.array([[0.3, 0.1], [0.2, 0.25], [1.0, -1.0], [-0.1, 0.4]])
    targets = [0, 1, 0, 1]
    assert negative_log_likelihood(logits, targets, 0.05) < negative_log_likelihood(
        logits, targets, 1.0
    )
    assert fit_temperature(logits, targets) == 1.0
    assert fit_temperature(logits, [0, 0, 0, 1]) < 20.0  # one wrong argmax: a real fit
