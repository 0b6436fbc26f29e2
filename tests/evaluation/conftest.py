"""Fixtures of the evaluation tests."""

from __future__ import annotations

from typing import Any

import pytest
from support.recording_backend import RecordingBackend, last_line_word_count


@pytest.fixture
def counting_backend() -> RecordingBackend:
    return RecordingBackend(last_line_word_count)


@pytest.fixture(scope="session")
def local_backend() -> Any:
    import torch

    from promptcraft.backends.local import LocalBackend

    torch.set_num_threads(1)
    return LocalBackend.load("pc-tiny")
