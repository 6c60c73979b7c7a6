"""The command line: ``wildvision VERB ...``, thin verbs over the Python API (``main`` builds
the parser; ``options`` the flags shared by verbs; ``train``, ``calibrate``, ``evaluate``,
``packs`` and ``verdicts`` their verbs)."""

from __future__ import annotations

from .main import build_parser as build_parser
from .main import main as main

__all__ = ["build_parser", "main"]
