"""The evaluation floor: metrics, calibration by budget, evaluation and its report.

Scores an exported model through ``Classifier`` on labelled photos, so the figures are
those of the file users run; needs no torch. Needs the ``[eval]`` extra (tqdm, matplotlib;
the ``[train]`` extra has both): importing this package without it raises
``MissingExtraError`` naming the extra.
"""

from __future__ import annotations

from .._extras import require_extra

#: The packages evaluation imports beyond the inference floor, ``{import name: pip name}``.
_REQUIRED = {"tqdm": "tqdm", "matplotlib": "matplotlib"}
require_extra("eval", _REQUIRED, "wildvision evaluation")
