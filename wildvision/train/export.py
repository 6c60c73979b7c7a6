"""Moved to ``wildvision.train.exporter``; this path re-exports it for one release.

Use the face, ``from wildvision.train import export``: a module named ``export`` beside a
function of that name would shadow it once imported, so the module is ``exporter``.
"""

from .exporter import DEFAULT_TOLERANCE as DEFAULT_TOLERANCE
from .exporter import OPSET as OPSET
from .exporter import ExportError as ExportError
from .exporter import export as export
from .exporter import export_ingraph as export_ingraph
from .exporter import export_onnx as export_onnx
