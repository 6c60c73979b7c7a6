"""Serving over HTTP (``wildvision serve``): a FastAPI app on uvicorn around one model.

Needs the ``[serve]`` extra (fastapi, uvicorn, python-multipart, and fastapi-offline, whose
copies of Swagger UI and ReDoc make ``/docs`` and ``/redoc`` work with no network); importing
this package
without it raises ``MissingExtraError`` naming the extra. ``import wildvision`` never
imports it.
"""

from __future__ import annotations

from .._extras import require_extra

_REQUIRED = {
    "fastapi": "fastapi",
    "uvicorn": "uvicorn",
    "python_multipart": "python-multipart",
    "fastapi_offline": "fastapi-offline",
}
require_extra("serve", _REQUIRED, "serving over HTTP")

from .app import create_app as create_app  # noqa: E402
from .app import serve as serve  # noqa: E402

__all__ = ["create_app", "serve"]
