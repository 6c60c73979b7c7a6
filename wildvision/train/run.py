"""Moved to ``wildvision.runs.run`` (no torch: evaluation reads it too); this path re-exports it
for one release. ``Run.load_model`` is now ``wildvision.train.load_model(run)``."""

from ..runs.run import BANK_FILE as BANK_FILE
from ..runs.run import CONFIG_FILE as CONFIG_FILE
from ..runs.run import HELD_OUT_FIRST as HELD_OUT_FIRST
from ..runs.run import METRIC_FIELDS as METRIC_FIELDS
from ..runs.run import METRICS_FILE as METRICS_FILE
from ..runs.run import MODEL_FILE as MODEL_FILE
from ..runs.run import SPEC_FILE as SPEC_FILE
from ..runs.run import SPLITS_COLUMNS as SPLITS_COLUMNS
from ..runs.run import SPLITS_FILE as SPLITS_FILE
from ..runs.run import TEST_METRICS_FILE as TEST_METRICS_FILE
from ..runs.run import Checkpoint as Checkpoint
from ..runs.run import Run as Run
