"""Request size limits, enforced while a body streams in and before it is parsed.

A body whose ``Content-Length`` is over its route's limit is refused before a byte of it is
read; a body without one (chunked) is counted as it arrives and refused as soon as it passes
the limit. So no request puts more than its limit into memory or the upload spool files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..server_defaults import (
    DEFAULT_MAX_BATCH_BYTES,
    DEFAULT_MAX_BATCH_FILES,
    DEFAULT_MAX_UPLOAD_BYTES,
    MB,
)

#: Room for the multipart boundary and part headers around one uploaded file.
MULTIPART_OVERHEAD = 64 * 1024
#: Starlette's multipart parser refuses more files than this in one request.
MAX_FILES_PARSED = 1000


def format_size(size: int) -> str:
    """``20 MB``, ``0.05 MB``: sizes in messages, in the unit of the CLI options."""
    return f"{size / MB:.3g} MB"


@dataclass(frozen=True)
class Limits:
    """How much one request may send.

    Attributes:
        max_upload_bytes: the largest photo; also bounds ``/v1/classify``'s whole body.
        max_batch_files: the most photos in one ``/v1/classify/batch`` request.
        max_batch_bytes: the largest ``/v1/classify/batch`` body, all photos together.
    """

    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_batch_files: int = DEFAULT_MAX_BATCH_FILES
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES

    def __post_init__(self) -> None:
        if self.max_upload_bytes < 1 or self.max_batch_bytes < 1:
            raise ValueError(
                f"upload limits must be positive, got max_upload_bytes={self.max_upload_bytes} "
                f"and max_batch_bytes={self.max_batch_bytes}."
            )
        if not 1 <= self.max_batch_files <= MAX_FILES_PARSED:
            raise ValueError(
                f"max_batch_files must be between 1 and {MAX_FILES_PARSED}, "
                f"got {self.max_batch_files}."
            )


class BodyTooLarge(HTTPException):
    """A 413 whose detail names the limit and how to stay under it."""

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail)


@dataclass(frozen=True)
class BodyLimit:
    """The most bytes a route's body may hold, and the 413 detail for a body over it."""

    max_bytes: int
    detail: str

    def error(self) -> BodyTooLarge:
        return BodyTooLarge(self.detail)


class BodyLimitMiddleware:
    """Pure ASGI middleware that refuses a request body over its path's ``BodyLimit`` with 413.

    It raises ``BodyTooLarge`` (an ``HTTPException``) from ``receive``, so a form being parsed
    stops at once and FastAPI answers ``{"detail": ...}``; if the exception gets past the app
    before a response has started, the middleware answers itself.
    """

    def __init__(self, app: ASGIApp, limits: Mapping[str, BodyLimit], default: BodyLimit) -> None:
        self.app = app
        self.limits = dict(limits)
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = self.limits.get(path, self.default)
        declared = _content_length(scope)
        if declared is not None and declared > limit.max_bytes:
            await _respond(limit.error(), scope, receive, send)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise limit.error()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await _respond(exc, scope, receive, send)


async def _respond(error: BodyTooLarge, scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse({"detail": error.detail}, status_code=error.status_code)
    await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
