"""Metrics against cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from wildvision.metrics import classification_report, recall_at_precision, roc_auc


def test_roc_auc_hand_cases():
    positive = np.array([1, 1, 0, 0])
    assert roc_auc(positive, np.array([0.9, 0.8, 0.2, 0.1])) == 1.0
    assert roc_auc(positive, np.array([0.1, 0.2, 0.8, 0.9])) == 0.0
    assert roc_auc(positive, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    # one positive outranks both negatives, the other only one: (2 + 1) / 4
    assert roc_auc(positive, np.array([0.9, 0.3, 0.5, 0.1])) == 0.75
    assert roc_auc(np.array([1, 1]), np.array([0.2, 0.3])) is None


def test_recall_at_precision():
    positive = np.array([1, 0, 1, 1, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.1])
    assert recall_at_precision(positive, scores, 1.0) == pytest.approx(1 / 3)
    assert recall_at_precision(positive, scores, 0.75) == 1.0


def test_classification_report_counts():
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7]])
    report = classification_report([0, 1, 1, 1], probs, ["ivory", "other"])
    assert report["confusion_matrix"] == [[1, 0], [1, 2]]
    assert report["accuracy"] == 0.75
    assert report["per_class"]["ivory"]["precision"] == 0.5
    assert report["per_class"]["other"]["recall"] == pytest.approx(2 / 3)
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
