"""Continuous batching through real clients on loopback: requests that start and stop at
random times share decoding steps, and each still gets what it gets alone."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam
from support.random_prompts import random_prompt
from support.serving import RunningServer, running_server


def _body(i: int, prompt: str, model: str) -> dict[str, Any]:
    """Rows that differ in length, stop strings, logprobs and sampling (seeded)."""
    kinds: list[dict[str, Any]] = [
        {"max_tokens": 14, "temperature": 0},
        {"max_tokens": 20, "temperature": 0, "stop": ["\n"], "logprobs": 2},
        {"max_tokens": 18, "temperature": 0.9, "top_p": 0.9, "seed": 11},
        {"max_tokens": 10, "temperature": 0, "ignore_eos": True},
    ]
    return {"model": model, "prompt": prompt, "stream": True, **kinds[i % len(kinds)]}


async def _stream(
    client: httpx.AsyncClient, body: dict[str, Any], *, delay: float = 0.0, keep: int = -1
) -> tuple[str, list[float]] | None:
    """The streamed text and logprobs; None when it hangs up after ``keep`` events."""
    await asyncio.sleep(delay)
    texts: list[str] = []
    logprobs: list[float] = []
    async with client.stream("POST", "/v1/completions", json=body) as response:
        assert response.status_code == 200, await response.aread()
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line.removeprefix("data: "))
            assert "error" not in event, event
            choice = event["choices"][0]
            texts.append(choice["text"])
            logprobs.extend((choice.get("logprobs") or {}).get("token_logprobs") or ())
            if len(texts) == keep:
                return None  # leaving the block closes the connection mid-stream
    return "".join(texts), logprobs


def _metrics(server: RunningServer) -> dict[str, Any]:
    response = httpx.get(f"{server.root_url}/metrics", timeout=30)
    assert response.status_code == 200
    metrics: dict[str, Any] = response.json()
    return metrics


def test_streams_with_random_starts_and_hangups_get_what_they_get_alone(
    server: RunningServer,
) -> None:
    rng = random.Random(0)
    bodies = [_body(i, random_prompt(rng, longest=70), server.model) for i in range(20)]
    hangups = {3, 8, 13, 17}

    async def run() -> tuple[list[Any], list[Any]]:
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=server.root_url, timeout=300, limits=limits) as c:
            alone = [await _stream(c, body) for body in bodies]
            together = await asyncio.gather(
                *(
                    _stream(c, body, delay=rng.random() * 0.3, keep=2 if i in hangups else -1)
                    for i, body in enumerate(bodies)
                )
            )
        return alone, list(together)

    alone, together = asyncio.run(asyncio.wait_for(run(), timeout=600))
    for i, (a, t) in enumerate(zip(alone, together, strict=True)):
        assert (t is None) == (i in hangups)
        if t is not None:
            assert t == a, f"request {i}: {bodies[i]}"
    assert len({a[0] for a in alone}) > 5
    assert max(int(size) for size in _metrics(server)["batch_sizes"]) > 1


def test_seeded_chat_through_the_openai_client_matches_alone(server: RunningServer) -> None:
    api = openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    topics = ["rivers", "owls", "bridges", "comets", "tigers", "kites", "harbors", "clocks"]

    async def ask(i: int, topic: str) -> tuple[str | None, str | None]:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "user", "content": f"Write one sentence about {topic}."}
        ]
        if i % 3 == 2:  # a structured answer beside free ones
            out = await api.chat.completions.create(
                model=server.model,
                messages=messages,
                max_tokens=40,
                temperature=0,
                response_format={
                    "type": "json_schema",
                    "json_schema": {
                        "name": "answer",
                        "schema": {
                            "type": "object",
                            "properties": {"ok": {"type": "boolean"}},
                            "required": ["ok"],
                        },
                    },
                },
            )
        else:
            out = await api.chat.completions.create(
                model=server.model, messages=messages, max_tokens=16, temperature=0.8, seed=i
            )
        return out.choices[0].message.content, out.choices[0].finish_reason

    async def run() -> tuple[list[Any], list[Any]]:
        alone = [await ask(i, t) for i, t in enumerate(topics)]
        together = await asyncio.gather(*(ask(i, t) for i, t in enumerate(topics)))
        return alone, list(together)

    alone, together = asyncio.run(asyncio.wait_for(run(), timeout=600))
    assert together == alone
    structured = [alone[i][0] for i in range(len(topics)) if i % 3 == 2]
    assert all(isinstance(json.loads(s or ""), dict) for s in structured)


def test_a_client_that_hangs_up_frees_its_row_at_once(
    server: RunningServer, context_length: int
) -> None:
    before = _metrics(server)["cancelled"]
    body = {
        "model": server.model,
        "prompt": "Count:",
        "max_tokens": context_length - 16,
        "temperature": 0,
        "ignore_eos": True,
        "stream": True,
    }

    async def hang_up() -> None:
        async with httpx.AsyncClient(base_url=server.root_url, timeout=120) as client:
            assert await _stream(client, body, keep=3) is None

    asyncio.run(hang_up())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        metrics = _metrics(server)
        if metrics["running"] == 0 and metrics["cancelled"] > before:
            break
        time.sleep(0.05)
    assert metrics["running"] == 0
    assert metrics["cancelled"] == before + 1
    # it stopped long before its max_tokens
    assert metrics["cancelled_chunks"] < context_length // 2


def test_metrics_describe_the_batch(server: RunningServer) -> None:
    async def burst() -> None:
        async with httpx.AsyncClient(base_url=server.root_url, timeout=300) as client:
            rng = random.Random(5)
            await asyncio.gather(
                *(
                    _stream(client, _body(0, random_prompt(rng, longest=70), server.model))
                    for _ in range(6)
                )
            )

    asyncio.run(asyncio.wait_for(burst(), timeout=300))
    metrics = _metrics(server)
    assert metrics["max_batch"] == 16 and metrics["max_queue"] == 64
    assert metrics["running"] == 0 and metrics["waiting"] == 0
    assert metrics["tokens_per_second"] > 0
    ttft = metrics["time_to_first_token"]
    assert ttft["count"] >= 6 and 0 < ttft["p50"] <= ttft["p95"]
    sizes = {int(size): steps for size, steps in metrics["batch_sizes"].items()}
    assert max(sizes) > 1 and all(1 <= size <= 16 for size in sizes)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_server_cleanly_while_it_streams(
    stop_signal: signal.Signals, served_model_dir: Path, tmp_path: Path
) -> None:
    with running_server(served_model_dir, log_path=tmp_path / "server.log") as server:
        body = {"model": server.model, "prompt": "Count:", "max_tokens": 200, "stream": True}
        with (
            httpx.Client(base_url=server.root_url, timeout=60) as client,
            client.stream("POST", "/v1/completions", json={**body, "ignore_eos": True}) as r,
        ):
            lines = r.iter_lines()
            assert next(lines).startswith("data: ")  # generating now
            server.process.send_signal(stop_signal)
            assert server.process.wait(30) == 0
        assert "promptcraft serve: stopped" in server.log()
        assert "Traceback" not in server.log()
