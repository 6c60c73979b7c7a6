"""Progress bars: drawn on stderr when it is a terminal, silent otherwise (pipes, files,
captured test output, notebook kernels), and a plain iteration without tqdm."""

from __future__ import annotations

import pytest

from tests.conftest import terminal_stderr
from wildvision import _progress
from wildvision._progress import progress, stderr_is_terminal

pytest.importorskip("tqdm")


def test_a_bar_is_drawn_on_a_terminal():
    with terminal_stderr() as stderr:
        assert stderr_is_terminal()
        assert list(progress(range(5), desc="heatmaps", unit="photo")) == [0, 1, 2, 3, 4]
    drawn = stderr.getvalue()
    assert "heatmaps:" in drawn and "0/5" in drawn and "photo/s" in drawn


def test_nothing_is_written_when_stderr_is_not_a_terminal(capsys):
    assert not stderr_is_terminal()  # pytest captures stderr
    with progress(total=3, desc="counting") as bar:
        bar.update(3)
    assert list(progress([1, 2], desc="items")) == [1, 2]
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_disabled_or_without_tqdm_it_only_iterates(monkeypatch):
    monkeypatch.setattr(_progress, "tqdm_available", lambda: False)
    with terminal_stderr() as stderr:
        assert list(progress("abc", desc="off", enabled=False)) == ["a", "b", "c"]
        bar = progress([1, 2], desc="no tqdm")
        bar.update(1)
        bar.set_postfix(loss="0.1")
        assert list(bar) == [1, 2]
    assert stderr.getvalue() == ""
