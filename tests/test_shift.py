"""The shift test renders held-out photos as listings, the same way every time."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

from tests.conftest import skimage_photo
from wildvision.evaluation.shift import SHIFT_EFFECTS, render_shifted, shift_effects_for


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(skimage_photo("coffee.png")).convert("RGB").resize((240, 160))


def test_rendering_is_fixed_per_index(photo):
    first = np.asarray(render_shifted(photo, 5))
    assert np.array_equal(first, np.asarray(render_shifted(photo, 5)))
    assert not np.array_equal(first, np.asarray(render_shifted(photo, 6)))


@pytest.mark.parametrize("name", sorted(SHIFT_EFFECTS))
def test_each_effect_gives_a_changed_rgb_image(name, photo):
    out = SHIFT_EFFECTS[name](photo, random.Random(0))
    assert out.mode == "RGB" and min(out.size) >= 40
    if out.size == photo.size:
        assert np.abs(np.asarray(out, dtype=int) - np.asarray(photo)).mean() > 1.0


def test_every_photo_gets_a_layout_and_a_pixel_effect():
    chosen = [shift_effects_for(i) for i in range(200)]
    assert len({c for pair in chosen for c in pair}) == len(SHIFT_EFFECTS)


def test_shift_effects_are_not_the_training_augmentations():
    from wildvision.train import listing_augment

    training = {name.lower() for name in dir(listing_augment)}
    assert not {name.replace("_", "") for name in SHIFT_EFFECTS} & training
