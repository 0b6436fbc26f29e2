"""Fixtures of the structured-output tests: the bundled model (loaded once per module) and a
scripted OpenAI-compatible server on loopback (tests/backends/scripted_openai_server.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from promptcraft.backends import LocalBackend

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
from scripted_openai_server import ScriptedServer, running


@pytest.fixture(scope="module")
def bundled() -> LocalBackend:
    """The bundled model: constraints must hold whatever its weights are."""
    return LocalBackend.load("pc-tiny")


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with running(ScriptedServer()) as live:
        yield live
