"""Spec-driven preprocessing: RGB image -> normalised CHW float32 array.

This is timm's evaluation transform (resize the shorter side to ``floor(size / crop_pct)``,
centre-crop ``size``, scale to [0, 1], normalise), after cutting uniform margins when the
spec asks (``trim_margins``, from 0.4.0), written with Pillow and numpy so the
inference floor needs no torch. Photos are decoded for it by ``decode_for_model`` (big JPEGs
at reduced scale). Training validates, calibrates and quantizes through these same two
functions, so the model is fitted and evaluated on exactly the pixels it is served.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from .imaging import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, ImageInput, load_image
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
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Image.Image:
    """Decode ``image`` as ``Classifier`` does for a model of ``spec``: with ``fast_decode``
    a big JPEG is decoded at reduced scale (draft mode), never below ``spec.resize_size``.

    Raises:
        ImageError: the input cannot be decoded.
    """
    min_size = spec.resize_size if fast_decode else None
    return load_image(image, max_pixels=max_pixels, min_size=min_size, max_bytes=max_bytes)


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


#: The smallest share of each side that trimming keeps: a flat image with a speck in it is
#: left whole rather than blown up around the speck.
MIN_TRIMMED_SHARE = 0.1


def margin_box(pixels: np.ndarray, tolerance: int) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of ``pixels`` (HxWx3 uint8) without its uniform
    margins: first the rows at the top and bottom whose every pixel is one colour (each
    channel's range along the row at most ``tolerance``), then, within the rows kept, the
    columns at the left and right alike. The whole image when nothing would be cut or what
    is left would be under ``MIN_TRIMMED_SHARE`` of a side. The in-graph model computes the
    same box (``wildvision.train.ingraph``)."""
    h, w = pixels.shape[:2]
    # Each row's range per channel, reduced along a contiguous axis: numpy reduces the
    # middle axis of HxWx3 about twenty times slower than the last axis of a copy.
    by_row = np.ascontiguousarray(pixels.transpose(0, 2, 1))
    flat_rows = (by_row.max(axis=2) - by_row.min(axis=2) <= tolerance).all(axis=1)
    rows = np.flatnonzero(~flat_rows)
    if not len(rows):
        return 0, 0, w, h
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    flat_columns = (np.ptp(pixels[top:bottom], axis=0) <= tolerance).all(axis=1)
    columns = np.flatnonzero(~flat_columns)
    left, right = (int(columns[0]), int(columns[-1]) + 1) if len(columns) else (0, w)
    if bottom - top < MIN_TRIMMED_SHARE * h or right - left < MIN_TRIMMED_SHARE * w:
        return 0, 0, w, h
    return left, top, right, bottom


def trim_margins(image: Image.Image, tolerance: int) -> Image.Image:
    """``image`` cropped to ``margin_box``: a product on a plain card or canvas keeps its
    text and layout but loses the empty border around them."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")  # convert always copies
    box = margin_box(np.asarray(rgb), tolerance)
    return image if box == (0, 0, *image.size) else image.crop(box)


def normalize(pixels: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """HxWx3 uint8 -> 3xHxW float32, scaled to [0, 1] and normalised by the spec's mean/std."""
    mean = np.asarray(spec.mean, dtype=np.float32) * 255.0
    inv_std = 1.0 / (np.asarray(spec.std, dtype=np.float32) * 255.0)
    out = (pixels.astype(np.float32) - mean) * inv_std
    return np.ascontiguousarray(out.transpose(2, 0, 1))


def model_view(image: Image.Image, spec: ModelSpec) -> Image.Image:
    """The square the model sees of ``image``: its uniform margins cut first when the spec
    says ``trim_margins``, then resized and centre-cropped."""
    if spec.trim_margins is not None:
        image = trim_margins(image, spec.trim_margins)
    return resize_and_crop(image, spec)


def preprocess(image: Image.Image, spec: ModelSpec) -> np.ndarray:
    """One RGB image -> a 3xHxW float32 array ready for the model (``model_view``, normalised)."""
    return normalize(np.asarray(model_view(image, spec), dtype=np.uint8), spec)


def preprocess_batch(images: Sequence[Image.Image], spec: ModelSpec) -> np.ndarray:
    """RGB images -> an Nx3xHxW float32 batch."""
    return np.stack([preprocess(image, spec) for image in images])
