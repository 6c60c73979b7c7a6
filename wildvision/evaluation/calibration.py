"""Moved to ``wildvision.thresholds`` (the core floor); this path re-exports it for one release."""

from ..thresholds import DEFAULT_BLOCK_BUDGET as DEFAULT_BLOCK_BUDGET
from ..thresholds import DEFAULT_BLOCK_PRECISION as DEFAULT_BLOCK_PRECISION
from ..thresholds import DEFAULT_REVIEW_BUDGET as DEFAULT_REVIEW_BUDGET
from ..thresholds import DEFAULT_REVIEW_PRECISION as DEFAULT_REVIEW_PRECISION
from ..thresholds import choose_thresholds as choose_thresholds
from ..thresholds import choose_thresholds_by_budget as choose_thresholds_by_budget
from ..thresholds import fit_temperature as fit_temperature
from ..thresholds import lowest_threshold_for_precision as lowest_threshold_for_precision
from ..thresholds import negative_log_likelihood as negative_log_likelihood
from ..thresholds import softmax as softmax
from ..thresholds import threshold_for_budget as threshold_for_budget
from ..thresholds import threshold_for_precision as threshold_for_precision
