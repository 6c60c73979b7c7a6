"""Score a Ray Data dataset of image paths or bytes: one ``Classifier`` per actor.

Needs the ``[ray]`` extra (``ray[data]``); importing this module without it raises
``MissingExtraError`` naming the extra. The model file is read once on the driver, checked
(SHA-256, signature, spec) and shipped to the actors with the job, so the nodes need
wildvision installed but no copy of the model. Photos are read where the actors run: paths
must be readable on every node (a shared filesystem), or read them into a bytes column first
(``ray.data.read_binary_files``).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._extras import require_extra

require_extra("ray", {"ray": "ray[data]", "pandas": "pandas"}, "batch scoring on Ray")

import ray  # noqa: E402
import ray.data  # noqa: E402

from ..classifier import Classifier  # noqa: E402
from ..prediction import ROW_COLUMNS, Prediction  # noqa: E402

if TYPE_CHECKING:
    import pandas as pd

#: Columns ``score_dataset`` adds, as in a ``wildvision scan`` row.
RESULT_COLUMNS = ROW_COLUMNS  # as a scan's rows: Prediction.to_row
#: Prefix of the per-label probability columns (``label_scores=True``).
LABEL_SCORE_PREFIX = "score_"
#: Options that pick and check the model file: the actors get the checked file itself.
_FILE_OPTIONS = ("precision", "sha256")


def score_dataset(
    ds: ray.data.Dataset,
    model: str | os.PathLike | None = None,
    *,
    path_column: str = "path",
    bytes_column: str | None = None,
    batch_size: int = 32,
    concurrency: int = 2,
    num_cpus: float = 1,
    num_gpus: float = 0,
    label_scores: bool = False,
    classifier_options: Mapping[str, Any] | None = None,
) -> ray.data.Dataset:
    """Add the classifier's verdict to every row of ``ds`` (lazily, like any Ray transform).

    Each of ``concurrency`` actors builds one ``Classifier`` and runs ``predict_batch`` on
    its batches. An image that cannot be read becomes a row with decision ``error`` and the
    reason in ``error``; the job goes on. Row order is not guaranteed; join on your own key.

    Args:
        ds: rows with an image path (``path_column``) or the image's bytes (``bytes_column``).
        model: an exported ``.onnx`` path or a shipped model name (None: the default),
            resolved and checked here on the driver.
        path_column: column of image paths, used unless ``bytes_column`` is given.
        bytes_column: column of encoded image bytes; it is dropped from the output.
        batch_size: rows per batch handed to each actor (and to ``predict_batch``).
        concurrency: number of actors, each holding one model in memory.
        num_cpus: CPUs reserved per actor. num_gpus: GPUs per actor (pass
            ``classifier_options={"providers": ["CUDAExecutionProvider"]}`` with it).
        label_scores: also add one ``score_<label>`` column per label (NaN for errors).
        classifier_options: more ``Classifier`` keyword arguments (``precision``,
            ``session_batch``, ``decode_threads``, ``max_pixels``, ``tta_flip``, ...).

    Returns:
        ``ds`` with ``label, score, decision, error, model_version`` added (``label`` and
        ``score`` are null on error rows).

    Raises:
        ModelError: the model cannot be loaded. ValueError: bad arguments or column names.
    """
    if batch_size < 1 or concurrency < 1:
        raise ValueError(
            f"batch_size and concurrency must be at least 1, got {batch_size}, {concurrency}"
        )
    _warn_if_actors_take_every_cpu(concurrency * num_cpus)
    options = dict(classifier_options or {})
    driver = Classifier(model, **{k: v for k, v in options.items() if k != "providers"})
    column = bytes_column or path_column
    added = list(RESULT_COLUMNS)
    if label_scores:
        added += [LABEL_SCORE_PREFIX + label for label in driver.labels]
    _check_columns(ds, column, added)
    gpus = {"num_gpus": num_gpus} if num_gpus else {}
    return ds.map_batches(
        ClassifierActor,
        fn_constructor_kwargs={
            # one copy in the object store, fetched by each actor (not one per actor)
            "model_ref": ray.put(driver.model_path.read_bytes()),
            "sha256": driver.sha256,
            "options": {k: v for k, v in options.items() if k not in _FILE_OPTIONS},
            "column": column,
            "drop_column": bytes_column is not None,
            "batch_size": batch_size,
            "label_scores": label_scores,
        },
        batch_size=batch_size,
        batch_format="pandas",
        compute=ray.data.ActorPoolStrategy(size=concurrency),
        num_cpus=num_cpus,
        **gpus,
    )


class ClassifierActor:
    """One Ray actor's model: built once, then called on each pandas batch."""

    def __init__(
        self,
        model_ref: ray.ObjectRef,
        sha256: str,
        options: Mapping[str, Any],
        column: str,
        drop_column: bool,
        batch_size: int,
        label_scores: bool,
    ) -> None:
        # onnxruntime reads the whole file into the session, so it is deleted right after;
        # ``sha256`` makes the actor refuse a file that changed on its way here.
        with tempfile.TemporaryDirectory(prefix="wildvision-model-") as folder:
            path = Path(folder) / "model.onnx"
            path.write_bytes(ray.get(model_ref))
            self.classifier = Classifier(path, sha256=sha256, **options)
        self.column, self.drop_column = column, drop_column
        self.batch_size, self.label_scores = batch_size, label_scores

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        if self.column not in batch.columns:
            raise ValueError(
                f"no column {self.column!r} in the dataset (columns: {list(batch.columns)}); "
                "pass path_column= or bytes_column=."
            )
        inputs = [_as_input(value) for value in batch[self.column]]
        predictions = _predict(self.classifier, inputs, self.batch_size)
        out = batch.drop(columns=[self.column]) if self.drop_column else batch.copy()
        for name, values in _columns(predictions, self.classifier, self.label_scores).items():
            out[name] = values
        return out


