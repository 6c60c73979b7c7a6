"""The training config: YAML + overrides, and helpful refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("yaml")

from wildvision.errors import ConfigError  # noqa: E402
from wildvision.train.config import DataSource, load_config, parse_overrides  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def test_shipped_configs_load():
    for path in sorted((REPO / "training" / "configs").glob("*.yaml")):
        config = load_config(path)
        assert config.data and config.model.startswith("tf_efficientnet_lite")


def test_overrides_win_over_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data: [photos]\nepochs: 5\nbatch_size: 4\n")
    config = load_config(path, epochs=2, name="x", batch_size=None)
    assert (config.epochs, config.batch_size, config.name) == (2, 4, "x")
    assert config.data == [DataSource(source="photos")]


def test_unknown_key_suggests_the_closest(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data: [photos]\nepoch: 5\n")
    with pytest.raises(ConfigError, match="Did you mean 'epochs'"):
        load_config(path)
    with pytest.raises(ConfigError, match="Did you mean 'grayscale'"):
        load_config(None, data=["p"], augment={"greyscale": 0.5})


def test_missing_data_and_bad_values_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="--data"):
        load_config(None)
    with pytest.raises(ConfigError, match="pretrained"):
        load_config(None, data=["p"], pretrained="imagenet")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="amp must be one of auto, bf16, fp16, off"):
        load_config(None, data=["p"], amp="fp8")


def test_a_nested_override_merges_and_values_are_type_checked(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data: [photos]\naugment: {listing: 0.1, grayscale: 0.3}\nlr: 5e-4\n")
    with pytest.raises(ConfigError, match="'lr' must be a number, got '5e-4'"):
        load_config(path)  # YAML reads 5e-4 as text: 5.0e-4 or 0.0005 is a number
    config = load_config(path, lr=0.001, augment={"listing": 0.5}, output_dir=tmp_path)
    assert (config.augment.listing, config.augment.grayscale) == (0.5, 0.3)
    assert config.output_dir == str(tmp_path)  # a path where text is asked for
    with pytest.raises(ConfigError, match="'exclude' must be a mapping of text to a list"):
        load_config(None, data=[{"source": "p", "exclude": ["category"]}])


def test_parse_overrides_reads_values_as_yaml_and_keeps_text_keys_as_typed():
    parsed = parse_overrides(
        ["epochs=3", "augment.listing=0.5", "labels=[ivory, other]", "layer_decay=null"]
        + ["version=1.10", "name=007", "device=cuda:1", "ema_decay=.998"]
    )
    assert parsed == {
        "epochs": 3,
        "augment": {"listing": 0.5},
        "labels": ["ivory", "other"],
        "layer_decay": None,
        "version": "1.10",
        "name": "007",
        "device": "cuda:1",
        "ema_decay": 0.998,
    }
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_overrides(["augment.=3"])
