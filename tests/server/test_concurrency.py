"""Many clients at once: admission, queueing and outputs that stay each request's own."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.serving import RunningServer, running_server

CLIENTS = 32
MAX_TOKENS = 12
SUBJECTS = [
    "apples", "rivers", "engines", "violins", "glaciers", "spiders", "lanterns", "tunnels",
    "parrots", "meteors", "bridges", "cactus", "harbors", "pianos", "deserts", "kites",
    "volcanoes", "wolves", "castles", "orchids", "comets", "ferries", "canyons", "owls",
    "mirrors", "tigers", "islands", "rockets", "forests", "clocks", "dolphins", "lighthouses",
]  # fmt: skip


@pytest.fixture(scope="module")
def single_slot_server(
    served_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    log = tmp_path_factory.mktemp("single-slot-server") / "server.log"
    args = ["--max-batch", "1", "--max-queue", "0"]
    with running_server(served_model_dir, log_path=log, args=args) as running:
        yield running


def _prompt(i: int) -> str:
    # Each prompt starts differently, so the prefix cache reuses at most a leading BOS token
    # whichever request ran before: alone and concurrent runs compute the same thing.
    return f"{SUBJECTS[i].capitalize()} are the subject. Write about {SUBJECTS[i]}:"


async def _stream_text(client: httpx.AsyncClient, model: str, prompt: str) -> str:
    body = {
        "model": model,
        "prompt": prompt,
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
        "ignore_eos": True,
        "stream": True,
    }
    pieces: list[str] = []
    done = False
    async with client.stream("POST", "/v1/completions", json=body) as response:
        assert response.status_code == 200, await response.aread()
        async for line in response.aiter_lines():
            if line == "data: [DONE]":
                done = True
            elif line.startswith("data: "):
                event: dict[str, Any] = json.loads(line.removeprefix("data: "))
                assert "error" not in event, event
                pieces.append(event["choices"][0]["text"])
    assert done
    return "".join(pieces)


async def _alone_then_together(server: RunningServer) -> tuple[list[str], list[str]]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=server.root_url, timeout=300.0, limits=limits) as client:
        prompts = [_prompt(i) for i in range(CLIENTS)]
        alone = [await _stream_text(client, server.model, p) for p in prompts]
        together = await asyncio.gather(*(_stream_text(client, server.model, p) for p in prompts))
    return alone, list(together)


def test_concurrent_streams_each_get_what_they_get_alone(server: RunningServer) -> None:
    alone, together = asyncio.run(asyncio.wait_for(_alone_then_together(server), timeout=600))
    assert together == alone
    assert len(set(alone)) > 1  # distinct outputs: a mix-up between requests would show


def test_requests_beyond_max_batch_and_max_queue_get_429_with_retry_after(
    single_slot_server: RunningServer, context_length: int
) -> None:
    async def burst() -> list[httpx.Response]:
        body = {
            "model": single_slot_server.model,
            "prompt": "Count:",
            "max_tokens": context_length - 16,
            "temperature": 0,
            "ignore_eos": True,
        }
        async with httpx.AsyncClient(base_url=single_slot_server.root_url, timeout=300.0) as c:
            return await asyncio.gather(*(c.post("/v1/completions", json=body) for _ in range(6)))

    responses = asyncio.run(asyncio.wait_for(burst(), timeout=600))
    statuses = sorted(r.status_code for r in responses)
    assert 200 in statuses and 429 in statuses, statuses
    assert set(statuses) == {200, 429}
    busy = next(r for r in responses if r.status_code == 429)
    assert busy.headers["retry-after"] == "1"
    assert busy.json()["error"]["code"] == "server_busy"
