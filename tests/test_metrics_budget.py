"""Recall at a false-flag rate, expected precision at a prevalence, false-flag tables, and
recall at precision that no longer depends on the order of tied scores."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wildvision.errors import ConfigError
from wildvision.metrics import (
    expected_precision,
    false_flag_table,
    recall_at_false_flag_rate,
    recall_at_precision,
    recalls_at_false_flags,
)
from wildvision.thresholds import threshold_for_budget


def test_recall_at_precision_does_not_depend_on_the_order_of_ties():
    labels, scores = np.array([1, 0, 1, 0]), np.array([0.9, 0.9, 0.5, 0.1])
    answers = set()
    for order in itertools.permutations(range(4)):
        order = list(order)
        answers.add(
            tuple(recall_at_precision(labels[order], scores[order], p) for p in (0.9, 0.6, 0.5))
        )
    # 0.9 cuts both tied photos (precision 0.5): precision 0.9 is never reached
    assert answers == {(0.0, 1.0, 1.0)}


def test_recall_at_precision_when_a_tie_at_one_blocks_it():
    # the old cumulative count gave recall 1.0 when the positive happened to come first
    assert recall_at_precision(np.array([1, 0]), np.array([1.0, 1.0]), 1.0) == 0.0
    assert recall_at_precision(np.array([0, 0]), np.array([0.5, 0.4]), 0.5) == 0.0


def test_recall_at_false_flag_rate_uses_the_budget_threshold():
    negatives = np.array([0.9, 0.7, 0.7, 0.4, 0.3, 0.2, 0.1, 0.1, 0.05, 0.0])
    positives = np.array([0.99, 0.85, 0.72, 0.6, 0.3])
    # 10%: one ordinary photo (0.9) may pass, so the cut is just above 0.7
    assert recall_at_false_flag_rate(positives, negatives, 0.1) == 0.6
    assert recall_at_false_flag_rate(positives, negatives, 0.0) == 0.2  # above 0.9
    assert recall_at_false_flag_rate(positives, negatives, 0.3) == 0.8  # just above 0.4
    threshold = threshold_for_budget(negatives, 0.3)
    assert recall_at_false_flag_rate(positives, negatives, 0.3) == (positives >= threshold).mean()
    assert recall_at_false_flag_rate(positives, [], 0.01) is None
    assert recall_at_false_flag_rate([], negatives, 0.01) is None


def test_recalls_at_false_flags_per_label_and_for_any_label():
    # columns: ivory, horn, other; rows: 2 ivory, 1 horn, 4 other
    probs = np.array(
        [
            [0.9, 0.05, 0.05],
            [0.5, 0.1, 0.4],
            [0.1, 0.8, 0.1],
            [0.6, 0.1, 0.3],
            [0.2, 0.7, 0.1],
            [0.1, 0.1, 0.8],
            [0.0, 0.0, 1.0],
        ]
    )
    targets = np.array([0, 0, 1, 2, 2, 2, 2])
    other = targets == 2
    got = recalls_at_false_flags(probs, targets, ["ivory", "horn", "other"], ["ivory"], other)
    # 1% and 0.1% of four ordinary photos: none may pass, so the cut is above their 0.6
    assert got == {"ivory_recall_at_false_flags": {"0.01": 0.5, "0.001": 0.5}}
    got = recalls_at_false_flags(
        probs, targets, ["ivory", "horn", "other"], ["ivory", "horn"], other, rates=(0.25, 0.0)
    )
    # 25%: one of four (the 0.6) may pass, so the cut is just above 0.2
    assert got["ivory_recall_at_false_flags"] == {"0.25": 1.0, "0": 0.5}
    assert got["horn_recall_at_false_flags"] == {"0.25": 1.0, "0": 1.0}
    # any label: flag score = max(ivory, horn); ordinary photos score 0.6, 0.7, 0.1, 0.0
    assert got["wildlife_recall_at_false_flags"] == {"0.25": 2 / 3, "0": 2 / 3}


def test_expected_precision_formula():
    # p R / (p R + (1 - p) F) with p = 1%, R = 0.8, F = 1%: 0.008 / (0.008 + 0.0099)
    assert expected_precision(0.01, 0.8, 0.01) == pytest.approx(0.008 / 0.0179)
    assert expected_precision(0.01, 0.8, 0.0) == 1.0
    assert expected_precision(0.5, 0.5, 0.5) == pytest.approx(0.5)
    assert expected_precision(0.01, 0.0, 0.0) is None  # nothing would be flagged
    assert expected_precision(0.01, None, 0.1) is None
    with pytest.raises(ConfigError, match=r"in \(0, 1\)"):
        expected_precision(0.0, 0.5, 0.5)


def test_false_flag_table_counts_and_orders_the_worst_first():
    table = false_flag_table(
        ["a", "b", "a", "b", "b", "c"],
        [True, False, False, True, True, False],
        [True, False, False, False, False, False],
    )
    assert list(table) == ["b", "a", "c"]
    assert table["a"] == {"photos": 2, "flagged": 0.5, "blocked": 0.5}
    assert table["b"] == {"photos": 3, "flagged": pytest.approx(2 / 3), "blocked": 0.0}
    assert table["c"] == {"photos": 1, "flagged": 0.0, "blocked": 0.0}
    assert false_flag_table([], [], []) == {}
