"""Trustworthy model files: digests checked before loading, and a spec that must fit the graph."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from tests.conftest import REPO
from wildvision import Classifier, ModelError
from wildvision.cli import main
from wildvision.integrity import SUMS_FILE, listed_sha256, sha256_of, write_sums


def test_shipped_sums_list_every_shipped_model_with_its_digest():
    folder = REPO / "exported_models"
    models = sorted(p.name for p in [*folder.glob("*.onnx"), *folder.glob("*.negatives.npz")])
    listed = sorted(line.split("  ")[1] for line in (folder / SUMS_FILE).read_text().splitlines())
    assert listed == models
    for name in models:
        assert (
            listed_sha256(folder / name) == hashlib.sha256((folder / name).read_bytes()).hexdigest()
        )


def test_a_changed_byte_in_a_listed_model_is_refused(tiny_model, tmp_path):
    model = tmp_path / "model.onnx"
    shutil.copy(tiny_model, model)
    write_sums(tmp_path)
    assert Classifier(model).sha256 == sha256_of(model)
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01  # inside the weights: onnxruntime alone would load it
    model.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="SHA-256 is .* expected"):
        Classifier(model)


def test_an_expected_digest_is_checked(tiny_model):
    digest = hashlib.sha256(tiny_model.read_bytes()).hexdigest()
    assert Classifier(tiny_model, sha256=digest.upper()).sha256 == digest
    with pytest.raises(ModelError, match="damaged or was changed"):
        Classifier(tiny_model, sha256="0" * 64)


def test_info_shows_the_digest(tiny_model, capsys):
    assert main(["info", str(tiny_model)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["sha256"] == hashlib.sha256(tiny_model.read_bytes()).hexdigest()


def test_a_spec_whose_input_size_does_not_fit_the_graph_is_refused(tiny_model, tmp_path):
    onnx = pytest.importorskip("onnx")
    proto = onnx.load(tiny_model)
    entry = proto.metadata_props[0]
    spec = json.loads(entry.value)
    entry.value = json.dumps({**spec, "input_size": spec["input_size"] + 16})
    bad = tmp_path / "bad.onnx"
    onnx.save(proto, bad)
    with pytest.raises(ModelError, match="spec says"):
        Classifier(bad)


def test_write_sums_lists_models_and_negative_banks_by_default(tiny_model, tmp_path):
    shutil.copy(tiny_model, tmp_path / "model.onnx")
    (tmp_path / "model.negatives.npz").write_bytes(b"bank")
    (tmp_path / "notes.txt").write_text("not shipped")
    write_sums(tmp_path)
    listed = [line.split("  ")[1] for line in (tmp_path / SUMS_FILE).read_text().splitlines()]
    assert listed == ["model.negatives.npz", "model.onnx"]
    write_sums(tmp_path, "*.txt")
    assert (tmp_path / SUMS_FILE).read_text().split("  ")[1] == "notes.txt\n"
