"""Fixtures of the backend tests: a tiny random-init Llama model saved as a checkpoint and
loaded through ``load_backend("local:PATH")``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.scripted_openai_server import ScriptedServer, running
from support.tiny_chat_model import build_tiny_model

from promptcraft.backends import LocalBackend, load_backend


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama") / "tiny-llama")


@pytest.fixture(scope="session")
def no_chat_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny-plain") / "tiny-plain"
    return build_tiny_model(path, chat_template=None)


@pytest.fixture(scope="session")
def backend(tiny_model_dir: Path) -> LocalBackend:
    """Shared by the tests that do not depend on the prefix cache's state."""
    loaded = load_backend(f"local:{tiny_model_dir}")
    assert isinstance(loaded, LocalBackend)
    return loaded


@pytest.fixture
def fresh_backend(tiny_model_dir: Path) -> LocalBackend:
    """A backend of its own: an empty prefix cache, free to hook into."""
    loaded = load_backend(f"local:{tiny_model_dir}")
    assert isinstance(loaded, LocalBackend)
    return loaded


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    """A scripted OpenAI-compatible server on loopback (support/scripted_openai_server.py),
    one per test module; test_openai_serve.py overrides it with the real `promptcraft serve`."""
    with running(ScriptedServer()) as live:
        yield live
