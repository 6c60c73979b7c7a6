"""A local HTTP server of photos and of the ways fetching one goes wrong, for the URL tests.

It serves on 127.0.0.1 only, so tests fetch from it with ``allow_private=True``. Photos are
added with ``add``; these paths misbehave on purpose:

- ``/delay/MS``: answers ``PNG`` after MS milliseconds; ``/trickle``: sends its body a byte
  every 50 ms (2 s in all).
- ``/missing``: 404; ``/page``: an HTML page; ``/huge``: ``HUGE_BYTES`` with no length said,
  ``/huge-declared``: a Content-Length of ``HUGE_BYTES``.
- ``/loop``: redirects to itself; ``/hops/N``: N redirects, then ``/hops/0`` serves ``PNG``.
- ``/reset``: half the headers, then the connection is reset (TCP RST).
"""

from __future__ import annotations

import contextlib
import io
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

HUGE_BYTES = 200_000


def png_bytes(color: tuple[int, int, int] = (200, 180, 150), size: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, "PNG")
    return buffer.getvalue()


PNG = png_bytes()


class PhotoServer:
    """``with PhotoServer() as server:`` serves until the block ends.

    Attributes:
        requests: how many requests each path got (the query string left out).
        hosts: the Host header of each request, in order.
    """

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str | None]] = {}
        self.redirects: dict[str, str] = {}
        self.requests: Counter = Counter()
        self.hosts: list[str] = []
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def add(self, path: str, body: bytes, content_type: str | None = "image/png") -> str:
        """Serve ``body`` at ``path``; returns its URL."""
        self.files[path] = (body, content_type)
        return self.url(path)

    def redirect(self, path: str, location: str) -> str:
        """Answer ``path`` with a 302 to ``location``; returns its URL."""
        self.redirects[path] = location
        return self.url(path)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> PhotoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that stops reading (the byte cap, a timeout) is expected here


def _handler(server: PhotoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            server.requests[path] += 1
            server.hosts.append(self.headers.get("Host", ""))
            if path in server.files:
                body, content_type = server.files[path]
                self._send(200, body, content_type)
            elif path in server.redirects:
                self._redirect(server.redirects[path])
            elif path.startswith("/delay/"):
                time.sleep(int(path.rsplit("/", 1)[1]) / 1000)
                self._send(200, PNG, "image/png")
            elif path == "/trickle":
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                for byte in PNG[:40]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.05)
            elif path == "/missing":
                self._send(404, b"not here", "text/plain")
            elif path == "/page":
                self._send(200, b"<!DOCTYPE html><html>a listing</html>", "text/html; x=1")
            elif path in ("/huge", "/huge-declared"):
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                if path == "/huge-declared":
                    self.send_header("Content-Length", str(HUGE_BYTES))
                self.end_headers()
                for _ in range(HUGE_BYTES // 10_000):
                    self.wfile.write(b"\0" * 10_000)
            elif path == "/loop":
                self._redirect("/loop")
            elif path.startswith("/hops/"):
                left = int(path.rsplit("/", 1)[1])
                if left:
                    self._redirect(f"/hops/{left - 1}")
                else:
                    self._send(200, PNG, "image/png")
            elif path == "/reset":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: ima")
                self.wfile.flush()
                linger = struct.pack("ii", 1, 0)  # close with RST, not FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.connection.close()
                self.close_connection = True
            else:
                self._send(404, b"unknown test path", "text/plain")

        def _send(self, status: int, body: bytes, content_type: str | None) -> None:
            self.send_response(status)
            if content_type is not None:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def finish(self) -> None:  # the reset path closed the socket already
            with contextlib.suppress(OSError):
                super().finish()

    return Handler
