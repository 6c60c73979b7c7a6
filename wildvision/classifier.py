"""``Classifier``: load an exported ONNX model and classify images with onnxruntime only."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from .errors import ImageError, ModelError
from .imaging import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, ImageInput, describe
from .integrity import verify_sha256
from .models import resolve_model_path
from .pack_file import Pack, check_packs_fit, load_pack
from .prediction import Prediction, decide_with_label
from .preprocess import decode_for_model, preprocess
from .spec import (  # the graph's names live in spec (the exporter writes them too)
    EMBEDDING_OUTPUT,
    GUARD_OUTPUT,
    IMAGE_INPUT,
    INPUT_NAME,
    METADATA_KEY,
    PROBABILITIES_OUTPUT,
    ModelSpec,
)

PACK_SCORES = "pack_scores"  # not a graph output: the packs' scores, computed from embedding


class Classifier:
    """Classify listing photos with an exported wildvision model.

    Args:
        model: path to an exported ``.onnx`` file or a shipped model name; ``None`` loads
            the shipped default.
        providers: onnxruntime execution providers (default: CPU).
        max_pixels: images with more pixels are refused with ``ImageError``.
        max_bytes: files or bytes longer than this are refused with ``ImageError``.
        fast_decode: decode big JPEGs at reduced scale (draft mode), never below the size the
            model resizes to; set False for a full-size decode.
        decode_threads: threads that decode images ahead of inference in ``predict_batch``.
        precision: for a shipped model, ``auto`` (int8 when shipped, else fp32), ``int8`` or
            ``fp32``.
        tta_flip: average the probabilities of each photo and its mirror image (test-time
            augmentation; twice the inference cost).
        sha256: the file's expected SHA-256; a different file is refused. Without it, a
            ``SHA256SUMS`` beside the model (the shipped models have one) is checked.
        session_batch: photos per onnxruntime run. Memory grows with it (about 30 MB a photo
            for lite0 on CPU) while CPU speed hardly does past a few; raise it for a GPU.
        packs: product packs (``.wvpack`` files or ``Pack`` objects, ``wildvision pack
            build``) built for this model file: their labels join ``scores`` and decide like
            the model's wildlife labels. A pack of another model is refused (``PackError``).

    Example:
        >>> clf = Classifier()
        >>> clf.predict("photo.jpg").decision
        'allow'
    """

    #: Decoding limits (see Args); class defaults too, for subclasses that skip ``__init__``.
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_bytes: int = DEFAULT_MAX_BYTES

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        providers: list[str] | None = None,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        fast_decode: bool = True,
        decode_threads: int = 2,
        precision: str = "auto",
        tta_flip: bool = False,
        session_batch: int = 4,
        sha256: str | None = None,
        packs: Sequence[Pack | str | os.PathLike] = (),
    ) -> None:
        self.model_path: Path = resolve_model_path(model, precision)
        data = self.model_path.read_bytes()  # hashed and loaded from the same bytes
        #: The model file's SHA-256, checked against ``sha256`` or ``SHA256SUMS`` when given.
        self.sha256: str = verify_sha256(self.model_path, data, sha256)
        self.max_pixels = max_pixels
        self.max_bytes = max_bytes
        self.fast_decode = fast_decode
        self.decode_threads = max(1, decode_threads)
        self.tta_flip = tta_flip
        if session_batch < 1:
            raise ValueError(f"session_batch must be at least 1, got {session_batch}")
        self.session_batch = session_batch
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # onnxruntime's worker threads busy-wait between runs by default, taking the cores
        # that decode the next photos; without spinning, int8 end to end on 2 cores went
        # from 80 to 108 images/s (measured by hand, batch 1).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(
                data, options, providers=providers or ["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises several private exception types
            raise ModelError(
                f"{self.model_path}: not a loadable ONNX model ({exc}); the file may be "
                "truncated or corrupted — re-export or re-download it."
            ) from None
        self.spec: ModelSpec = read_spec(self._session, self.model_path)
        self._check_signature()
        #: The product packs whose labels this classifier adds (see ``packs``).
        self.packs: tuple[Pack, ...] = self._attach(packs)

    @property
    def labels(self) -> list[str]:
        """The labels this model predicts, in output order (packs' labels: ``pack_labels``)."""
        return list(self.spec.labels)

    @property
    def pack_labels(self) -> list[str]:
        """The labels the loaded packs add, in the order the packs were given."""
        return [pack.label for pack in self.packs]

    def _attach(self, packs: Sequence[Pack | str | os.PathLike]) -> tuple[Pack, ...]:
        loaded = tuple(p if isinstance(p, Pack) else load_pack(p) for p in packs)
        if loaded and not self.has_embedding:
            raise ModelError(
                f"{self.model_path} has no {EMBEDDING_OUTPUT!r} output, which packs read; "
                "re-export it with wildvision 0.3 or later (`wildvision export RUN`)."
            )
        check_packs_fit(loaded, self.sha256, self.spec.labels, str(self.model_path))
        return loaded

    def predict(self, image: ImageInput) -> Prediction:
        """Classify one image.

        Raises:
            ImageError: the input cannot be decoded.
        """
        prepared = self._prepare(image)
        if isinstance(prepared, ImageError):
            raise prepared
        outputs = self._infer([prepared])
        return self._to_prediction(outputs, 0, describe(image))

    def predict_batch(
        self, images: Iterable[ImageInput | ImageError], batch_size: int = 32
    ) -> Iterator[Prediction]:
        """Yield one ``Prediction`` per input, in order; undecodable inputs yield a
        ``Prediction`` whose ``error`` says why, and the batch goes on. An ``ImageError``
        in place of an input (one that failed before decoding, such as a fetch) is such a
        ``Prediction`` in its place.

        Decoding runs in a small thread pool ahead of inference (Pillow and onnxruntime
        both release the GIL), at most two batches ahead, so memory stays bounded however
        long ``images`` is.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        iterator = iter(images)
        pending: deque[tuple[ImageInput, Future]] = deque()
        with ThreadPoolExecutor(self.decode_threads, thread_name_prefix="wv-decode") as pool:
            while True:
                for item in islice(iterator, 2 * batch_size - len(pending)):
                    pending.append((item, pool.submit(self._prepare, item)))
                if not pending:
                    return
                chunk = [pending.popleft() for _ in range(min(batch_size, len(pending)))]
                yield from self._predict_prepared([(item, f.result()) for item, f in chunk])

    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for an already preprocessed Nx3xHxW float32 batch
        (standard models; an in-graph model takes decoded photos through ``predict`` or
        ``predict_proba_pixels``)."""
        if self.ingraph:
            raise ModelError(
                "predict_proba needs a standard model; this one preprocesses in-graph."
            )
        return self._run(INPUT_NAME, np.ascontiguousarray(batch, dtype=np.float32))

    def predict_proba_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for decoded NxHxWx3 uint8 photos of one size (in-graph
        models, which resize, crop and normalise inside the graph)."""
        if not self.ingraph:
            raise ModelError(
                "predict_proba_pixels needs an in-graph model (NAME.ingraph.onnx); this one "
                "takes preprocessed batches through predict_proba."
            )
        return self._run(IMAGE_INPUT, np.ascontiguousarray(pixels, dtype=np.uint8))

    def load(self, image: ImageInput) -> Image.Image:
        """Decode ``image`` as ``predict`` does (RGB, EXIF-rotated, ``max_pixels``,
        ``max_bytes`` and ``fast_decode`` applied), for callers that need the pixels the model
        sees.

        Raises:
            ImageError: the input cannot be decoded.
        """
        return decode_for_model(
            image,
            self.spec,
            max_pixels=self.max_pixels,
            fast_decode=self.fast_decode,
            max_bytes=self.max_bytes,
        )

    def _run(self, input_name: str, batch: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of one batch (see ``_run_outputs``)."""
        return self._run_outputs(input_name, batch)[PROBABILITIES_OUTPUT]

    def _output_names(self) -> list[str]:
        """The graph outputs a prediction reads: probabilities, the guard's distance when
        the model has a guard, the embedding when packs are loaded."""
        names = [PROBABILITIES_OUTPUT]
        if self.spec.guard:
            names.append(GUARD_OUTPUT)
        if self.packs:
            names.append(EMBEDDING_OUTPUT)
        return names

    def _run_outputs(self, input_name: str, batch: np.ndarray) -> dict[str, np.ndarray]:
        """The outputs ``_output_names`` of one onnxruntime run, by name; two runs with
        ``tta_flip``: the mirror image, averaged."""
        names = self._output_names()
        outputs = self._session.run(names, {input_name: batch})
        if self.tta_flip:
            width_axis = 3 if input_name == INPUT_NAME else 2  # NCHW floats, NHWC pixels
            mirrored = np.ascontiguousarray(np.flip(batch, axis=width_axis))
            flipped = self._session.run(names, {input_name: mirrored})
            outputs = [(a + b) / 2 for a, b in zip(outputs, flipped)]
        return dict(zip(names, outputs))

    def embed(self, images: Sequence[ImageInput]) -> np.ndarray:
        """The L2-normalised embeddings (the pooled features the model's head sees) of
        ``images``, one row each: ``[len(images), spec.embedding_size]`` float32.

        Raises:
            ImageError: an input cannot be decoded.
            ModelError: the model has no ``embedding`` output (exported before 0.3.0).
        """
        if not self.has_embedding:
            raise ModelError(
                f"{self.model_path} has no {EMBEDDING_OUTPUT!r} output; re-export it with "
                "wildvision 0.3 or later (`wildvision export RUN`)."
            )
        prepared = [self._prepare(item) for item in images]
        for item in prepared:
            if isinstance(item, ImageError):
                raise item
        if not prepared:
            return np.zeros((0, self.spec.embedding_size or 0), dtype=np.float32)
        name, parts = self._batches(prepared)
        return np.concatenate(
            [self._session.run([EMBEDDING_OUTPUT], {name: part})[0] for part in parts]
        )

    def _prepare(self, item: ImageInput | ImageError) -> np.ndarray | ImageError:
        """The model's input for one image: normalised CHW floats, or for an in-graph model
        the decoded HxWx3 uint8 pixels."""
        if isinstance(item, ImageError):  # failed before it came here; keeps its place
            return item
        try:
            image = self.load(item)
            if self.ingraph:
                return np.asarray(image, dtype=np.uint8)
            return preprocess(image, self.spec)
        except ImageError as exc:
            return exc

    def _batches(self, arrays: list[np.ndarray]) -> tuple[str, list[np.ndarray]]:
        """The input name and the batches to run prepared inputs in: ``session_batch`` at a
        time for a standard model, one each for an in-graph one (photos differ in size)."""
        if self.ingraph:
            return IMAGE_INPUT, [np.ascontiguousarray(p[None], dtype=np.uint8) for p in arrays]
        step = self.session_batch
        batches = [np.stack(arrays[i : i + step]) for i in range(0, len(arrays), step)]
        return INPUT_NAME, [np.ascontiguousarray(b, dtype=np.float32) for b in batches]

    def _infer(self, arrays: list[np.ndarray]) -> dict[str, np.ndarray]:
        """The outputs of prepared inputs, by name (see ``_output_names``), one row each;
        with packs also ``PACK_SCORES``, each pack's score of every row, scored per batch."""
        name, batches = self._batches(arrays)
        runs = [self._run_outputs(name, batch) for batch in batches]
        outputs = {key: np.concatenate([run[key] for run in runs]) for key in runs[0]}
        if self.packs:
            embeddings = outputs[EMBEDDING_OUTPUT]
            outputs[PACK_SCORES] = np.stack([p.score(embeddings) for p in self.packs], axis=1)
        return outputs

    def _predict_prepared(
        self, chunk: list[tuple[ImageInput, np.ndarray | ImageError]]
    ) -> list[Prediction]:
        results: list[Prediction | None] = [None] * len(chunk)
        arrays, positions = [], []
        for index, (item, prepared) in enumerate(chunk):
            if isinstance(prepared, ImageError):
                results[index] = Prediction.failed(str(prepared), describe(item))
            else:
                arrays.append(prepared)
                positions.append(index)
        if arrays:
            outputs = self._infer(arrays)
            for n, index in enumerate(positions):
                results[index] = self._to_prediction(outputs, n, describe(chunk[index][0]))
        return results  # type: ignore[return-value]

    def _to_prediction(self, outputs: dict[str, np.ndarray], n: int, source: str) -> Prediction:
        """The prediction of row ``n`` of ``_infer``'s outputs: the model's labels, then
        each pack's; a pack label that decides more strongly becomes the label."""
        row = outputs[PROBABILITIES_OUTPUT][n]
        scores = {label: float(p) for label, p in zip(self.spec.labels, row)}
        if self.packs:
            scores.update(zip(self.pack_labels, outputs[PACK_SCORES][n].tolist()))
        distances = outputs.get(GUARD_OUTPUT)
        guard_distance = None if distances is None else float(distances[n])
        decision, pack_label = decide_with_label(scores, self.spec, guard_distance, self.packs)
        label = pack_label or self.spec.labels[int(np.argmax(row))]
        return Prediction(
            label=label,
            score=scores[label],
            scores=scores,
            decision=decision,
            source=source,
            guard_distance=guard_distance,
        )

    def _check_signature(self) -> None:
        inputs = {i.name: i for i in self._session.get_inputs()}
        outputs = {o.name: o for o in self._session.get_outputs()}
        self.ingraph = IMAGE_INPUT in inputs
        #: Whether the graph has the ``embedding`` output ``embed`` reads (from 0.3.0).
        self.has_embedding = EMBEDDING_OUTPUT in outputs
        if not ({INPUT_NAME, IMAGE_INPUT} & set(inputs)) or PROBABILITIES_OUTPUT not in outputs:
            raise ModelError(
                f"{self.model_path}: expected input {INPUT_NAME!r} (or {IMAGE_INPUT!r}) and output "
                f"{PROBABILITIES_OUTPUT!r}, found {list(inputs)} -> {list(outputs)}; "
                "export the model with `wildvision export`."
            )
        shape = inputs.get(INPUT_NAME, inputs.get(IMAGE_INPUT)).shape
        size = self.spec.input_size
        if not self.ingraph and [d for d in shape[2:] if isinstance(d, int)] not in (
            [],
            [size, size],
        ):
            raise ModelError(
                f"{self.model_path}: the graph takes {shape[2:]} pixels but its spec says "
                f"{size}x{size}; re-export the model."
            )
        width = outputs[PROBABILITIES_OUTPUT].shape[-1]
        if isinstance(width, int) and width != len(self.spec.labels):
            raise ModelError(
                f"{self.model_path}: model outputs {width} classes but its spec lists "
                f"{len(self.spec.labels)} labels; re-export the model."
            )
        if self.spec.guard is not None and GUARD_OUTPUT not in outputs:
            raise ModelError(
                f"{self.model_path}: its spec has a guard but the graph has no "
                f"{GUARD_OUTPUT!r} output; re-export the model."
            )

    def __repr__(self) -> str:
        packs = f", packs={self.pack_labels}" if self.packs else ""
        return f"Classifier(model={str(self.model_path)!r}, labels={self.labels}{packs})"


def read_spec(session: ort.InferenceSession, path: Path | str = "model") -> ModelSpec:
    """Read the ``ModelSpec`` stored in an ONNX model's metadata."""
    metadata = session.get_modelmeta().custom_metadata_map
    if METADATA_KEY not in metadata:
        raise ModelError(
            f"{path}: no {METADATA_KEY!r} metadata — not a wildvision model; export it with "
            "`wildvision export RUN_DIR`."
        )
    return ModelSpec.from_json(metadata[METADATA_KEY])
