from __future__ import annotations

from pathlib import Path

import torch

from promptcraft.evaluation.response_cache import (
    CachedCompletion,
    ResponseCache,
    backend_identity,
    request_key,
)
from promptcraft.generation_types import Usage

RECORD = CachedCompletion(
    text=" 4", finish_reason="stop", usage=Usage(prompt_tokens=3, completion_tokens=1), seconds=0.5
)


def test_a_stored_completion_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with ResponseCache(path) as cache:
        cache.put("k", "backend", RECORD)
    with ResponseCache(path) as cache:
        assert cache.get("k") == RECORD


def test_an_unknown_key_is_a_miss() -> None:
    with ResponseCache(":memory:") as cache:
        assert cache.get("nope") is None


def test_key_changes_with_prompt_params_and_backend() -> None:
    base = request_key("b", "p", {"temperature": 0.0})
    assert (
        len(
            {
                base,
                request_key("b2", "p", {"temperature": 0.0}),
                request_key("b", "p2", {"temperature": 0.0}),
                request_key("b", "p", {"temperature": 0.5}),
            }
        )
        == 4
    )


def test_key_of_equal_params_ignores_their_order() -> None:
    assert request_key("b", "p", {"a": 1, "b": 2}) == request_key("b", "p", {"b": 2, "a": 1})


class _LocalLike:
    model = "tiny"
    max_context = 64
    truncate = None

    def __init__(self) -> None:
        torch.manual_seed(0)
        self.decoder = torch.nn.Linear(4, 4)


def test_backend_identity_changes_when_the_weights_change() -> None:
    backend = _LocalLike()
    before = backend_identity(backend)
    with torch.no_grad():
        backend.decoder.weight[0, 0] += 1.0
    assert backend_identity(backend) != before


def test_backend_identity_is_stable_for_the_same_weights() -> None:
    assert backend_identity(_LocalLike()) == backend_identity(_LocalLike())
