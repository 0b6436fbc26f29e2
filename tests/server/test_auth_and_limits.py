"""A server started with an API key (from the environment) and a small --max-body-bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.serving import RunningServer, running_server

API_KEY = "sk-test-7f3a9c0e5b1d"
BODY_LIMIT = 4096


@pytest.fixture(scope="module")
def keyed_server(
    served_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    log = tmp_path_factory.mktemp("keyed-server") / "server.log"
    args = ["--max-body-bytes", str(BODY_LIMIT)]
    with running_server(served_model_dir, log_path=log, api_key=API_KEY, args=args) as running:
        yield running


def _post(server: RunningServer, headers: dict[str, str], **body: object) -> httpx.Response:
    payload = {"model": server.model, "prompt": "Hello", "max_tokens": 2, **body}
    return httpx.post(
        f"{server.base_url}/completions", json=payload, headers=headers, timeout=120.0
    )


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_request_without_key_is_a_401(keyed_server: RunningServer) -> None:
    response = _post(keyed_server, {})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_request_with_a_wrong_key_is_a_401(keyed_server: RunningServer) -> None:
    assert _post(keyed_server, _bearer("sk-wrong")).status_code == 401


def test_request_with_the_key_is_served(keyed_server: RunningServer) -> None:
    assert _post(keyed_server, _bearer(API_KEY)).status_code == 200


def test_models_needs_the_key_too(keyed_server: RunningServer) -> None:
    assert httpx.get(f"{keyed_server.base_url}/models", timeout=30.0).status_code == 401


def test_health_needs_no_key(keyed_server: RunningServer) -> None:
    assert httpx.get(f"{keyed_server.root_url}/health", timeout=30.0).status_code == 200


def test_the_key_never_appears_in_the_log(keyed_server: RunningServer) -> None:
    _post(keyed_server, _bearer(API_KEY))
    _post(keyed_server, _bearer(API_KEY + "x"))
    log = keyed_server.log()
    assert "API key required" in log
    assert API_KEY not in log


def test_oversized_body_is_a_413(keyed_server: RunningServer) -> None:
    response = _post(keyed_server, _bearer(API_KEY), prompt="x" * (2 * BODY_LIMIT))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_oversized_chunked_body_is_a_413(keyed_server: RunningServer) -> None:
    def body() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        yield b'{"model": "m", "prompt": "'
        for _ in range(4):
            yield b"x" * BODY_LIMIT
        yield b'"}'

    response = httpx.post(
        f"{keyed_server.base_url}/completions",
        content=body(),
        headers={**_bearer(API_KEY), "content-type": "application/json"},
        timeout=120.0,
    )
    assert response.status_code == 413
