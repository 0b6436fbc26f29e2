"""Fixtures of the server tests: ``promptcraft serve`` running as a subprocess.

The bundled model is served when present (models/pc-tiny), else the tiny random model of
the backend tests. The default server is shared by the session; modules that need other
options start their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.serving import RunningServer, model_dir_to_serve, running_server


@pytest.fixture(scope="session")
def served_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return model_dir_to_serve(tmp_path_factory.mktemp("served-model"))


@pytest.fixture(scope="session")
def server(
    served_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    with running_server(served_model_dir, log_path=log) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.root_url, timeout=120.0) as http:
        yield http


@pytest.fixture(scope="session")
def context_length(server: RunningServer) -> int:
    card = httpx.get(f"{server.base_url}/models", timeout=30.0).json()["data"][0]
    return int(card["max_model_len"])
