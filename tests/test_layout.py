"""The package's map: moved modules keep their old import paths for one release (the same
objects, not copies), and each floor has a face."""

from __future__ import annotations

import importlib

import pytest

MOVED = [
    ("wildvision.evaluation.samples", "wildvision.data", "Sample"),
    ("wildvision.evaluation.samples", "wildvision.data", "load_samples"),
    ("wildvision.evaluation.samples", "wildvision.data", "read_manifest"),
    ("wildvision.evaluation.calibration", "wildvision.thresholds", "threshold_for_budget"),
    ("wildvision.evaluation.calibration", "wildvision.thresholds", "choose_thresholds_by_budget"),
    ("wildvision.evaluation.calibration", "wildvision.thresholds", "DEFAULT_REVIEW_BUDGET"),
    ("wildvision.evaluation.shift", "wildvision.drawing", "random_color"),
]


@pytest.mark.parametrize(("old", "new", "name"), MOVED)
def test_old_paths_re_export_the_same_objects(old: str, new: str, name: str) -> None:
    assert getattr(importlib.import_module(old), name) is getattr(
        importlib.import_module(new), name
    )
