"""Optional extras: one check and one message for every part that needs one.

Each optional part (training, evaluation, serving, hash lists, Ray) calls ``require_extra``
before importing its packages, so a missing package reads the same everywhere and the CLI
turns it into the same exit code (``MissingExtraError`` is a ``WildvisionError``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

from .errors import MissingExtraError


def install_hint(extra: str) -> str:
    """The command that installs ``extra``: ``pip install 'wildvision[extra]'``."""
    return f"pip install 'wildvision[{extra}]'"


def missing_packages(modules: Mapping[str, str]) -> list[str]:
    """The pip names of the ``{module: pip name}`` entries that cannot be imported."""
    return [pip for module, pip in modules.items() if importlib.util.find_spec(module) is None]


def require_extra(extra: str, modules: Mapping[str, str], purpose: str) -> None:
    """Raise ``MissingExtraError`` naming ``extra`` when a module of it cannot be imported.

    Args:
        extra: the extra's name in pyproject.toml (``train``, ``eval``, ``serve``, ...).
        modules: ``{import name: pip name}`` of the packages the part needs.
        purpose: what needs them, to start the message ("wildvision training").
    """
    missing = missing_packages(modules)
    if missing:
        raise MissingExtraError(
            f"{purpose} needs {', '.join(missing)}; install the extra: {install_hint(extra)}"
        )
