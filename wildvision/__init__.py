"""wildvision: recognise illegal wildlife products in listing photos.

The top level is the inference floor and needs only numpy, Pillow and onnxruntime; the
training floor lives in ``wildvision.train`` and needs the ``[train]`` extra.
"""

from ._version import __version__ as __version__
from .classifier import Classifier as Classifier
from .errors import ConfigError as ConfigError
from .errors import ImageError as ImageError
from .errors import ModelError as ModelError
from .errors import WildvisionError as WildvisionError
from .imaging import load_image as load_image
from .prediction import Prediction as Prediction
from .spec import ModelSpec as ModelSpec
from .spec import Thresholds as Thresholds
from .taxonomy import CLASSES as CLASSES

__all__ = [
    "CLASSES",
    "Classifier",
    "ConfigError",
    "ImageError",
    "ModelError",
    "ModelSpec",
    "Prediction",
    "Thresholds",
    "WildvisionError",
    "__version__",
    "load_image",
]
