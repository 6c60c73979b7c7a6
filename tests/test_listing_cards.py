"""Advertising cards: the product stays in what the served model sees, every label alike,
and a card is a function of its seed."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("albumentations")

from tests.conftest import skimage_photo  # noqa: E402
from wildvision.train.listing_cards import ListingCard, render_card, served_view  # noqa: E402

MAGENTA = np.array([255, 0, 255])


def magenta_product() -> np.ndarray:
    """A 224 px product no card element is drawn in: pure magenta with a little texture."""
    rng = np.random.default_rng(0)
    pixels = np.broadcast_to(MAGENTA, (224, 224, 3)).astype(np.int16)
    pixels = pixels + rng.integers(-6, 7, (224, 224, 1))
    return np.clip(pixels, 0, 255).astype(np.uint8)


def product_share(view: np.ndarray) -> float:
    return float((np.abs(view.astype(np.int16) - MAGENTA).max(axis=2) < 40).mean())


def test_a_card_is_determined_by_its_seed():
    product = magenta_product()
    card = ListingCard(224, 0.875, p=1.0)
    first = card.draw(product, random.Random(7))
    assert np.array_equal(first, card.draw(product, random.Random(7)))
    assert not np.array_equal(first, card.draw(product, random.Random(8)))
    assert first.shape == product.shape and first.dtype == np.uint8


def test_the_product_stays_in_the_served_view_at_20_to_100_percent():
    """Over 200 seeds the product is always in view (so the card keeps the photo's label),
    from small on a big canvas to filling the frame."""
    product = magenta_product()
    card = ListingCard(224, 0.875, p=1.0)
    shares = [product_share(card.draw(product, random.Random(seed))) for seed in range(200)]
    assert min(shares) > 0.02
    assert np.percentile(shares, 10) < 0.15 and np.percentile(shares, 90) > 0.5


def test_the_card_is_in_the_training_pipeline_only_when_asked():
    """An image-only transform (it never sees the label, so every label's photos become
    cards at the same rate), right after the crop and flip."""
    from wildvision import ModelSpec
    from wildvision.train.config import AugmentConfig
    from wildvision.train.transforms import build_train_transform

    spec = ModelSpec(labels=("animal", "drink"))
    pipeline = build_train_transform(spec, AugmentConfig(card=0.5), seed=3)
    names = [type(t).__name__ for t in pipeline.transforms]
    assert names.index("ListingCard") == names.index("HorizontalFlip") + 1
    assert "ListingCard" not in [
        type(t).__name__ for t in build_train_transform(spec, AugmentConfig(), seed=3).transforms
    ]


def test_a_real_photo_card_is_what_preprocess_would_cut_from_the_whole_card():
    from wildvision import ModelSpec
    from wildvision.preprocess import preprocess

    photo = Image.open(skimage_photo("coffee.png")).convert("RGB").resize((224, 224))
    card = render_card(photo, random.Random(1))
    spec = ModelSpec(labels=("a", "b"), interpolation="bicubic")
    view = np.asarray(served_view(card, 224, 0.875), dtype=np.float32) / 255
    served = preprocess(card, spec).transpose(1, 2, 0) * np.array(spec.std) + np.array(spec.mean)
    assert view.shape == served.shape
    assert np.abs(view - served).mean() < 0.03  # the same framing (resampling differs a little)


def test_with_trimming_the_card_is_seen_as_the_trimming_model_sees_it():
    """With the spec's ``trim_margins`` the card's uniform border is cut before the view,
    exactly where ``preprocess`` cuts it for the served model."""
    from wildvision import ModelSpec
    from wildvision.preprocess import preprocess

    photo = Image.open(skimage_photo("coffee.png")).convert("RGB").resize((224, 224))
    spec = ModelSpec(labels=("a", "b"), trim_margins=12)
    for seed in range(5):
        card = render_card(photo, random.Random(seed))
        view = np.asarray(served_view(card, 224, 0.875, trim=12), dtype=np.float32) / 255
        served = preprocess(card, spec).transpose(1, 2, 0) * 0.5 + 0.5
        assert np.abs(view - served).mean() < 0.03
