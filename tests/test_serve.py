"""``wildvision serve``: a real uvicorn process on 127.0.0.1, called over HTTP."""

from __future__ import annotations

import io
import re
import socket
import subprocess
import sys
import time

import pytest
from PIL import Image

from tests.conftest import skimage_photo
from wildvision import Classifier
from wildvision.cli import main

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("fastapi_offline", reason="needs the [serve] extra: pip install -e '.[serve]'")

MAX_UPLOAD_MB = 0.05  # 52,429 bytes a photo
MAX_BATCH_MB = 0.15  # under MAX_BATCH_FILES photos at the upload limit
MAX_BATCH_FILES = 4
LIMIT = round(MAX_UPLOAD_MB * 2**20)


def _jpeg(name: str, width: int = 320) -> bytes:
    """A real photo from scikit-image as a small JPEG (well under the upload limit)."""
    image = Image.open(skimage_photo(name)).convert("RGB")
    image = image.resize((width, round(image.height * width / image.width)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    assert len(buffer.getvalue()) < LIMIT / 2
    return buffer.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(wildlife_model, tmp_path_factory):
    """``python -m wildvision serve`` with small limits; yields its base URL."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("serve") / "server.log").open("w+")
    command = [
        *(sys.executable, "-m", "wildvision", "serve", "--model", str(wildlife_model.path)),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        *("--max-upload-mb", str(MAX_UPLOAD_MB), "--max-batch-mb", str(MAX_BATCH_MB)),
        *("--max-batch-files", str(MAX_BATCH_FILES)),
    ]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"server exited with {process.returncode}:\n{log.read()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def classifier(wildlife_model) -> Classifier:
    """The model the server runs: it blocks, reviews and allows known photos."""
    return Classifier(wildlife_model.path)


def test_healthz(client, classifier):
    assert client.get("/healthz").json() == {
        "status": "ok",
        "model_version": classifier.spec.version,
    }


def test_classify_matches_the_library(client, classifier):
    photo = _jpeg("chelsea.png")
    response = client.post("/v1/classify", files={"file": ("cat.jpg", photo, "image/jpeg")})
    assert response.status_code == 200
    body = response.json()
    expected = classifier.predict(photo)
    assert body["label"] == expected.label == "ivory"  # the tiny run's ivory is the cat
    assert sum(body["scores"].values()) == pytest.approx(1.0, abs=1e-4)
    assert body["scores"] == pytest.approx(dict(expected.scores), abs=1e-5)
    assert body["score"] == pytest.approx(expected.score, abs=1e-5)
    assert body["decision"] == expected.decision and body["error"] is None
    assert body["source"] == "cat.jpg" and body["model_version"] == classifier.spec.version


def test_batch_keeps_order_and_reports_a_bad_photo(client, classifier):
    cat, coffee = _jpeg("chelsea.png"), _jpeg("coffee.png")
    files = [
        ("files", ("cat.jpg", cat, "image/jpeg")),
        ("files", ("broken.jpg", cat[: len(cat) // 3], "image/jpeg")),
        ("files", ("coffee.jpg", coffee, "image/jpeg")),
    ]
    response = client.post("/v1/classify/batch", files=files)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["source"] for r in results] == ["cat.jpg", "broken.jpg", "coffee.jpg"]
    assert results[1]["decision"] == "error" and "truncated" in results[1]["error"]
    for result, photo in ((results[0], cat), (results[2], coffee)):
        expected = classifier.predict(photo)
        assert result["error"] is None and result["label"] == expected.label
        assert result["scores"] == pytest.approx(dict(expected.scores), abs=1e-5)


def test_batch_answers_each_decision(client, wildlife_model):
    photos = [wildlife_model.photos(decision, 1)[0] for decision in ("block", "review", "allow")]
    files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in photos]
    files.append(("files", ("broken.jpg", b"\xff\xd8\xff\xe0 cut", "image/jpeg")))
    results = client.post("/v1/classify/batch", files=files).json()["results"]
    assert [r["decision"] for r in results] == ["block", "review", "allow", "error"]
    assert [r["label"] for r in results] == ["ivory", "other", "other", ""]


def test_batch_item_over_the_upload_limit_is_an_error_item(client):
    files = [
        ("files", ("big.jpg", b"\xff" * (LIMIT + 1), "image/jpeg")),
        ("files", ("cat.jpg", _jpeg("chelsea.png"), "image/jpeg")),
    ]
    results = client.post("/v1/classify/batch", files=files).json()["results"]
    assert "over the upload limit of 0.05 MB" in results[0]["error"]
    assert results[1]["error"] is None


def test_batch_with_too_many_files_is_413(client):
    files = [("files", (f"{i}.jpg", b"x", "image/jpeg")) for i in range(MAX_BATCH_FILES + 1)]
    response = client.post("/v1/classify/batch", files=files)
    assert response.status_code == 413
    assert f"over the limit of {MAX_BATCH_FILES}" in response.json()["detail"]


def test_batch_over_the_total_limit_is_413(client):
    files = [("files", (f"{i}.jpg", b"x" * LIMIT, "image/jpeg")) for i in range(MAX_BATCH_FILES)]
    response = client.post("/v1/classify/batch", files=files)
    assert response.status_code == 413
    assert "over the limit of 0.15 MB" in response.json()["detail"]


def test_text_posted_as_an_image_is_422_with_the_reason(client):
    files = {"file": ("notes.txt", b"this is not a photo", "text/plain")}
    response = client.post("/v1/classify", files=files)
    assert response.status_code == 422
    assert "not a recognised image format" in response.json()["detail"]


def test_missing_file_field_is_422(client):
    response = client.post("/v1/classify", files={"photo": ("cat.jpg", b"x", "image/jpeg")})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


def test_upload_declared_over_the_limit_is_413(client):
    files = {"file": ("big.jpg", b"\xff" * (4 * LIMIT), "image/jpeg")}
    response = client.post("/v1/classify", files=files)
    assert response.status_code == 413
    assert "over the limit of 0.05 MB" in response.json()["detail"]


def test_photo_just_over_the_limit_is_413(client):
    files = {"file": ("big.jpg", b"\xff" * (LIMIT + 1), "image/jpeg")}
    response = client.post("/v1/classify", files=files)
    assert response.status_code == 413
    assert "big.jpg is over the upload limit of 0.05 MB" in response.json()["detail"]


def test_chunked_upload_is_stopped_at_the_limit(client):
    """No Content-Length: the server counts the bytes as they arrive."""
    boundary = "wildvision-test"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()

    def body():
        yield head
        for _ in range(3):
            yield b"\xff" * LIMIT
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/v1/classify",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert "over the limit of 0.05 MB" in response.json()["detail"]


def test_model_route_is_the_spec(client, classifier):
    # the spec, and the packs loaded beside it (none here; tests/test_packs.py has some)
    assert client.get("/v1/model").json() == {**classifier.spec.to_dict(), "packs": []}


def test_openapi_lists_the_four_routes(client):
    schema = client.get("/openapi.json").json()
    assert {"/v1/classify", "/v1/classify/batch", "/v1/model", "/healthz"} <= set(schema["paths"])
    classify = schema["paths"]["/v1/classify"]["post"]["responses"]
    assert {"200", "413", "422"} <= set(classify)
    assert "Classification" in schema["components"]["schemas"]
    decision = schema["components"]["schemas"]["Classification"]["properties"]["decision"]
    assert decision["enum"] == ["block", "review", "allow", "error"]


def test_serve_refuses_a_bad_limit_before_loading(capsys):
    assert main(["serve", "--max-upload-mb", "0"]) == 2
    assert "upload limits must be positive" in capsys.readouterr().err


def test_serve_reports_a_missing_model(tmp_path, capsys):
    assert main(["serve", "--model", str(tmp_path / "none.onnx")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_import_wildvision_does_not_import_fastapi():
    code = "import sys, wildvision, wildvision.cli; print('fastapi' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_serve_without_the_extra_names_it():
    code = (
        "import sys; sys.modules['fastapi'] = None\n"
        "from wildvision.cli import main; sys.exit(main(['serve']))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2
    assert "pip install 'wildvision[serve]'" in result.stderr


def test_docs_pages_load_their_assets_from_the_package_not_a_cdn():
    """``/docs`` (Swagger UI) and ``/redoc`` work offline: every script, style and icon they
    name is served by the app itself (fastapi-offline's copies), none from another host."""
    from fastapi.testclient import TestClient

    from wildvision.server import create_app

    with TestClient(create_app()) as client:  # the shipped default model; no network used
        for page, kinds in (("/docs", {"javascript", "css"}), ("/redoc", {"javascript"})):
            answer = client.get(page)
            assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]
            assets = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
            assert not re.search(r"https?://", answer.text), page  # nothing from elsewhere
            served = set()
            for url in assets:
                assert url.startswith("/docs-assets/"), url
                asset = client.get(url)
                assert asset.status_code == 200 and len(asset.content) > 1000, url
                served |= {k for k in kinds if k in asset.headers["content-type"]}
            assert served == kinds, page
        assert "SwaggerUIBundle" in client.get("/docs-assets/swagger-ui-bundle.js").text
        assert client.get("/openapi.json").json()["info"]["title"] == "wildvision"
