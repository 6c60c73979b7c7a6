"""preprocess() is timm's evaluation transform, written with Pillow and numpy."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.conftest import skimage_photo
from wildvision.imaging import load_image
from wildvision.preprocess import (
    MAX_RESIZED_ASPECT,
    MIN_TRIMMED_SHARE,
    margin_box,
    preprocess,
    preprocess_batch,
    resize_and_crop,
)
from wildvision.spec import ModelSpec

LABELS = ("ivory", "bone", "other")


def spec_from_data_config(config: dict) -> ModelSpec:
    channels, height, width = config["input_size"]
    assert channels == 3 and height == width
    return ModelSpec(
        labels=LABELS,
        input_size=int(height),
        interpolation=config["interpolation"],
        crop_pct=config["crop_pct"],
        mean=config["mean"],
        std=config["std"],
    )


@pytest.fixture(scope="module")
def timm_eval():
    """(spec, transform) for tf_efficientnet_lite0's default evaluation config."""
    timm = pytest.importorskip("timm")
    timm_data = pytest.importorskip("timm.data")

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    config = timm_data.resolve_data_config({}, model=model)
    return spec_from_data_config(config), timm_data.create_transform(**config)


@pytest.fixture(scope="module")
def coffee() -> Image.Image:
    return load_image(skimage_photo("coffee.png"))


