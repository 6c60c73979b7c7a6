"""wildvision: recognise illegal wildlife products in listing photos.

The top level is the inference floor and needs only numpy, Pillow and onnxruntime;
evaluation of an exported model lives in ``wildvision.evaluation`` and needs the ``[eval]``
extra (no torch); the training floor lives in ``wildvision.train`` and needs ``[train]``.
"""

from ._version import __version__ as __version__
from .classifier import Classifier as Classifier
from .errors import CalibrationError as CalibrationError
from .errors import CalibrationWarning as CalibrationWarning
from .errors import ConfigError as ConfigError
from .errors import ExportError as ExportError
from .errors import FetchError as FetchError
from .errors import HashListError as HashListError
from .errors import ImageError as ImageError
from .errors import MissingExtraError as MissingExtraError
from .errors import ModelError as ModelError
from .errors import PackError as PackError
from .errors import ScanError as ScanError
from .errors import WildvisionError as WildvisionError
from .hashes import HashList as HashList
from .imaging import load_image as load_image
from .prediction import Prediction as Prediction
from .scanning import ScanSummary as ScanSummary
from .scanning import scan as scan
from .spec import ModelSpec as ModelSpec
from .spec import Thresholds as Thresholds
from .stream_calibration import calibrate_stream as calibrate_stream
from .taxonomy import CLASSES as CLASSES
from .triage import triage as triage

__all__ = [
    "CLASSES",
    "CalibrationError",
    "CalibrationWarning",
    "Classifier",
    "ConfigError",
    "ExportError",
    "FetchError",
    "HashList",
    "HashListError",
    "ImageError",
    "MissingExtraError",
    "ModelError",
    "ModelSpec",
    "PackError",
    "Prediction",
    "ScanError",
    "ScanSummary",
    "Thresholds",
    "WildvisionError",
    "__version__",
    "calibrate_stream",
    "load_image",
    "scan",
    "triage",
]
