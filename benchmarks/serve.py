"""Throughput and latency of ``promptcraft serve`` over loopback, and what HTTP adds.

Starts ``promptcraft serve`` (pc-tiny unless ``--model NAME|PATH``) as a subprocess,
then measures:

- at 1, 8 and 32 concurrent streaming clients: requests/s, completion tokens/s, p50/p95
  latency (request sent → ``[DONE]``) and time to first token (→ first text event). Every
  request asks for exactly ``--max-tokens`` tokens (greedy, ``ignore_eos``), so the rows
  compare like with like;
- the HTTP overhead per request: the median latency of a one-token request through the
  server minus that of the same call on a ``LocalBackend`` in this process (same model,
  same thread count), one request at a time, alternating the two.

The server generates one request at a time (see promptcraft/server/scheduler.py), so
tokens/s stays flat as clients are added while latency grows with the queue.

    python benchmarks/serve.py                      # pc-tiny, 1 torch thread
    python benchmarks/serve.py --model PATH --threads 2 --quick

Writes the table to benchmarks/results/serve.md as well.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "serve.md"
WORDS = [
    "apples", "rivers", "engines", "violins", "glaciers", "spiders", "lanterns", "tunnels",
    "parrots", "meteors", "bridges", "harbors", "pianos", "deserts", "kites", "volcanoes",
    "wolves", "castles", "orchids", "comets", "ferries", "canyons", "owls",
]  # fmt: skip


@dataclass
class Sample:
    latency: float
    ttft: float
    tokens: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="pc-tiny", help="a local model's name or path (pc-tiny)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, server and direct")
    parser.add_argument("--max-tokens", type=int, default=32, help="tokens per request")
    parser.add_argument("--quick", action="store_true", help="fewer requests per row")
    args = parser.parse_args()

    process, base_url, model = start_server(args.model, args.threads)
    try:
        rows = []
        for clients in (1, 8, 32):
            requests = max(8, clients * 2) if args.quick else max(16, clients * 4)
            asyncio.run(run_load(base_url, model, min(clients, 4), 8, seed=1000))  # warm up
            rows.append(
                (
                    clients,
                    requests,
                    *asyncio.run(measure(base_url, model, clients, requests, args.max_tokens)),
                )
            )
        overhead = measure_overhead(
            base_url, model, args.model, args.threads, 15 if args.quick else 40
        )
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    report = render(rows, overhead, args, model)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)


def start_server(model: str, threads: int) -> tuple[subprocess.Popen[str], str, str]:
    command = [sys.executable, "-m", "promptcraft", "serve", "--model", model, "--port", "0",
               "--threads", str(threads), "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"promptcraft serve: (\S+) at (http://\S+)/v1", line)
    if not found:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    base_url = found.group(2)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/health").status_code == 200:
                return process, base_url, found.group(1)
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the server did not answer /health")


def prompt(i: int) -> str:
    a, b = WORDS[i % len(WORDS)], WORDS[(i // len(WORDS) + 7 * i) % len(WORDS)]
    return f"Request {i}: write about {a} and {b}."


async def one_request(client: httpx.AsyncClient, model: str, i: int, max_tokens: int) -> Sample:
    body = {
        "model": model,
        "prompt": prompt(i),
        "max_tokens": max_tokens,
        "temperature": 0,
        "ignore_eos": True,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    start = time.perf_counter()
    ttft = None
    tokens = 0
    async with client.stream("POST", "/v1/completions", json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if not line.startswith("data: {"):
                continue
            event = json.loads(line[6:])
            if event["choices"] and event["choices"][0]["text"] and ttft is None:
                ttft = time.perf_counter() - start
            if event.get("usage"):
                tokens = event["usage"]["completion_tokens"]
    latency = time.perf_counter() - start
    return Sample(latency=latency, ttft=latency if ttft is None else ttft, tokens=tokens)


async def run_load(
    base_url: str, model: str, clients: int, requests: int, *, seed: int, max_tokens: int = 4
) -> tuple[list[Sample], float]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(seed + i)
    samples: list[Sample] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            samples.append(await one_request(client, model, queue.get_nowait(), max_tokens))

    async with httpx.AsyncClient(base_url=base_url, timeout=600, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        wall = time.perf_counter() - start
    return samples, wall


async def measure(
    base_url: str, model: str, clients: int, requests: int, max_tokens: int
) -> tuple[float, float, float, float, float, float]:
    samples, wall = await run_load(
        base_url, model, clients, requests, seed=clients * 100, max_tokens=max_tokens
    )
    latencies = sorted(s.latency for s in samples)
    ttfts = sorted(s.ttft for s in samples)
    tokens = sum(s.tokens for s in samples)
    return (
        len(samples) / wall,
        tokens / wall,
        percentile(latencies, 50),
        percentile(latencies, 95),
        percentile(ttfts, 50),
        percentile(ttfts, 95),
    )


def measure_overhead(
    base_url: str, model: str, model_arg: str, threads: int, repeats: int
) -> dict[str, float]:
    import torch

    from promptcraft.backends import load_backend
    from promptcraft.cli.model_option import local_spec

    torch.set_num_threads(threads)
    backend = load_backend(local_spec(model_arg), threads=threads)
    params = {"max_tokens": 1, "temperature": 0, "ignore_eos": True}
    direct: list[float] = []
    direct_for_stream: list[float] = []
    served: list[float] = []
    streamed: list[float] = []
    # Both sides see the same prompts in the same order, so their prefix caches hold the
    # same thing before each call: prompt a_i, then b_i, for each i.
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for i in range(repeats):
            a, b = prompt(5000 + 2 * i), prompt(5001 + 2 * i)
            direct.append(_timed(partial(backend.generate, a, **params)))
            direct_for_stream.append(_timed(partial(backend.generate, b, **params)))
            served.append(_timed(partial(_post, client, {"model": model, "prompt": a, **params})))
            body = {"model": model, "prompt": b, "stream": True, **params}
            streamed.append(_timed(partial(_post, client, body)))
    d, s, st = (statistics.median(x) for x in (direct, served, streamed))
    return {
        "direct": d,
        "served": s,
        "direct_for_stream": statistics.median(direct_for_stream),
        "streamed": st,
        "repeats": repeats,
    }


def _post(client: httpx.Client, body: dict[str, object]) -> None:
    with client.stream("POST", "/v1/completions", json=body) as response:
        response.raise_for_status()
        response.read()


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def render(
    rows: list[tuple], overhead: dict[str, float], args: argparse.Namespace, model: str
) -> str:
    ms = 1000.0
    lines = [
        f"# promptcraft serve: model {model}, {args.max_tokens} tokens per request, loopback",
        "",
        f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {args.threads} torch thread(s) in the server; "
        "the client runs on the same machine (a shared one: expect noise). Greedy, "
        "`ignore_eos`, streaming with `include_usage`. One request generates at a time.",
        "",
        "| clients | requests | req/s | tokens/s | p50 latency | p95 latency | p50 TTFT "
        "| p95 TTFT |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for clients, requests, rps, tps, p50, p95, t50, t95 in rows:
        lines.append(
            f"| {clients} | {requests} | {rps:.2f} | {tps:.0f} | {p50 * ms:.0f} ms | "
            f"{p95 * ms:.0f} ms | {t50 * ms:.0f} ms | {t95 * ms:.0f} ms |"
        )
    d, s = overhead["direct"], overhead["served"]
    ds, st = overhead["direct_for_stream"], overhead["streamed"]
    lines += [
        "",
        f"HTTP overhead per request (one-token requests, one at a time, median of "
        f"{overhead['repeats']:.0f}):",
        "",
        "| path | latency | overhead vs direct |",
        "| --- | ---: | ---: |",
        f"| LocalBackend.generate in-process, prompts a | {d * ms:.2f} ms | |",
        f"| POST /v1/completions, prompts a | {s * ms:.2f} ms | {(s - d) * ms:+.2f} ms |",
        f"| LocalBackend.generate in-process, prompts b | {ds * ms:.2f} ms | |",
        f"| POST /v1/completions, stream, prompts b | {st * ms:.2f} ms | "
        f"{(st - ds) * ms:+.2f} ms |",
        "",
        "Command: `python benchmarks/serve.py"
        + (f" --model {args.model}" if args.model != "pc-tiny" else "")
        + (f" --threads {args.threads}" if args.threads != 1 else "")
        + (f" --max-tokens {args.max_tokens}" if args.max_tokens != 32 else "")
        + (" --quick" if args.quick else "")
        + "`",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
