"""The HTTP server's default limits, in one place that imports nothing: ``wildvision.server``
(the ``[serve]`` extra) enforces them and the CLI shows them in ``wildvision serve --help``
without the extra installed."""

from __future__ import annotations

#: One MB in the server's limits and the CLI's ``--max-*-mb`` options: 2**20 bytes.
MB = 1024 * 1024
#: The largest photo one request may upload.
DEFAULT_MAX_UPLOAD_BYTES = 20 * MB
#: The most photos in one batch request.
DEFAULT_MAX_BATCH_FILES = 32
#: The largest batch request body, all photos together.
DEFAULT_MAX_BATCH_BYTES = 100 * MB
#: Classifications running at once; more requests wait their turn.
DEFAULT_MAX_CONCURRENCY = 4
