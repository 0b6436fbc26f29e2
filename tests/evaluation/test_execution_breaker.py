"""A failure that every later request would repeat stops the sending, not the reporting."""

from __future__ import annotations

import socket

import pytest

from promptcraft.backends.openai import OpenAIBackend
from promptcraft.errors import BackendUnavailableError
from promptcraft.evaluation.execution import PendingRequest, run_requests


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed on exit: a connect is refused


def _requests(n: int) -> list[PendingRequest]:
    return [PendingRequest(id=i, text=f"q{i}", params={"max_tokens": 2}) for i in range(n)]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_unreachable_server_fails_the_unsent_requests_with_the_first_error(concurrency) -> None:
    backend = OpenAIBackend("m", base_url=f"http://127.0.0.1:{_closed_port()}/v1", max_retries=0)
    results: dict[int, BaseException] = {}
    run_requests(
        backend,
        _requests(8),
        lambda r, out: results.__setitem__(r.id, out),
        concurrency=concurrency,
    )
    assert sorted(results) == list(range(8))
    assert all(isinstance(e, BackendUnavailableError) for e in results.values())
    # Only the requests already in flight when the first failed were sent.
    assert len({id(e) for e in results.values()}) <= concurrency
