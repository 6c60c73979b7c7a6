"""``Classifier``: load an exported ONNX model and classify images with onnxruntime only."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import onnxruntime as ort

from .errors import ImageError, ModelError
from .imaging import DEFAULT_MAX_PIXELS, ImageInput, describe, load_image
from .models import resolve_model_path
from .prediction import Prediction, decide
from .preprocess import preprocess
from .spec import METADATA_KEY, ModelSpec

INPUT_NAME = "pixel_values"
PROBABILITIES_OUTPUT = "probabilities"


class Classifier:
    """Classify listing photos with an exported wildvision model.

    Args:
        model: path to an exported ``.onnx`` file or a shipped model name; ``None`` loads
            the shipped default.
        providers: onnxruntime execution providers (default: CPU).
        max_pixels: images with more pixels are refused with ``ImageError``.

    Example:
        >>> clf = Classifier()
        >>> clf.predict("photo.jpg").decision
        'allow'
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        providers: list[str] | None = None,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        self.model_path: Path = resolve_model_path(model)
        self.max_pixels = max_pixels
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self._session = ort.InferenceSession(
                str(self.model_path), options, providers=providers or ["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises several private exception types
            raise ModelError(
                f"{self.model_path}: not a loadable ONNX model ({exc}); the file may be "
                "truncated or corrupted — re-export or re-download it."
            ) from None
        self.spec: ModelSpec = read_spec(self._session, self.model_path)
        self._check_signature()

    @property
    def labels(self) -> list[str]:
        """The labels this model predicts, in output order."""
        return list(self.spec.labels)

    def predict(self, image: ImageInput) -> Prediction:
        """Classify one image.

        Raises:
            ImageError: the input cannot be decoded.
        """
        pixels = preprocess(load_image(image, max_pixels=self.max_pixels), self.spec)
        return self._to_prediction(self.predict_proba(pixels[None])[0], describe(image))

    def predict_batch(
        self, images: Iterable[ImageInput], batch_size: int = 32
    ) -> Iterator[Prediction]:
        """Yield one ``Prediction`` per input, in order; undecodable inputs yield a
        ``Prediction`` whose ``error`` says why, and the batch goes on."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        iterator = iter(images)
        while chunk := list(islice(iterator, batch_size)):
            yield from self._predict_chunk(chunk)

    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for an already preprocessed Nx3xHxW float32 batch."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        (probabilities,) = self._session.run([PROBABILITIES_OUTPUT], {INPUT_NAME: batch})
        return probabilities

    def _predict_chunk(self, chunk: list[ImageInput]) -> list[Prediction]:
        results: list[Prediction | None] = [None] * len(chunk)
        arrays, positions = [], []
        for index, item in enumerate(chunk):
            try:
                arrays.append(preprocess(load_image(item, max_pixels=self.max_pixels), self.spec))
                positions.append(index)
            except ImageError as exc:
                results[index] = Prediction.failed(str(exc), describe(item))
        if arrays:
            probabilities = self.predict_proba(np.stack(arrays))
            for index, row in zip(positions, probabilities):
                results[index] = self._to_prediction(row, describe(chunk[index]))
        return results  # type: ignore[return-value]

    def _to_prediction(self, row: np.ndarray, source: str) -> Prediction:
        scores = {label: float(p) for label, p in zip(self.spec.labels, row)}
        best = int(np.argmax(row))
        return Prediction(
            label=self.spec.labels[best],
            score=float(row[best]),
            scores=scores,
            decision=decide(scores, self.spec),
            source=source,
        )

    def _check_signature(self) -> None:
        inputs = {i.name: i for i in self._session.get_inputs()}
        outputs = {o.name: o for o in self._session.get_outputs()}
        if INPUT_NAME not in inputs or PROBABILITIES_OUTPUT not in outputs:
            raise ModelError(
                f"{self.model_path}: expected input {INPUT_NAME!r} and output "
                f"{PROBABILITIES_OUTPUT!r}, found {list(inputs)} -> {list(outputs)}; "
                "export the model with `wildvision export`."
            )
        width = outputs[PROBABILITIES_OUTPUT].shape[-1]
        if isinstance(width, int) and width != len(self.spec.labels):
            raise ModelError(
                f"{self.model_path}: model outputs {width} classes but its spec lists "
                f"{len(self.spec.labels)} labels; re-export the model."
            )

    def __repr__(self) -> str:
        return f"Classifier(model={str(self.model_path)!r}, labels={self.labels})"


def read_spec(session: ort.InferenceSession, path: Path | str = "model") -> ModelSpec:
    """Read the ``ModelSpec`` stored in an ONNX model's metadata."""
    metadata = session.get_modelmeta().custom_metadata_map
    if METADATA_KEY not in metadata:
        raise ModelError(
            f"{path}: no {METADATA_KEY!r} metadata — not a wildvision model; export it with "
            "`wildvision export RUN_DIR`."
        )
    return ModelSpec.from_json(metadata[METADATA_KEY])
