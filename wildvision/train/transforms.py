"""Image transforms for training (albumentations) and evaluation (the spec's own preprocessing)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import albumentations as A
import cv2
import numpy as np
import torch
from PIL import Image

from ..preprocess import normalize, preprocess, trim_margins
from ..runs.config import AugmentConfig
from ..spec import ModelSpec
from .listing_augment import Tone, listing_effects
from .listing_cards import ListingCard


def build_train_transform(
    spec: ModelSpec,
    augment: AugmentConfig,
    pool: Sequence[str | Path] = (),
    seed: int | None = None,
) -> A.Compose:
    """Random crop, flip, rotation, colour, advertising cards (``augment.card``), listing-style
    effects (when ``augment.listing`` is above 0, pasting material from ``pool`` photos),
    toning (``augment.tone``), greyscale, blur, low resolution (``augment.downscale``) and JPEG
    re-compression.

    Greyscale is applied at random so the model cannot learn "colour means ivory" (the museum
    ceramics are far more often greyscale than the ivory).
    """
    size = spec.input_size
    listing = listing_effects(pool, augment.listing) if augment.listing > 0 else []
    if augment.card > 0:  # every label alike, before the other listing effects
        card = ListingCard(size, spec.crop_pct, trim=spec.trim_margins, p=augment.card)
        listing = [card, *listing]
    return A.Compose(
        [
            A.RandomResizedCrop(
                size=(size, size), scale=(augment.scale_min, 1.0), interpolation=cv2.INTER_CUBIC
            ),
            A.HorizontalFlip(p=augment.hflip),
            *listing,
            A.Affine(
                rotate=(-augment.rotate_degrees, augment.rotate_degrees),
                p=0.3,
                border_mode=cv2.BORDER_REFLECT_101,
            ),
            A.ColorJitter(
                brightness=augment.color_jitter,
                contrast=augment.color_jitter,
                saturation=augment.color_jitter,
                hue=min(0.5, augment.color_jitter / 6),
                p=0.8,
            ),
            Tone(p=augment.tone),
            A.ToGray(p=augment.grayscale),
            A.GaussianBlur(sigma_limit=(0.2, 1.5), p=augment.blur),
            A.Downscale(scale_range=(0.25, 0.6), p=augment.downscale),
            A.ImageCompression(quality_range=(augment.jpeg_quality_min, 95), p=0.3),
        ],
        seed=seed,
    )


class TrainTransform:
    """PIL image -> augmented, normalised CHW tensor (picklable for DataLoader workers)."""

    def __init__(
        self,
        spec: ModelSpec,
        augment: AugmentConfig,
        pool: Sequence[str | Path] = (),
        seed: int | None = None,
    ) -> None:
        self.spec = spec
        self.pipeline = build_train_transform(spec, augment, pool, seed)

    def reseed(self, seed: int) -> None:
        """Give each DataLoader worker its own augmentation stream."""
        self.pipeline.set_random_seed(seed)

    def __call__(self, image: Image.Image) -> torch.Tensor:
        if self.spec.trim_margins is not None:  # as the served model will cut them
            image = trim_margins(image, self.spec.trim_margins)
        pixels = self.pipeline(image=np.asarray(image, dtype=np.uint8))["image"]
        return torch.from_numpy(normalize(pixels, self.spec))


class EvalTransform:
    """PIL image -> CHW tensor through exactly the preprocessing the runtime uses."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def __call__(self, image: Image.Image) -> torch.Tensor:
        return torch.from_numpy(preprocess(image, self.spec))
