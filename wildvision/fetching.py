"""Fetch listing photos from ``http(s)://`` URLs, safely: the network half of reading a photo.

Reports and listing tables point at photos by URL, and a URL in such a table is written by
whoever posted the listing. So each fetch resolves the host once and connects to the address
it checked (a second DNS answer cannot swap in another), refuses private, loopback,
link-local, multicast, reserved and unspecified addresses (IPv4, IPv6 and IPv4 inside IPv6)
unless allowed, follows a few redirects (every hop checked the same way), accepts only image
content types, stops reading past a byte cap and gives up at one deadline for the whole
fetch. Every failure is a ``FetchError`` (an ``ImageError``), so a scan writes it as an
error row. Only bytes come back: decoding stays in ``wildvision.imaging``.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

from ._version import __version__
from .errors import FetchError
from .imaging import BYTES_FLAG, DEFAULT_MAX_BYTES, is_url  # is_url: re-exported here too

#: Seconds one fetch may take in all: connecting, every redirect and the whole body.
DEFAULT_FETCH_TIMEOUT = 10.0
#: Fetches at once in ``fetch_many`` (and ``--fetch-workers``).
DEFAULT_FETCH_WORKERS = 8
#: Redirects followed before a fetch is refused (a loop, or a chain too long to trust).
DEFAULT_MAX_REDIRECTS = 5

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_HEADERS = {
    "User-Agent": f"wildvision/{__version__}",
    "Accept": "image/*, application/octet-stream;q=0.5",
}
# NAT64 (RFC 6052) carries an IPv4 address in its last 32 bits: judge that address.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Kept as they are in a request's path and query: percent escapes stay, non-ASCII is escaped.
_SAFE = "/%:@!$&'()*+,;=?~"
_ALLOW_HINT = "pass allow_private=True (--allow-private-urls) to fetch from a private network"

T = TypeVar("T")


@dataclass(frozen=True)
class FetchOptions:
    """How photos at URLs are fetched; the defaults are the safe ones.

    Attributes:
        timeout: seconds for a whole fetch (connect, redirects and body together).
        max_bytes: the largest photo; reading stops past it.
        allow_private: also fetch from private, loopback and link-local addresses.
        max_redirects: redirects followed before giving up.
        workers: fetches at once in ``fetch_many``.
    """

    timeout: float = DEFAULT_FETCH_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    allow_private: bool = False
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    workers: int = DEFAULT_FETCH_WORKERS

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise ValueError(f"the fetch timeout must be above 0 seconds, got {self.timeout}")
        if self.max_bytes < 1 or self.max_redirects < 0 or self.workers < 1:
            raise ValueError(
                "max_bytes and workers must be at least 1 and max_redirects at least 0, got "
                f"{self.max_bytes}, {self.workers} and {self.max_redirects}"
            )

    def fetch(self, url: str) -> bytes:
        """``fetch_image_bytes(url)`` with these options."""
        return fetch_image_bytes(
            url,
            timeout=self.timeout,
            max_bytes=self.max_bytes,
            allow_private=self.allow_private,
            max_redirects=self.max_redirects,
        )


def fetch_image_bytes(
    url: str,
    *,
    timeout: float = DEFAULT_FETCH_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_private: bool = False,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
) -> bytes:
    """The body of an image at an ``http(s)`` URL (see the module notes for what is checked).

    Raises:
        FetchError: the URL is refused or the fetch fails; the message names the URL, the
            reason and what to do.
    """
    deadline = time.monotonic() + timeout
    current = url
    for _ in range(max_redirects + 1):
        target = _get(current, url, deadline, timeout, max_bytes, allow_private)
        if isinstance(target, bytes):
            return target
        current = urljoin(current, target)
    raise FetchError(
        f"{url}: more than {max_redirects} redirects (the last to {current}); the link loops "
        "or is a chain of redirects: link the photo itself."
    )


def fetch_many(
    items: Iterable[T],
    options: FetchOptions | None = None,
    *,
    url: Callable[[T], object] | None = None,
) -> Iterator[tuple[T, bytes | FetchError | None]]:
    """Each item with the bytes at its URL (or the ``FetchError``), in the items' order.

    ``options.workers`` threads fetch ahead of the reader, at most ``2 * workers`` items
    ahead, so a long stream never piles up in memory. ``url(item)`` is where the item is
    (default: the item itself); one that is not an ``http(s)`` URL (a file path) passes
    through in its place with None.
    """
    options = options or FetchOptions()
    iterator = iter(items)
    pending: deque[tuple[T, Future | None]] = deque()
    pool = ThreadPoolExecutor(options.workers, thread_name_prefix="wv-fetch")
    try:
        while True:
            for item in islice(iterator, 2 * options.workers - len(pending)):
                where = item if url is None else url(item)
                job = pool.submit(_fetch_or_error, where, options) if is_url(where) else None
                pending.append((item, job))
            if not pending:
                return
            item, job = pending.popleft()
            yield item, None if job is None else job.result()
    finally:  # a reader that stops early leaves no queued fetches behind
        pool.shutdown(wait=False, cancel_futures=True)


def address_refusal(address: str) -> str | None:
    """Why ``address`` is not fetched from by default ("a loopback address", ...), or None
    for a public address. IPv4 carried inside IPv6 (mapped, 6to4, Teredo, NAT64) is judged
    as the IPv4 address it carries."""
    ip: Any = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:  # a connection to it goes to the IPv4 address
        reason = address_refusal(str(ip.ipv4_mapped))
        return reason and f"{reason} ({ip.ipv4_mapped} inside {ip})"
    if ip.version == 6:
        carried = [ip.sixtofour, *(ip.teredo or ())]
        if ip in _NAT64:
            carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        for inner in filter(None, carried):
            reason = address_refusal(str(inner))
            if reason:
                return f"{reason} ({inner} inside {ip})"
    for kind in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return f"a {kind.replace('_', '-')} address"
    return None if ip.is_global else "not a public address"


def _fetch_or_error(url: str, options: FetchOptions) -> bytes | FetchError:
    try:
        return options.fetch(url)
    except FetchError as exc:
        return exc


def _get(
    url: str, asked: str, deadline: float, timeout: float, max_bytes: int, allow_private: bool
) -> bytes | str:
    """One GET of ``url`` (a hop of fetching ``asked``): the body, or a redirect's target."""
    where = asked if url == asked else f"{asked} (redirected to {url})"
    https, host, port, target = _split(url, where)
    addresses = _addresses(where, host, port, allow_private, deadline, timeout)
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(_timed_out(where, timeout))
    connection = _PinnedConnection(host, port, addresses, left, _tls_context() if https else None)
    expired = threading.Event()
    watchdog = threading.Timer(left, _expire, (connection, expired))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("GET", target, headers=_HEADERS)
        response = connection.getresponse()
        if response.status in _REDIRECTS:
            location = response.getheader("Location")
            if not location:
                raise FetchError(
                    f"{where}: HTTP {response.status}, a redirect to nowhere (no Location); "
                    "link the photo itself."
                )
            return location
        return _body(response, where, max_bytes)
    except FetchError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):
            raise FetchError(_timed_out(where, timeout)) from None
        raise FetchError(
            f"{where}: the connection failed ({type(exc).__name__}: {exc}); check that the "
            "server is up, or try again later."
        ) from None
    finally:
        watchdog.cancel()
        connection.close()
        if expired.is_set():  # the body may look complete when cut off: never trust it
            raise FetchError(_timed_out(where, timeout))


