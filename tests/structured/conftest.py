"""Fixtures of the structured-output tests: the bundled model (loaded once per module) and a
scripted OpenAI-compatible server on loopback (tests/support/scripted_openai_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.scripted_openai_server import ScriptedServer, running

from promptcraft.backends import LocalBackend


@pytest.fixture(scope="module")
def bundled() -> LocalBackend:
    """The bundled model: constraints must hold whatever its weights are."""
    return LocalBackend.load("pc-tiny")


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with running(ScriptedServer()) as live:
        yield live
