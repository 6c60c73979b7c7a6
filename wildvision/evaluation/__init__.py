"""The evaluation floor: metrics, calibration by budget, evaluation and its report.

Scores an exported model through ``Classifier`` on labelled photos, so the figures are
those of the file users run; needs no torch. ``samples``, ``metrics``, ``calibration`` and
``shift`` need the inference floor only (product packs use them); ``evaluate`` and
``report`` need the ``[eval]`` extra (tqdm, matplotlib; the ``[train]`` extra has both):
importing them without it raises ``MissingExtraError`` naming the extra.
"""

from __future__ import annotations

#: The packages ``evaluate`` and ``report`` import beyond the inference floor,
#: ``{import name: pip name}``.
REQUIRED = {"tqdm": "tqdm", "matplotlib": "matplotlib"}
