"""Progress bars for the commands that take more than a few seconds, one rule for all.

A bar is drawn on stderr with tqdm, and only when stderr is a terminal (tqdm's
``disable=None``): piped, redirected, captured by tests or run from a notebook kernel, a
command prints no progress lines at all. Without tqdm (it comes with the ``[scan]``,
``[eval]`` and ``[train]`` extras, not with the base install) there is simply no bar.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class _NoBar(Generic[T]):
    """What ``progress`` gives when no bar is drawn: iterates and takes ``update`` calls."""

    def __init__(self, iterable: Iterable[T] | None) -> None:
        self._iterable = iterable

    def __iter__(self) -> Iterator[T]:
        return iter(self._iterable or ())

    def update(self, n: int = 1) -> None:
        """Nothing to draw."""

    def set_postfix(self, *args: object, **kwargs: object) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> _NoBar[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stderr_is_terminal() -> bool:
    """Whether stderr is an interactive terminal (where progress bars are drawn)."""
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed or detached stream
        return False


def tqdm_available() -> bool:
    """Whether tqdm can be imported (the ``[scan]``, ``[eval]`` or ``[train]`` extra)."""
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def progress(
    iterable: Iterable[T] | None = None,
    *,
    total: int | None = None,
    desc: str | None = None,
    unit: str = "img",
    enabled: bool = True,
    leave: bool = False,
) -> Any:
    """A tqdm bar over ``iterable`` (or one to ``update`` by hand) on stderr, drawn only when
    stderr is a terminal; iterating it yields ``iterable``'s items either way.

    Args:
        total: items expected (None: ``len(iterable)`` when it has one).
        desc: what the bar counts, before it ("heatmaps").
        enabled: False never draws one (``--no-progress``).
        leave: keep the finished bar on screen.
    """
    if not enabled or not tqdm_available():
        return _NoBar(iterable)
    from tqdm import tqdm

    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        leave=leave,
        file=sys.stderr,
        disable=None,  # tqdm's own rule: drawn only when the file is a terminal
        dynamic_ncols=True,
        smoothing=0.1,
    )
