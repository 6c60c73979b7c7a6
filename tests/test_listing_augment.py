"""Listing-style augmentation: seeded, shape- and dtype-preserving, and visibly at work."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.conftest import skimage_photo

A = pytest.importorskip("albumentations")

from wildvision.train.listing_augment import (  # noqa: E402
    BackgroundSwap,
    Collage,
    Frame,
    PriceBanner,
    TextOverlay,
    Tone,
    Watermark,
    listing_effects,
    random_caption,
)

EFFECTS = [TextOverlay, PriceBanner, Watermark, Frame, Collage, BackgroundSwap, Tone]


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return np.asarray(Image.open(skimage_photo("coffee.png")).convert("RGB").resize((224, 160)))


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("pool")
    path = folder / "cat.jpg"
    Image.open(skimage_photo("chelsea.png")).convert("RGB").save(path)
    return [str(path)]


def make(effect, pool):
    return effect(pool, p=1.0) if effect in (Collage, BackgroundSwap) else effect(p=1.0)


@pytest.mark.parametrize("effect", EFFECTS, ids=lambda e: e.__name__)
def test_effect_keeps_shape_and_dtype_and_changes_pixels(effect, photo, pool):
    out = A.Compose([make(effect, pool)], seed=1)(image=photo)["image"]
    assert out.shape == photo.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - photo).mean() > 1.0


@pytest.mark.parametrize("effect", EFFECTS, ids=lambda e: e.__name__)
def test_effect_is_deterministic_with_a_seed(effect, photo, pool):
    first = [A.Compose([make(effect, pool)], seed=7)(image=photo)["image"] for _ in range(2)]
    again = A.Compose([make(effect, pool)], seed=7)
    outs = [again(image=photo)["image"] for _ in range(2)]
    assert np.array_equal(first[0], outs[0])
    other_seed = A.Compose([make(effect, pool)], seed=8)(image=photo)["image"]
    assert not np.array_equal(first[0], other_seed)


def test_full_listing_pipeline_is_seeded(photo, pool):
    def run(seed):
        pipeline = A.Compose(listing_effects(pool, strength=1.0), seed=seed)
        return [pipeline(image=photo)["image"] for _ in range(6)]

    first, second = run(3), run(3)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert all(x.shape == photo.shape and x.dtype == np.uint8 for x in first)
    assert any(not np.array_equal(x, photo) for x in first)


def test_strength_zero_leaves_the_photo_alone(photo, pool):
    pipeline = A.Compose(listing_effects(pool, strength=0.0), seed=0)
    assert all(np.array_equal(pipeline(image=photo)["image"], photo) for _ in range(5))


def test_collage_without_a_pool_still_works(photo):
    out = A.Compose([Collage([], p=1.0), BackgroundSwap([], p=1.0)], seed=2)(image=photo)["image"]
    assert out.shape == photo.shape


def test_captions_are_varied_text():
    import random

    rng = random.Random(0)
    captions = {random_caption(rng) for _ in range(50)}
    assert len(captions) > 20 and all(isinstance(c, str) and c for c in captions)


def test_train_transform_with_listing_gives_normalised_tensors(photo, pool):
    torch = pytest.importorskip("torch")
    from wildvision.spec import ModelSpec
    from wildvision.train.config import AugmentConfig
    from wildvision.train.transforms import TrainTransform

    spec = ModelSpec(labels=("ivory", "other"))
    transform = TrainTransform(spec, AugmentConfig(listing=1.0), pool, seed=0)
    tensor = transform(Image.fromarray(photo))
    assert tensor.shape == (3, 224, 224) and tensor.dtype == torch.float32
    assert float(tensor.min()) >= -1.01 and float(tensor.max()) <= 1.01


def test_tone_either_tints_the_shading_or_turns_the_hue(photo):
    """A toned print keeps the photo's shading in one ramp of colour; a turned hue keeps the
    brightness and moves the colours; both modes come up."""
    import cv2

    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY).astype(float).ravel()
    pipeline = A.Compose([Tone(p=1.0)], seed=4)
    toned = turned = 0
    for _ in range(12):
        out = pipeline(image=photo)["image"]
        out_grey = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(float).ravel()
        assert np.corrcoef(grey, out_grey)[0, 1] > 0.95  # the shading stays
        # a duotone is one curve of colour: each channel a linear function of the others
        red, blue = out[..., 0].astype(float).ravel(), out[..., 2].astype(float).ravel()
        if abs(np.corrcoef(red, blue)[0, 1]) > 0.99:
            toned += 1
        else:
            hue_in = cv2.cvtColor(photo, cv2.COLOR_RGB2HSV)[..., 0].astype(int)
            hue_out = cv2.cvtColor(out, cv2.COLOR_RGB2HSV)[..., 0].astype(int)
            saturated = cv2.cvtColor(photo, cv2.COLOR_RGB2HSV)[..., 1] > 60
            moved = np.abs((hue_out - hue_in + 90) % 180 - 90)[saturated]
            assert 6 <= np.median(moved) <= 25
            turned += 1
    assert toned and turned


def test_tone_and_downscale_are_augment_keys():
    pytest.importorskip("torch")
    from wildvision.train.config import AugmentConfig, load_config

    config = load_config(None, data=["photos"], augment={"tone": 0.2, "downscale": 0.15})
    assert config.augment.tone == 0.2 and config.augment.downscale == 0.15
    assert AugmentConfig().tone == 0.0 and AugmentConfig().downscale == 0.0


def test_augment_share_outside_zero_to_one_is_refused():
    pytest.importorskip("torch")
    from wildvision.runs.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=r"augment\.tone is a share of photos in \[0, 1\]"):
        load_config(None, data=["photos"], augment={"tone": 1.5})
