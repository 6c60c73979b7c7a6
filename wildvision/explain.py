"""Where the model looked: occlusion-sensitivity heatmaps from the ONNX model alone.

Grey patches are laid over the crop the model sees, one position at a time on a grid; the
heat at a patch's centre is how much hiding it lowers the target label's probability, and
the grid of drops is smoothly upsampled to the crop's size. It needs nothing but
``Classifier`` — no gradients, no torch — so it works for any exported model, int8 and
in-graph ones included. The cost is ``grid * grid + 1`` model runs per photo (50 by
default), batched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from .classifier import Classifier
from .imaging import ImageInput
from .preprocess import model_view, normalize

BASELINES = ("mean", "blur")
#: Called after each ``explain`` in this context (``each_explanation``): how a caller that
#: hands the work to another function (the ``report`` verb) counts heatmaps for its progress.
_ON_EXPLAINED: ContextVar[Callable[[], None] | None] = ContextVar("on_explained", default=None)


@contextlib.contextmanager
def each_explanation(callback: Callable[[], None]) -> Iterator[None]:
    """Inside, ``callback()`` runs after every heatmap ``explain`` makes in this thread
    (or context), e.g. a progress bar's ``update``."""
    token = _ON_EXPLAINED.set(callback)
    try:
        yield
    finally:
        _ON_EXPLAINED.reset(token)


@dataclass(frozen=True)
class Explanation:
    """An occlusion heatmap and what it explains.

    Attributes:
        view: the centre crop the model sees (``input_size`` square, RGB).
        heatmap: ``input_size`` x ``input_size`` float32 in [0, 1], aligned with ``view``;
            1 is the region whose occlusion lowers ``label``'s probability most.
        label: the label explained.
        score: ``label``'s probability on the photo as it is.
        max_drop: the largest probability drop one patch caused. Near 0 means no single
            region decides the score, and the normalised map shows little but noise.
    """

    view: Image.Image
    heatmap: np.ndarray
    label: str
    score: float
    max_drop: float


def explain(
    classifier: Classifier,
    image: ImageInput,
    label: str | None = None,
    *,
    grid: int = 7,
    patch: int | None = None,
    baseline: str = "mean",
    batch_size: int | None = None,
) -> Explanation:
    """Occlusion sensitivity of ``classifier``'s probability for ``label`` on ``image``.

    Args:
        classifier: a standard or in-graph model.
        image: anything ``Classifier.predict`` takes; it is decoded as ``predict`` does.
        label: the label to explain (None: the model's top label for this photo).
        grid: patch positions per side; ``grid * grid`` occluded copies are scored.
        patch: patch side in model-input pixels (None: twice the grid step, so
            neighbouring patches overlap by half).
        baseline: what replaces a patch: ``mean`` (the normalisation mean, a flat grey) or
            ``blur`` (a heavily blurred copy of the photo: the shape stays, the detail goes).
        batch_size: copies per model run (None: the classifier's ``session_batch``).

    Raises:
        ImageError: the image cannot be decoded.
        ValueError: an unknown label or baseline, or a grid or patch out of range.
    """
    spec = classifier.spec
    size = spec.input_size
    if label is not None and label not in spec.labels:
        raise ValueError(f"label {label!r} is not one of the model's labels {list(spec.labels)}.")
    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {BASELINES}, got {baseline!r}.")
    if not 1 <= grid <= size:
        raise ValueError(f"grid must be between 1 and the input size {size}, got {grid}.")
    patch = patch or min(size, max(1, round(2 * size / grid)))
    if not 1 <= patch <= size:
        raise ValueError(f"patch must be between 1 and the input size {size}, got {patch}.")

    view = model_view(classifier.load(image), spec)  # margins trimmed as predict does
    pixels = np.asarray(view, dtype=np.uint8)
    if baseline == "blur":
        fill = np.asarray(view.filter(ImageFilter.GaussianBlur(patch / 4)), dtype=np.uint8)
    else:
        grey = np.rint(np.asarray(spec.mean) * 255.0).astype(np.uint8)
        fill = np.broadcast_to(grey, pixels.shape)
    boxes = _boxes(size, grid, patch)
    copies = np.repeat(pixels[None], len(boxes) + 1, axis=0)
    for copy, (top, bottom, left, right) in zip(copies[1:], boxes):
        copy[top:bottom, left:right] = fill[top:bottom, left:right]

    probabilities = _score(classifier, copies, batch_size or classifier.session_batch)
    target = spec.labels.index(label) if label else int(np.argmax(probabilities[0]))
    drops = np.clip(probabilities[0, target] - probabilities[1:, target], 0.0, None)

    # Each drop belongs to the centre of its patch; bilinear upsampling of the grid of
    # drops (Pillow aligns cell centres) gives a smooth map at the input size.
    coarse = Image.fromarray(drops.reshape(grid, grid).astype(np.float32))  # mode F
    heat = np.asarray(coarse.resize((size, size), Image.Resampling.BILINEAR), np.float32)
    peak = float(heat.max())
    heatmap = np.clip(heat / peak, 0.0, 1.0) if peak > 0 else np.zeros_like(heat)
    tick = _ON_EXPLAINED.get()
    if tick is not None:
        tick()
    return Explanation(
        view=view,
        heatmap=heatmap,
        label=spec.labels[target],
        score=float(probabilities[0, target]),
        max_drop=float(drops.max(initial=0.0)),
    )