def _split(url: str, where: str) -> tuple[bool, str, int, str]:
    """(https?, host, port, request target) of a URL; only http and https are fetched."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"{where}: only http and https URLs are fetched; fix the link.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise FetchError(
            f"{where}: the port is not a number from 1 to 65535; fix the link."
        ) from None
    if not parts.hostname:
        raise FetchError(f"{where}: no host name; fix the link.")
    target = quote(parts.path or "/", _SAFE)
    target += f"?{quote(parts.query, _SAFE)}" if parts.query else ""
    return scheme == "https", parts.hostname, port, target


def _body(response: http.client.HTTPResponse, where: str, max_bytes: int) -> bytes:
    if response.status not in (200, 203):
        raise FetchError(
            f"{where}: HTTP {response.status} {response.reason}; check that the link still "
            "points at the photo."
        )
    kind = (response.getheader("Content-Type") or "").split(";", 1)[0].strip().lower()
    # No Content-Type at all may be taken as application/octet-stream (RFC 9110, 8.3).
    if kind and not kind.startswith("image/") and kind != "application/octet-stream":
        raise FetchError(
            f"{where}: the server sent {kind!r}, not an image; link the photo itself, not the "
            "page it is on."
        )
    declared = response.getheader("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(_too_big(where, f"{int(declared)} bytes, over", max_bytes))
    chunks, size = [], 0
    while chunk := response.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(_too_big(where, "more than", max_bytes))
        chunks.append(chunk)
    return b"".join(chunks)


def _addresses(
    where: str, host: str, port: int, allow_private: bool, deadline: float, timeout: float
) -> list[tuple[int, tuple[Any, ...]]]:
    """The (family, socket address) pairs ``host`` resolves to that may be connected to.

    The lookup runs on a resolver thread so that the deadline holds for it too (the
    system's resolver has no timeout of its own to pass).
    """
    lookup = _resolver().submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        answers = lookup.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        raise FetchError(_timed_out(where, timeout)) from None
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"{where}: cannot resolve {host!r} ({exc}); check the host.") from None
    allowed, refused = [], []
    for family, _, _, _, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        reason = None if allow_private else address_refusal(sockaddr[0])
        if reason is None:
            allowed.append((family, sockaddr))
        else:
            refused.append((sockaddr[0], reason))
    if not allowed:
        if [address for address, _ in refused] == [host]:  # the URL names the address
            found = f"{host} is {refused[0][1]}"
        else:
            at = ", ".join(f"{address} ({reason})" for address, reason in refused)
            found = f"{host} is at {at or 'no IP address'}"
        raise FetchError(f"{where}: refused: {found}; {_ALLOW_HINT}.")
    return allowed


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP, or HTTPS when ``tls`` is set, to ``host`` (its name in the Host header and the
    certificate check) over a socket to the addresses already checked, never to whatever
    the name resolves to by the time of connecting."""

    def __init__(
        self,
        host: str,
        port: int,
        addresses: list[tuple[int, tuple[Any, ...]]],
        timeout: float,
        tls: ssl.SSLContext | None,
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses
        self.tls = tls
        #: The socket in use; unlike ``sock`` it stays set once a response owns the socket.
        self.live: socket.socket | None = None

    def connect(self) -> None:
        error: OSError = OSError("no address to connect to")
        for family, sockaddr in self._addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            self.live = sock  # the watchdog can cut a slow connect or handshake
            try:
                sock.settimeout(self.timeout)
                sock.connect(sockaddr)
                if self.tls is not None:
                    sock = self.tls.wrap_socket(sock, server_hostname=self.host)
                self.sock = self.live = sock
                return
            except OSError as exc:
                sock.close()
                error = exc
        raise error


def _expire(connection: _PinnedConnection, expired: threading.Event) -> None:
    """The deadline passed: make the fetch's blocked read or connect return at once."""
    expired.set()
    sock = connection.live
    if sock is not None:
        # the plain socket's shutdown, so a TLS socket's state is left to its own thread
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


@functools.cache
def _resolver() -> ThreadPoolExecutor:
    """Threads for DNS lookups, shared by every fetch (made on first use)."""
    return ThreadPoolExecutor(DEFAULT_FETCH_WORKERS, thread_name_prefix="wv-resolve")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The system's trusted certificates, loaded once (a context is safe to share)."""
    return ssl.create_default_context()


def _timed_out(where: str, timeout: float) -> str:
    return (
        f"{where}: no complete answer within {timeout:g} s; the server is slow or down — try "
        "again later or raise the fetch timeout (--fetch-timeout)."
    )


def _too_big(where: str, size: str, max_bytes: int) -> str:
    return (
        f"{where}: {size} the limit of {max_bytes} bytes; link a smaller photo or raise max_bytes "
        f"({BYTES_FLAG} on the command line)."
    )