def _as_input(value: Any) -> Any:
    """A table cell as ``Classifier`` input; None for a missing one."""
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return None
    return str(value) if isinstance(value, os.PathLike) else value


def _predict(classifier: Classifier, inputs: list[Any], batch_size: int) -> list[Prediction]:
    """``predict_batch`` on the present inputs; a missing one becomes an error row."""
    present = [value for value in inputs if value is not None]
    found = iter(classifier.predict_batch(present, batch_size=batch_size))
    return [
        next(found) if value is not None else Prediction.failed("no image (empty cell)")
        for value in inputs
    ]


def _columns(
    predictions: list[Prediction], classifier: Classifier, label_scores: bool
) -> dict[str, list[Any]]:
    """The result columns for ``predictions``, in row order."""
    rows = [p.to_row(classifier.spec.version) for p in predictions]
    columns: dict[str, list[Any]] = {name: [row[name] for row in rows] for name in ROW_COLUMNS}
    if label_scores:
        for label in classifier.labels:
            columns[LABEL_SCORE_PREFIX + label] = [
                p.scores.get(label, float("nan")) for p in predictions
            ]
    return columns


def _warn_if_actors_take_every_cpu(reserved: float) -> None:
    """Warn when the actors would reserve every CPU Ray has: a ``read_*`` stage feeding them
    then never gets a CPU and the job waits forever (seen with ``read_binary_files``)."""
    if not ray.is_initialized():
        return  # Ray starts with the job; its size is unknown here
    available = ray.cluster_resources().get("CPU", 0)
    if available and reserved >= available:
        warnings.warn(
            f"the scoring actors reserve {reserved:g} of the cluster's {available:g} CPUs: "
            "a read stage (read_binary_files, read_parquet, ...) before them cannot start "
            "and the job will wait forever. Lower concurrency or num_cpus so that "
            "concurrency * num_cpus < the CPUs. Data already in memory (ray.data.from_items, "
            "from_pandas) has no read stage and is not affected.",
            RuntimeWarning,
            stacklevel=3,  # the caller of score_dataset
        )


def _check_columns(ds: ray.data.Dataset, column: str, added: list[str]) -> None:
    """Refuse a known schema without the input column or with a result column already."""
    schema = ds.schema(fetch_if_missing=False)
    if schema is None:
        return  # unknown until the data is read; the actors check the input column
    names = list(schema.names)
    if column not in names:
        raise ValueError(
            f"no column {column!r} in the dataset (columns: {names}); "
            "pass path_column= or bytes_column=."
        )
    clash = [name for name in added if name in names]
    if clash:
        raise ValueError(
            f"the dataset already has result column(s) {clash}; rename or drop them first "
            "(ds.rename_columns / ds.drop_columns)."
        )
