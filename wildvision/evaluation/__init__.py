"""The evaluation floor: metrics, evaluation of an exported model and its report.

Scores an exported model through ``Classifier`` on labelled photos, so the figures are
those of the file users run; needs no torch. The face::

    from wildvision.evaluation import evaluate, confusion_plot, reliability_plot

``metrics``, ``shift`` and ``effects`` need the inference floor only (the photos and the
threshold maths they stand on are the core's: ``wildvision.data``, ``wildvision.thresholds``);
``evaluate`` and ``report`` need the ``[eval]`` extra (tqdm, matplotlib; the ``[train]``
extra has both): without it, asking for ``evaluate`` raises ``MissingExtraError`` naming
the extra.
"""

from __future__ import annotations

from typing import Any

from ..errors import MissingExtraError

#: The packages ``evaluate`` and ``report`` import beyond the inference floor,
#: ``{import name: pip name}``.
REQUIRED = {"tqdm": "tqdm", "matplotlib": "matplotlib"}

__all__ = ["REQUIRED", "confusion_plot", "evaluate", "reliability_plot"]

# Imported here, not on first use: the function then holds the name ``evaluate`` for good,
# rather than the module of that name once someone imports ``evaluation.evaluate``.
try:
    from .evaluate import evaluate as evaluate
    from .report import confusion_plot as confusion_plot
    from .report import reliability_plot as reliability_plot
except MissingExtraError as _missing:  # the [eval] extra is absent: say so when asked
    _MISSING: MissingExtraError | None = _missing
else:
    _MISSING = None


def __getattr__(name: str) -> Any:
    if name in __all__ and _MISSING is not None:
        raise _MISSING
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
