"""``create_app``: the FastAPI app around one loaded ``Classifier``; ``serve`` runs it."""

from __future__ import annotations

import os
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from .._version import __version__
from ..classifier import Classifier
from ..imaging import DEFAULT_MAX_PIXELS
from ..server_defaults import (
    DEFAULT_MAX_BATCH_BYTES,
    DEFAULT_MAX_BATCH_FILES,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_UPLOAD_BYTES,
)
from .limits import MULTIPART_OVERHEAD, BodyLimit, BodyLimitMiddleware, Limits, format_size
from .routes import Service, router

BATCH_PATH = "/v1/classify/batch"
#: Where ``/docs`` and ``/redoc`` load Swagger UI's and ReDoc's scripts and styles from.
DOCS_ASSETS = "/docs-assets"


def create_app(
    model: str | os.PathLike | Classifier | None = None,
    *,
    precision: str = "auto",
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    max_batch_files: int = DEFAULT_MAX_BATCH_FILES,
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    packs: Sequence[str | os.PathLike] = (),
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> FastAPI:
    """Build the HTTP app, loading the model once, now, so a bad model fails before serving.

    Args:
        model: an ``.onnx`` path, a shipped model name, ``None`` for the shipped default, or a
            ready ``Classifier`` to share.
        precision: for a shipped model, ``auto``, ``int8`` or ``fp32``.
        max_upload_bytes: the largest photo; ``/v1/classify`` answers 413 above it.
        max_batch_files: the most photos in one ``/v1/classify/batch`` request (413 above).
        max_batch_bytes: the largest ``/v1/classify/batch`` body, all photos together.
        max_concurrency: classifications running at once in worker threads; more requests
            wait their turn, which bounds memory under load.
        packs: product pack files whose labels the server adds (``Classifier(packs=...)``).
        max_pixels: photos with more pixels are refused (422), for a model loaded here.

    Raises:
        ModelError: the model cannot be found or loaded.
        PackError: a pack is corrupt or was built for another model.
        ValueError: a limit is out of range.
    """
    limits = Limits(max_upload_bytes, max_batch_files, max_batch_bytes)
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}.")
    if isinstance(model, Classifier):
        if packs:
            raise ValueError("give packs to the Classifier you pass, not to create_app too.")
        classifier = model
    else:
        classifier = Classifier(model, precision=precision, packs=packs, max_pixels=max_pixels)
    app = FastAPIOffline(  # /docs and /redoc from the package's own copies: no CDN, works offline
        static_url=DOCS_ASSETS,
        title="wildvision",
        version=__version__,
        description="Recognise illegal wildlife products in listing photos. "
        f"Model {classifier.spec.model_name} version {classifier.spec.version}, "
        f"labels: {', '.join(classifier.labels + classifier.pack_labels)}.",
    )
    app.state.wildvision = Service(classifier, limits, max_concurrency)
    app.include_router(router)
    single = BodyLimit(
        max_upload_bytes + MULTIPART_OVERHEAD,
        f"the upload is over the limit of {format_size(max_upload_bytes)} a photo; downscale "
        "or re-encode the photo, or start the server with a larger --max-upload-mb.",
    )
    batch = BodyLimit(
        max_batch_bytes,
        f"the batch is over the limit of {format_size(max_batch_bytes)} for all its photos "
        "together; send fewer or smaller photos a request, or start the server with a larger "
        "--max-batch-mb.",
    )
    app.add_middleware(BodyLimitMiddleware, limits={BATCH_PATH: batch}, default=single)
    return app


def serve(
    model: str | os.PathLike | Classifier | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    **options: int | str,
) -> None:
    """Load the model and serve it with uvicorn until interrupted (Ctrl-C).

    ``options`` go to ``create_app`` (``precision``, ``max_upload_bytes``, ...). The default
    host answers this machine only; bind ``0.0.0.0`` only behind a reverse proxy.
    """
    import uvicorn

    app = create_app(model, **options)  # type: ignore[arg-type]
    uvicorn.run(app, host=host, port=port, log_level=log_level)
