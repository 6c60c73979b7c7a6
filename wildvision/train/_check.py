"""The ``[train]`` extra's check: importing this raises ``MissingExtraError`` naming the extra
when a package of the training floor is missing.

Every module here that imports torch, timm, albumentations, OpenCV or onnx imports this
first, so the message is the same whichever module a user reaches first, while
``wildvision.train`` itself (its face, ``Run``, the config schema) imports without them.
"""

from __future__ import annotations

from .._extras import require_extra
from . import REQUIRED

require_extra("train", REQUIRED, "wildvision training")