def occlusion_map(
    classifier: Classifier, image: ImageInput, label: str | None = None, **options: Any
) -> np.ndarray:
    """Just the heatmap of ``explain`` (same arguments): HxW float32 in [0, 1] over the
    centre crop the model sees."""
    return explain(classifier, image, label, **options).heatmap


def overlay(image: Image.Image, heatmap: np.ndarray, *, strength: float = 0.7) -> Image.Image:
    """``heatmap`` in a jet-like colour map (blue cold, red hot) blended over ``image``.

    The blend follows the heat, up to ``strength``, so cold regions keep the photo visible.
    A heatmap of another size is stretched to the image (give the ``Explanation.view`` to
    keep them aligned).
    """
    heat = np.asarray(heatmap, dtype=np.float32)
    if heat.ndim != 2:
        raise ValueError(f"heatmap must be a 2-D array, got shape {heat.shape}.")
    rgb = image.convert("RGB")
    if heat.shape != (rgb.height, rgb.width):
        stretched = Image.fromarray(heat).resize(rgb.size, Image.Resampling.BILINEAR)
        heat = np.asarray(stretched, dtype=np.float32)
    heat = np.clip(heat, 0.0, 1.0)[..., None]
    alpha = strength * (0.3 + 0.7 * heat)
    photo = np.asarray(rgb, dtype=np.float32)
    blended = photo * (1 - alpha) + jet(heat[..., 0]) * alpha
    return Image.fromarray(np.clip(np.rint(blended), 0, 255).astype(np.uint8))


def jet(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] -> RGB floats in 0..255 along a jet-like ramp (blue, cyan, yellow,
    red), computed in numpy so no plotting library is needed."""
    v = np.clip(np.asarray(values, dtype=np.float32), 0.0, 1.0)[..., None]
    centres = np.array([0.75, 0.5, 0.25], dtype=np.float32)  # where red, green, blue peak
    return np.clip(1.5 - np.abs(4.0 * (v - centres)), 0.0, 1.0) * 255.0


def _boxes(size: int, grid: int, patch: int) -> list[tuple[int, int, int, int]]:
    """(top, bottom, left, right) of each patch, centred on the cells of a grid x grid grid."""
    step = size / grid
    spans = []
    for i in range(grid):
        centre = (i + 0.5) * step
        start = int(round(centre - patch / 2))
        spans.append((max(0, start), min(size, start + patch)))
    return [(top, bottom, left, right) for top, bottom in spans for left, right in spans]


def _score(classifier: Classifier, copies: np.ndarray, batch_size: int) -> np.ndarray:
    """Probabilities of each occluded copy (uint8 NxHxWx3 crops), ``batch_size`` at a time.

    An in-graph model gets each crop padded to the size it resizes to, placed where its own
    centre crop takes it from: the in-graph resize is then the identity and the crop returns
    exactly these pixels, so both kinds of model see the same input (the pad is noise, so a
    graph that trims uniform margins finds none to trim).
    """
    spec = classifier.spec
    if classifier.ingraph:
        outer = spec.resize_size
        offset = int(round((outer - spec.input_size) / 2.0))  # as resize_and_crop places it
        # Noise around the crop: a uniform pad would be cut again by a trimming model's graph
        noise = np.random.default_rng(0).integers(0, 256, (outer, outer, 3), dtype=np.uint8)
        padded = np.repeat(noise[None], len(copies), axis=0)
        padded[:, offset : offset + spec.input_size, offset : offset + spec.input_size] = copies
        run, inputs = classifier.predict_proba_pixels, padded
    else:
        run = classifier.predict_proba
        inputs = np.stack([normalize(copy, spec) for copy in copies])
    return np.concatenate(
        [run(inputs[i : i + batch_size]) for i in range(0, len(inputs), batch_size)]
    )
