"""Moved to ``wildvision.evaluation.calibration`` (no torch); this path keeps working."""

from __future__ import annotations

from ..evaluation.calibration import choose_thresholds as choose_thresholds
from ..evaluation.calibration import choose_thresholds_by_budget as choose_thresholds_by_budget
from ..evaluation.calibration import fit_temperature as fit_temperature
from ..evaluation.calibration import (
    lowest_threshold_for_precision as lowest_threshold_for_precision,
)
from ..evaluation.calibration import negative_log_likelihood as negative_log_likelihood
from ..evaluation.calibration import softmax as softmax
from ..evaluation.calibration import threshold_for_budget as threshold_for_budget
from ..evaluation.calibration import threshold_for_precision as threshold_for_precision
