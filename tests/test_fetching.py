"""fetching: photos from URLs with a deadline, a byte cap, a redirect limit, a content-type
check and the SSRF rule, against a local HTTP server (tests/photo_server.py)."""

from __future__ import annotations

import socket
import time

import pytest

from tests.photo_server import HUGE_BYTES, PNG
from wildvision import fetching
from wildvision.errors import FetchError, ImageError
from wildvision.fetching import FetchOptions, address_refusal, fetch_image_bytes, fetch_many
from wildvision.imaging import load_image


def fetch(url: str, **options) -> bytes:
    """Fetch from the loopback test server: private addresses allowed, short timeout."""
    return fetch_image_bytes(url, **{"allow_private": True, "timeout": 0.5, **options})


@pytest.mark.parametrize(
    ("content_type", "body"), [("image/png", PNG), ("application/octet-stream", PNG), (None, PNG)]
)
def test_a_photo_comes_back_byte_for_byte(photo_server, content_type, body):
    url = photo_server.add("/photo.png", body, content_type)
    assert fetch(url) == body
    assert load_image(fetch(url)).size == (64, 64)


def test_loopback_is_refused_by_default_before_any_request(photo_server):
    url = photo_server.add("/photo.png", PNG)
    with pytest.raises(FetchError, match="127.0.0.1 is a loopback address") as caught:
        fetch_image_bytes(url)
    assert "--allow-private-urls" in str(caught.value)
    assert isinstance(caught.value, ImageError)  # a scan's error-row path takes it
    assert photo_server.requests["/photo.png"] == 0


def test_a_slow_server_times_out(photo_server):
    start = time.monotonic()
    with pytest.raises(FetchError, match="no complete answer within 0.5 s"):
        fetch(photo_server.url("/delay/3000"))
    assert time.monotonic() - start < 1.5


def test_the_deadline_covers_the_whole_fetch_not_each_read(photo_server):
    # a byte every 50 ms never trips a per-read timeout of 0.5 s; the whole takes 2 s
    start = time.monotonic()
    with pytest.raises(FetchError, match="within 0.5 s"):
        fetch(photo_server.url("/trickle"))
    assert time.monotonic() - start < 1.5


def test_the_deadline_covers_a_slow_name_lookup(monkeypatch):
    def slow_lookup(*args, **kwargs):
        time.sleep(1.5)
        raise socket.gaierror("too late")

    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    start = time.monotonic()
    with pytest.raises(FetchError, match="within 0.5 s"):
        fetch_image_bytes("http://photos.example/a.jpg", timeout=0.5)
    assert time.monotonic() - start < 1.0


def test_http_errors_name_the_status(photo_server):
    with pytest.raises(FetchError, match="HTTP 404 Not Found"):
        fetch(photo_server.url("/missing"))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/huge", "more than the limit of 50000 bytes"),
        ("/huge-declared", f"{HUGE_BYTES} bytes, over the limit of 50000 bytes"),
    ],
)
def test_a_body_over_the_cap_is_refused(photo_server, path, message):
    with pytest.raises(FetchError, match=message):
        fetch(photo_server.url(path), max_bytes=50_000)
    assert len(fetch(photo_server.url(path), max_bytes=HUGE_BYTES)) == HUGE_BYTES


def test_a_web_page_is_refused_with_its_type(photo_server):
    with pytest.raises(FetchError, match="sent 'text/html', not an image"):
        fetch(photo_server.url("/page"))


def test_redirects_are_followed_up_to_the_limit(photo_server):
    assert fetch(photo_server.url("/hops/5")) == PNG
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(photo_server.url("/hops/6"))
    with pytest.raises(FetchError, match="more than 0 redirects"):
        fetch(photo_server.url("/hops/1"), max_redirects=0)
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(photo_server.url("/loop"))
    assert photo_server.requests["/loop"] == 6


def test_every_redirect_hop_is_checked(photo_server, monkeypatch):
    # 127.0.0.1 counts as public here, 127.0.0.2 as what it is
    monkeypatch.setattr(
        fetching, "address_refusal", lambda a: "a loopback address" if a == "127.0.0.2" else None
    )
    url = photo_server.redirect("/away", "http://127.0.0.2:9/x.png")
    with pytest.raises(FetchError, match=r"redirected to http://127.0.0.2:9/x.png\): refused"):
        fetch_image_bytes(url, timeout=0.5)
    url = photo_server.redirect("/file", "file:///etc/passwd")
    with pytest.raises(FetchError, match="only http and https URLs are fetched"):
        fetch_image_bytes(url, timeout=0.5)


def test_a_reset_connection_is_an_error(photo_server):
    with pytest.raises(FetchError, match="the connection failed"):
        fetch(photo_server.url("/reset"))


def test_the_name_is_resolved_once_and_the_checked_address_is_used(photo_server, monkeypatch):
    """DNS rebinding: a second lookup would answer otherwise; only the first one counts."""
    photo_server.add("/photo.png", PNG)
    port = int(photo_server.url("/").rsplit(":", 1)[1].strip("/"))
    lookups = []

    def rebinding(host, port, *args, **kwargs):
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "10.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    assert fetch(f"http://photos.example:{port}/photo.png") == PNG
    assert lookups == ["photos.example"]
    assert photo_server.hosts[-1] == f"photos.example:{port}"


def test_a_public_name_at_a_private_address_is_refused(monkeypatch):
    answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answer)
    with pytest.raises(FetchError, match=r"photos.example is at 10.1.2.3 \(a private address\)"):
        fetch_image_bytes("http://photos.example/a.jpg", timeout=0.5)


@pytest.mark.parametrize(
    "url", ["ftp://photos.example/a.jpg", "http:///a.jpg", "http://photos.example:99999/a.jpg"]
)
def test_malformed_urls_are_refused(url):
    with pytest.raises(FetchError, match="fix the link"):
        fetch_image_bytes(url)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not a public"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1%1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused(address, reason):
    assert reason in (address_refusal(address) or "")


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.215.14", "2606:4700::1111", "::ffff:1.1.1.1"]
)
def test_public_addresses_are_allowed(address):
    assert address_refusal(address) is None


def test_fetch_many_keeps_order_passes_paths_through_and_runs_at_once(photo_server):
    urls = [photo_server.url(f"/delay/{300 + i}") for i in range(8)]
    items = ["local.jpg", *urls, photo_server.url("/missing")]
    options = FetchOptions(timeout=2, allow_private=True, workers=8)
    start = time.monotonic()
    results = list(fetch_many(items, options))
    assert time.monotonic() - start < 1.5  # eight 0.3 s answers, not 2.4 s one after another
    assert [item for item, _ in results] == items
    assert results[0][1] is None
    assert [data for _, data in results[1:-1]] == [PNG] * 8
    assert isinstance(results[-1][1], FetchError) and "404" in str(results[-1][1])


def test_fetch_options_are_checked():
    with pytest.raises(ValueError, match="timeout"):
        FetchOptions(timeout=0)
    with pytest.raises(ValueError, match="workers"):
        FetchOptions(workers=0)


def test_files_have_the_same_byte_cap(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(PNG)
    with pytest.raises(ImageError, match=f"{len(PNG)} bytes exceeds the limit of 100"):
        load_image(path, max_bytes=100)
    with pytest.raises(ImageError, match="exceeds the limit of 100"):
        load_image(PNG, max_bytes=100)
    assert load_image(path).size == (64, 64)


def test_decoding_a_url_says_to_fetch_it_first():
    with pytest.raises(ImageError, match="decoding never goes to the network"):
        load_image("https://photos.example/a.jpg")
