"""Fixtures for the prompt engine's tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REVIEWS = [
    {"input": "I loved every minute of it", "output": "positive"},
    {"input": "Dull and far too long", "output": "negative"},
    {"input": "The popcorn was fine", "output": "neutral"},
]


@pytest.fixture
def reviews() -> list[dict[str, str]]:
    return [dict(r) for r in REVIEWS]


@pytest.fixture
def write_prompt(tmp_path: Path) -> Callable[..., Path]:
    """Write a ``.prompt`` file (front matter and body, dedented) and return its path."""

    def write(front: str, body: str = "", name: str = "test.prompt") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "---\n" + textwrap.dedent(front).strip("\n") + "\n---\n" + textwrap.dedent(body)
        path.write_text(text, encoding="utf-8")
        return path

    return write
