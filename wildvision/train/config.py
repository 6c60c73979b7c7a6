"""Moved to ``wildvision.runs.config`` (no torch: evaluation reads it too); this path re-exports
it for one release."""

from ..runs.config import AMP_MODES as AMP_MODES
from ..runs.config import AugmentConfig as AugmentConfig
from ..runs.config import DataSource as DataSource
from ..runs.config import TrainConfig as TrainConfig
from ..runs.config import build_config as build_config
from ..runs.config import load_config as load_config
from ..runs.config import merge_settings as merge_settings
from ..runs.config import parse_overrides as parse_overrides
from ..runs.config import read_config_file as read_config_file
