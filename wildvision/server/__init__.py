"""Serving over HTTP (``wildvision serve``): a FastAPI app on uvicorn around one model.

Needs the ``[serve]`` extra (fastapi, uvicorn, python-multipart); importing this package
without it raises ``MissingExtraError`` naming the extra. ``import wildvision`` never
imports it.
"""

from __future__ import annotations

import importlib.util

from ..errors import MissingExtraError

_REQUIRED = {"fastapi": "fastapi", "uvicorn": "uvicorn", "python_multipart": "python-multipart"}

_missing = [pip for module, pip in _REQUIRED.items() if importlib.util.find_spec(module) is None]
if _missing:
    raise MissingExtraError(
        f"serving over HTTP needs {', '.join(_missing)}; install the extra: "
        "pip install 'wildvision[serve]'"
    )

from .app import create_app as create_app  # noqa: E402
from .app import serve as serve  # noqa: E402

__all__ = ["create_app", "serve"]
