"""The training config: YAML + overrides, and helpful refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("yaml")

from wildvision.errors import ConfigError  # noqa: E402
from wildvision.train.config import DataSource, load_config  # noqa: E402

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
