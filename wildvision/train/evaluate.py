"""Moved to ``wildvision.evaluation.evaluate`` (no torch); this path keeps working."""

from __future__ import annotations

from ..evaluation.evaluate import ORDINARY_LABEL as ORDINARY_LABEL
from ..evaluation.evaluate import budget_cells as budget_cells
from ..evaluation.evaluate import evaluate as evaluate
from ..evaluation.evaluate import headline as headline
from ..evaluation.evaluate import headline_cells as headline_cells
from ..evaluation.evaluate import read_column as read_column
