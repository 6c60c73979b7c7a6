"""The offline ImageNet weights load strictly and name real photos correctly."""

from __future__ import annotations

import pytest

from tests.conftest import skimage_photo

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

from wildvision.errors import ConfigError  # noqa: E402
from wildvision.imaging import load_image  # noqa: E402
from wildvision.preprocess import preprocess  # noqa: E402
from wildvision.train.model_factory import build_spec, create_model  # noqa: E402
from wildvision.train.weights import (  # noqa: E402
    convert_lukemelas_state_dict,
    load_wheel_weights,
    wheel_weights_path,
)

ESPRESSO, CUP = 967, 968
CATS = {281, 282, 283, 284, 285}  # tabby, tiger cat, Persian, Siamese, Egyptian cat


@pytest.fixture(scope="module")
def imagenet_lite0():
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    load_wheel_weights(model, "tf_efficientnet_lite0")
    return model.eval()


def top1(model, photo: str) -> int:
    spec = build_spec(model, "tf_efficientnet_lite0", [str(i) for i in range(1000)])
    batch = torch.from_numpy(preprocess(load_image(skimage_photo(photo)), spec))[None]
    with torch.no_grad():
        return int(model(batch).argmax())


def test_pretrained_lite0_names_a_coffee_photo_espresso(imagenet_lite0):
    assert top1(imagenet_lite0, "coffee.png") in {ESPRESSO, CUP}


def test_pretrained_lite0_names_a_cat_photo_a_cat(imagenet_lite0):
    assert top1(imagenet_lite0, "chelsea.png") in CATS


def test_random_weights_do_not_name_the_photo(imagenet_lite0):
    random_model = timm.create_model("tf_efficientnet_lite0", pretrained=False).eval()
    assert top1(random_model, "coffee.png") != top1(imagenet_lite0, "coffee.png")


@pytest.mark.parametrize("name", ["tf_efficientnet_lite1", "tf_efficientnet_lite2"])
def test_larger_lite_weights_load_strictly(name):
    model = timm.create_model(name, pretrained=False)
    before = model.conv_stem.weight.clone()
    load_wheel_weights(model, name)  # strict=True inside: any missing or extra key raises
    assert not torch.equal(before, model.conv_stem.weight)


def test_conversion_maps_every_key_to_timm_names():
    raw = torch.load(wheel_weights_path("tf_efficientnet_lite0"), weights_only=True)
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    converted = convert_lukemelas_state_dict(raw, [len(s) for s in model.blocks])
    assert set(converted) == set(model.state_dict())
    assert converted["blocks.1.0.conv_pw.weight"] is raw["_blocks.1._expand_conv.weight"]
    assert converted["blocks.0.0.conv_pw.weight"] is raw["_blocks.0._project_conv.weight"]


def test_factory_swaps_the_head_and_keeps_the_backbone(imagenet_lite0):
    model = create_model("tf_efficientnet_lite0", num_classes=4, pretrained="wheel")
    assert model.get_classifier().out_features == 4
    assert torch.equal(model.conv_stem.weight, imagenet_lite0.conv_stem.weight)


def test_unknown_weights_are_refused_with_a_fix():
    with pytest.raises(ConfigError, match="pretrained: timm"):
        create_model("resnet18", num_classes=2, pretrained="wheel")
    with pytest.raises(ConfigError, match="unknown timm model"):
        create_model("no_such_net", num_classes=2, pretrained="none")
