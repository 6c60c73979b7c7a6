"""Moved to ``wildvision.metrics`` (the core floor: training, packs and evaluation use it);
this path re-exports it for one release."""

from ..metrics import FALSE_FLAG_RATES as FALSE_FLAG_RATES
from ..metrics import classification_report as classification_report
from ..metrics import confusion_matrix as confusion_matrix
from ..metrics import expected_precision as expected_precision
from ..metrics import false_flag_table as false_flag_table
from ..metrics import recall_at_false_flag_rate as recall_at_false_flag_rate
from ..metrics import recall_at_precision as recall_at_precision
from ..metrics import recalls_at_false_flags as recalls_at_false_flags
from ..metrics import roc_auc as roc_auc
