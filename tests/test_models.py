"""Resolving model names and paths; the shipped int8 model is preferred unless told otherwise."""

from __future__ import annotations

import pytest

from wildvision import models
from wildvision.errors import ModelError


@pytest.fixture()
def shipped(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "shipped_models_dir", lambda: tmp_path)
    return tmp_path


def test_auto_prefers_int8_then_fp32(shipped):
    (shipped / "wildvision-lite0.onnx").write_bytes(b"fp32")
    assert models.resolve_model_path(None) == shipped / "wildvision-lite0.onnx"
    (shipped / "wildvision-lite0.int8.onnx").write_bytes(b"int8")
    assert models.resolve_model_path(None) == shipped / "wildvision-lite0.int8.onnx"
    assert models.resolve_model_path(None, "fp32") == shipped / "wildvision-lite0.onnx"
    assert models.resolve_model_path("wildvision-lite0", "int8").name.endswith(".int8.onnx")


def test_missing_precision_and_bad_names_are_refused(shipped):
    (shipped / "wildvision-lite0.onnx").write_bytes(b"fp32")
    with pytest.raises(ModelError, match="precision 'int8'"):
        models.resolve_model_path(None, "int8")
    with pytest.raises(ModelError, match="precision must be"):
        models.resolve_model_path(None, "fp16")
    with pytest.raises(ModelError, match="wildvision-lite0"):
        models.resolve_model_path("nope")


def test_paths_are_used_as_they_are(tmp_path):
    path = tmp_path / "mine.onnx"
    path.write_bytes(b"x")
    assert models.resolve_model_path(path, "fp32") == path
    with pytest.raises(ModelError, match="does not exist"):
        models.resolve_model_path(tmp_path / "other.onnx")
