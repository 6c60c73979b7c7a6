"""Moved to ``wildvision.evaluation.report`` (no torch); this path keeps working."""

from __future__ import annotations

from ..evaluation.report import confusion_plot as confusion_plot
from ..evaluation.report import pr_curve_plot as pr_curve_plot
from ..evaluation.report import reliability as reliability
from ..evaluation.report import reliability_plot as reliability_plot
from ..evaluation.report import worst_errors as worst_errors
from ..evaluation.report import write_report as write_report
