"""Spec-driven preprocessing: RGB image -> normalised CHW float32 array.

This is timm's evaluation transform (resize the shorter side to ``floor(size / crop_pct)``,
centre-crop ``size``, scale to [0, 1], normalise), written with Pillow and numpy so the
inference floor needs no torch. Photos are decoded for it by ``decode_for_model`` (big JPEGs
at reduced scale). Training validates, calibrates and quantizes through these same two
functions, so the model is fitted and evaluated on exactly the pixels it is served.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from .imaging import DEFAULT_MAX_PIXELS, ImageInput, load_image
from .spec import ModelSpec

_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


#: Beyond this aspect ratio only the region the crop keeps is resized: resizing a whole 1x20000
#: strip so its short side is 256 would take 5 million x 256 pixels (about 4 GB).
MAX_RESIZED_ASPECT = 16


def decode_for_model(
    image: ImageInput,
    spec: ModelSpec,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    fast_decode: bool = True,
) -> Image.Image:
    """Decode ``image`` as ``Classifier`` does for a model of ``spec``: with ``fast_decode``
    a big JPEG is decoded at reduced scale (draft mode), never below ``spec.resize_size``.

    Raises:
        ImageError: the input cannot be decoded.
    """
    min_size = spec.resize_size if fast_decode else None
    return load_image(image, max_pixels=max_pixels, min_size=min_size)


def resize_and_crop(image: Image.Image, spec: ModelSpec) -> Image.Image:
    """Resize the shorter side to ``spec.resize_size`` and centre-crop to ``spec.input_size``."""
    width, height = image.size
    short, long = (width, height) if width <= height else (height, width)
    new_short = spec.resize_size
    new_long = int(new_short * long / short)
    new_size = (new_short, new_long) if width <= height else (new_long, new_short)
    size = spec.input_size
    left = int(round((new_size[0] - size) / 2.0))
    top = int(round((new_size[1] - size) / 2.0))
    if new_long > MAX_RESIZED_ASPECT * new_short:
        # The same pixels up to rounding: Pillow's box resize reads the filter's full support.
        sx, sy = width / new_size[0], height / new_size[1]
        box = (left * sx, top * sy, (left + size) * sx, (top + size) * sy)
        return image.resize((size, size), _RESAMPLE[spec.interpolation], box=box)
    if new_size != image.size:
        image = image.resize(new_size, _RESAMPLE[spec.interpolation])
    return image.crop((left, top, left + size, top + size))


def normalize(pixels: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """HxWx3 uint8 -> 3xHxW float32, scaled to [0, 1] and normalised by the spec's mean/std."""
    mean = np.asarray(spec.mean, dtype=np.float32) * 255.0
    inv_std = 1.0 / (np.asarray(spec.std, dtype=np.float32) * 255.0)
    out = (pixels.astype(np.float32) - mean) * inv_std
    return np.ascontiguousarray(out.transpose(2, 0, 1))


def preprocess(image: Image.Image, spec: ModelSpec) -> np.ndarray:
    """One RGB image -> a 3xHxW float32 array ready for the model."""
    return normalize(np.asarray(resize_and_crop(image, spec), dtype=np.uint8), spec)


def preprocess_batch(images: Sequence[Image.Image], spec: ModelSpec) -> np.ndarray:
    """RGB images -> an Nx3xHxW float32 batch."""
    return np.stack([preprocess(image, spec) for image in images])