def crops(coffee: Image.Image) -> dict[str, Image.Image]:
    width, height = coffee.size
    return {
        "landscape": coffee,
        "portrait": coffee.crop((150, 0, 150 + height // 2, height)),
        "small": coffee.resize((100, 60), Image.Resampling.BILINEAR),
        "small_portrait": coffee.resize((61, 97), Image.Resampling.BILINEAR),
        "exact": coffee.crop((0, 0, 256, 256)),
    }


@pytest.mark.parametrize("name", ["landscape", "portrait", "small", "small_portrait", "exact"])
def test_matches_timm_eval_transform(timm_eval, coffee, name):
    spec, transform = timm_eval
    image = crops(coffee)[name]
    ours = preprocess(image, spec)
    theirs = transform(image).numpy()
    assert ours.shape == theirs.shape == (3, spec.input_size, spec.input_size)
    assert ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-5


def test_timm_config_is_the_spec_default(timm_eval):
    spec, _ = timm_eval
    assert spec == ModelSpec(labels=LABELS)


@pytest.mark.parametrize(
    ("size", "interpolation", "crop_pct", "mean", "std"),
    [
        (240, "bilinear", 0.9, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        (223, "nearest", 0.77, (0.4, 0.5, 0.6), (0.2, 0.3, 0.25)),
        (260, "bicubic", 1.0, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ],
)
def test_matches_timm_for_other_configs(coffee, size, interpolation, crop_pct, mean, std):
    timm_data = pytest.importorskip("timm.data")

    config = {
        "input_size": (3, size, size),
        "interpolation": interpolation,
        "crop_pct": crop_pct,
        "mean": mean,
        "std": std,
        "crop_mode": "center",
    }
    spec = spec_from_data_config(config)
    transform = timm_data.create_transform(**config)
    for image in crops(coffee).values():
        ours = preprocess(image, spec)
        assert ours.shape == (3, size, size)
        assert np.abs(ours - transform(image).numpy()).max() < 1e-5


def test_output_shape_dtype_and_range(coffee):
    spec = ModelSpec(labels=LABELS)
    out = preprocess(coffee, spec)
    assert out.shape == (3, 224, 224)
    assert out.dtype == np.float32
    assert out.flags["C_CONTIGUOUS"]
    # mean = std = 0.5 maps [0, 255] onto [-1, 1]
    assert out.min() >= -1.0 and out.max() <= 1.0
    assert out.min() < -0.5 and out.max() > 0.5  # a real photo uses most of the range


def test_resize_and_crop_keeps_aspect_and_centres(coffee):
    spec = ModelSpec(labels=LABELS)
    width, height = coffee.size
    cropped = resize_and_crop(coffee, spec)
    assert cropped.size == (224, 224)
    # By hand: shorter side to 256, longer side scaled, centre crop of 224.
    new_width = int(256 * width / height)
    resized = coffee.resize((new_width, 256), Image.Resampling.BICUBIC)
    left, top = round((new_width - 224) / 2), round((256 - 224) / 2)
    expected = resized.crop((left, top, left + 224, top + 224))
    np.testing.assert_array_equal(np.asarray(cropped), np.asarray(expected))


@pytest.mark.parametrize("size", [(1, 20000), (20000, 1), (3, 5000)], ids=str)
def test_extreme_aspect_ratios_resize_only_the_cropped_region(size):
    # The whole 1x20000 strip resized to a short side of 256 would be about 4 GB.
    strip = Image.fromarray(np.random.default_rng(0).integers(0, 256, size[::-1] + (3,), np.uint8))
    spec = ModelSpec(labels=LABELS)
    out = preprocess(strip, spec)
    assert out.shape == (3, 224, 224) and np.isfinite(out).all()


def test_extreme_aspect_crop_matches_resizing_the_whole_image(coffee):
    strip = coffee.resize((40, 1000))  # 25:1, past MAX_RESIZED_ASPECT but cheap to resize whole
    spec = ModelSpec(labels=LABELS)
    assert MAX_RESIZED_ASPECT < 1000 / 40
    new_height = int(256 * 1000 / 40)
    whole = strip.resize((256, new_height), Image.Resampling.BICUBIC)
    top = round((new_height - 224) / 2)
    expected = np.asarray(whole.crop((16, top, 240, top + 224)), dtype=int)
    difference = np.abs(np.asarray(resize_and_crop(strip, spec), dtype=int) - expected)
    assert difference.max() <= 2 and difference.mean() < 0.15  # rounding in the two passes


def test_normalisation_uses_the_spec_mean_and_std():
    spec = ModelSpec(labels=LABELS, mean=(0.2, 0.4, 0.6), std=(0.1, 0.2, 0.4))
    solid = Image.new("RGB", (300, 300), (51, 102, 255))
    out = preprocess(solid, spec)
    expected = (np.array([51, 102, 255]) / 255 - np.array(spec.mean)) / np.array(spec.std)
    for channel in range(3):
        assert np.allclose(out[channel], expected[channel], atol=1e-5)


def test_batch_stacks_single_images(coffee):
    spec = ModelSpec(labels=LABELS)
    images = list(crops(coffee).values())[:3]
    batch = preprocess_batch(images, spec)
    assert batch.shape == (3, 3, 224, 224)
    assert batch.dtype == np.float32
    for i, image in enumerate(images):
        np.testing.assert_array_equal(batch[i], preprocess(image, spec))


def _reference_margin_box(pixels: np.ndarray, tolerance: int) -> tuple[int, int, int, int]:
    """margin_box's rule written plainly (it computes the rows' ranges on a transposed copy)."""
    h, w = pixels.shape[:2]
    rows = np.flatnonzero(~(np.ptp(pixels, axis=1) <= tolerance).all(axis=1))
    if not len(rows):
        return 0, 0, w, h
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    columns = np.flatnonzero(~(np.ptp(pixels[top:bottom], axis=0) <= tolerance).all(axis=1))
    left, right = (int(columns[0]), int(columns[-1]) + 1) if len(columns) else (0, w)
    if bottom - top < MIN_TRIMMED_SHARE * h or right - left < MIN_TRIMMED_SHARE * w:
        return 0, 0, w, h
    return left, top, right, bottom


def test_margin_box_matches_its_rule_written_plainly():
    """Cards with margins of every size (0 to most of the side), faint noise inside the
    tolerance, a one-pixel line, blank and full-frame images: the same box as np.ptp along
    each row and column gives."""
    rng = np.random.default_rng(0)
    for trial in range(300):
        h, w = rng.integers(1, 300, size=2)
        canvas = rng.integers(0, 256, size=3)
        pixels = np.clip(canvas + rng.integers(-6, 7, size=(h, w, 3)), 0, 255).astype(np.uint8)
        if trial % 10:  # a product somewhere (sometimes a single row or column)
            top, left = rng.integers(0, h), rng.integers(0, w)
            bottom, right = rng.integers(top + 1, h + 1), rng.integers(left + 1, w + 1)
            pixels[top:bottom, left:right] = rng.integers(
                0, 256, size=(bottom - top, right - left, 3)
            )
        tolerance = int(rng.choice([0, 12, 40]))
        assert margin_box(pixels, tolerance) == _reference_margin_box(pixels, tolerance)
