"""The run folder and the training config schema, without torch.

``Run`` owns a training run's folder (config, spec, splits, metrics, checkpoints) and
``load_config`` reads the one config schema; both sit below the training floor so that
evaluation reads a run without importing it. Reading a config needs PyYAML (in the
``[train]`` and ``[eval]`` extras); reading a checkpoint needs torch.
"""

from __future__ import annotations

from .._extras import require_extra

require_extra("eval", {"yaml": "pyyaml"}, "reading a training run's folder or config")

from .config import TrainConfig as TrainConfig  # noqa: E402
from .config import load_config as load_config  # noqa: E402
from .run import Run as Run  # noqa: E402

__all__ = ["Run", "TrainConfig", "load_config"]
