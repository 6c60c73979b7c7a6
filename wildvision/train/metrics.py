"""Moved to ``wildvision.evaluation.metrics`` (no torch); this path keeps working."""

from __future__ import annotations

from ..evaluation.metrics import FALSE_FLAG_RATES as FALSE_FLAG_RATES
from ..evaluation.metrics import classification_report as classification_report
from ..evaluation.metrics import confusion_matrix as confusion_matrix
from ..evaluation.metrics import expected_precision as expected_precision
from ..evaluation.metrics import false_flag_table as false_flag_table
from ..evaluation.metrics import recall_at_false_flag_rate as recall_at_false_flag_rate
from ..evaluation.metrics import recall_at_precision as recall_at_precision
from ..evaluation.metrics import recalls_at_false_flags as recalls_at_false_flags
from ..evaluation.metrics import roc_auc as roc_auc
