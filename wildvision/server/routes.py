"""The routes: classify one photo, classify a batch, describe the model, report health."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile

from ..classifier import Classifier
from ..errors import ImageError
from ..prediction import Prediction
from ..server_defaults import DEFAULT_MAX_CONCURRENCY
from .limits import BodyTooLarge, Limits, format_size
from .schemas import BatchResult, Classification, Health, ModelInfo, Problem, ValidationProblem

T = TypeVar("T")

router = APIRouter()


@dataclass
class Service:
    """What the routes share: the one ``Classifier``, the limits, and the inference limiter."""

    classifier: Classifier
    limits: Limits
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    _limiter: anyio.CapacityLimiter | None = field(default=None, init=False, repr=False)

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """Run blocking inference in a worker thread, at most ``max_concurrency`` at once, so
        the event loop keeps taking uploads and health checks and memory stays bounded."""
        if self._limiter is None:  # made on first use, inside the server's event loop
            self._limiter = anyio.CapacityLimiter(self.max_concurrency)
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter)

    def result(self, prediction: Prediction, source: str | None) -> Classification:
        data = {**prediction.to_dict(), "source": source}
        return Classification(**data, model_version=self.classifier.spec.version)


def _service(request: Request) -> Service:
    return request.app.state.wildvision


ServiceDep = Annotated[Service, Depends(_service)]

_TOO_LARGE = {413: {"model": Problem, "description": "Over an upload limit (detail says which)."}}
_UNREADABLE = {
    422: {
        "model": Problem | ValidationProblem,
        "description": "The photo could not be decoded (detail says why), or the request has "
        "no `file` field (detail is then FastAPI's list of validation errors).",
    }
}


async def _read(upload: UploadFile, max_bytes: int) -> bytes:
    """The upload's bytes; refuses a file over ``max_bytes`` without reading past it."""
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BodyTooLarge(
            f"{upload.filename or 'the file'} is over the upload limit of "
            f"{format_size(max_bytes)}; downscale or re-encode the photo, or start the server "
            "with a larger --max-upload-mb."
        )
    return data


@router.post(
    "/v1/classify",
    response_model=Classification,
    responses={**_TOO_LARGE, **_UNREADABLE},
    summary="Classify one photo",
)
async def classify(
    file: Annotated[UploadFile, File(description="The photo: any format Pillow reads.")],
    service: ServiceDep,
) -> Classification:
    """Classify the photo in the multipart field `file`."""
    data = await _read(file, service.limits.max_upload_bytes)
    try:
        prediction = await service.run(service.classifier.predict, data)
    except ImageError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return service.result(prediction, file.filename)


@router.post(
    "/v1/classify/batch",
    response_model=BatchResult,
    responses=_TOO_LARGE,
    summary="Classify several photos",
)
async def classify_batch(
    files: Annotated[list[UploadFile], File(description="The photos, in the order wanted back.")],
    service: ServiceDep,
) -> BatchResult:
    """Classify the photos in the multipart fields `files`, one result each, in order. A
    photo that cannot be decoded, or is over the upload limit, gets a result with `error`
    and decision `error`; the others are classified all the same."""
    limits = service.limits
    if len(files) > limits.max_batch_files:
        raise BodyTooLarge(
            f"{len(files)} files in one batch is over the limit of {limits.max_batch_files}; "
            "split the batch or start the server with a larger --max-batch-files."
        )
    payloads: list[bytes | str] = []
    for upload in files:
        try:
            payloads.append(await _read(upload, limits.max_upload_bytes))
        except BodyTooLarge as exc:
            payloads.append(exc.detail)
    photos = [p for p in payloads if isinstance(p, bytes)]
    predictions = iter(await service.run(lambda: list(service.classifier.predict_batch(photos))))
    return BatchResult(
        results=[
            service.result(
                next(predictions) if isinstance(p, bytes) else Prediction.failed(p), f.filename
            )
            for f, p in zip(files, payloads)
        ]
    )


@router.get("/v1/model", response_model=ModelInfo, summary="Describe the model")
async def model_info(service: ServiceDep) -> ModelInfo:
    """The model's spec: labels, preprocessing, temperature, thresholds, name and version."""
    classifier = service.classifier
    packs = [pack.summary() for pack in classifier.packs]  # PackInfo keeps what it names
    return ModelInfo(**classifier.spec.to_dict(), packs=packs)


@router.get("/healthz", response_model=Health, summary="Health check")
async def healthz(service: ServiceDep) -> Health:
    """`ok` once the model is loaded (it is loaded before the server starts listening)."""
    return Health(model_version=service.classifier.spec.version)
