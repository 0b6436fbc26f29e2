"""Throughput and latency of ``promptcraft serve`` over loopback, side by side with
llama-cpp-python's OpenAI-compatible server on the same GGUF file; and what HTTP adds.

Starts each server as a subprocess (SmolLM2-135M-Instruct unless ``--model NAME|PATH``;
llama.cpp only for a GGUF model), then, at 1, 4, 8, 16 and 32 concurrent streaming
clients, sends chat requests of mixed prompt length (a question, a paragraph, a page; about
30, 120 and 400 tokens) that each ask for exactly ``--max-tokens`` new tokens (64; greedy,
``min_tokens`` = ``max_tokens``, which both servers take) and reports requests/s,
completion tokens/s, p50/p95 latency (request sent → ``[DONE]``) and p50/p95 time to first
token (→ first text event). Then, for promptcraft alone, the HTTP overhead per request: the
median latency of a one-token request through the server minus that of the same request on
the same batch engine in this process (same model, same threads, also on the main thread),
alternating the two.

llama-cpp-python is a benchmark-only peer, never a dependency: it compiles from source, so
install it once with its ``server`` extra in a venv outside the repository and name that
venv's python with ``--llama-python`` (default /work/peers/llama-venv/bin/python); without
it, its rows say so. Its server runs one request at a time (it has no ``--parallel`` slots,
unlike llama.cpp's C++ server; ``--interrupt_requests False`` makes it queue a request
instead of cutting off the one streaming). promptcraft's batches them continuously
(``--max-batch``, promptcraft/nn/continuous_batching.py).

    python benchmarks/serve.py                              # SmolLM2, 2 threads
    python benchmarks/serve.py --dtype int4                 # the README's table
    python benchmarks/serve.py --dtype int4 --max-batch 8 --prefill-chunk 128
    python benchmarks/serve.py --model pc-tiny --threads 1 --quick

Writes the table to benchmarks/results/serve.md as well (``--out`` to change).
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
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "serve.md"
DEFAULT_LLAMA_PYTHON = Path("/work/peers/llama-venv/bin/python")
CLIENTS = (1, 4, 8, 16, 32)
WORDS = [
    "apples", "rivers", "engines", "violins", "glaciers", "spiders", "lanterns", "tunnels",
    "parrots", "meteors", "bridges", "harbors", "pianos", "deserts", "kites", "volcanoes",
    "wolves", "castles", "orchids", "comets", "ferries", "canyons", "owls",
]  # fmt: skip
PARAGRAPH = (
    "The town council met on Tuesday to discuss the new bicycle lanes along the river. "
    "Shop owners worried about parking, while parents asked for safer routes to school. "
    "After two hours the council agreed to a six-month trial on the northern bank. "
)


@dataclass
class Sample:
    latency: float
    ttft: float
    tokens: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2", help="a local model's name or path")
    parser.add_argument("--dtype", default=None, help="promptcraft's --dtype (float32)")
    parser.add_argument("--max-batch", type=int, help="promptcraft's --max-batch (its default)")
    parser.add_argument(
        "--prefill-chunk", type=int, help="promptcraft's --prefill-chunk (its default)"
    )
    parser.add_argument(
        "--skip-llama", action="store_true", help="promptcraft's rows only (for sweeps)"
    )
    parser.add_argument("--threads", type=int, default=2, help="threads, every server (2)")
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens per request (64)")
    parser.add_argument("--clients", type=int, nargs="+", default=list(CLIENTS))
    parser.add_argument("--quick", action="store_true", help="fewer requests per row")
    parser.add_argument("--llama-python", type=Path, default=DEFAULT_LLAMA_PYTHON)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from promptcraft.nn.catalog import resolve_local_model

    model_file, _ = resolve_local_model(args.model)
    rows: dict[str, list[tuple]] = {}
    process, base_url, model = start_server(args)
    try:
        rows["promptcraft"] = load_rows(base_url, model, args)
        overhead = measure_overhead(base_url, model, args, 15 if args.quick else 40)
    finally:
        stop(process)
    skipped = "skipped (--skip-llama)" if args.skip_llama else None
    skipped = skipped or llama_missing(args.llama_python, model_file)
    if skipped is None:
        process, base_url, model = start_llama_server(args.llama_python, model_file, args)
        try:
            rows["llama.cpp"] = load_rows(base_url, model, args)
        finally:
            stop(process)
    report = render(rows, overhead, args, model_file, skipped)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)


def load_rows(base_url: str, model: str, args: argparse.Namespace) -> list[tuple]:
    rows = []
    asyncio.run(run_load(base_url, model, 2, 4, seed=1000, max_tokens=8))  # warm up
    for clients in args.clients:
        requests = max(4, clients * 2) if args.quick else max(8, clients * 3)
        print(f"{base_url}: {clients} client(s), {requests} requests ...", flush=True)
        result = asyncio.run(measure(base_url, model, clients, requests, args.max_tokens))
        rows.append((clients, requests, *result))
    return rows


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str, str]:
    command = [sys.executable, "-m", "promptcraft", "serve", "--model", args.model,
               "--port", "0", "--threads", str(args.threads), "--log-level", "warning",
               "--max-queue", "64"]  # fmt: skip
    if args.max_batch:
        command += ["--max-batch", str(args.max_batch)]
    if args.prefill_chunk:
        command += ["--prefill-chunk", str(args.prefill_chunk)]
    if args.dtype:
        command += ["--dtype", args.dtype]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"promptcraft serve: (\S+) at (http://\S+)/v1", line)
    if not found:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return process, wait_healthy(process, found.group(2), "/health"), found.group(1)


def llama_missing(python: Path, model_file: Path) -> str | None:
    """Why the llama.cpp rows are skipped, or None."""
    if model_file.suffix != ".gguf":
        return f"llama.cpp rows skipped: {model_file} is not a GGUF file"
    if not python.exists():
        return f"llama.cpp rows skipped: {python} not found (llama-cpp-python[server] in a venv)"
    probe = subprocess.run([str(python), "-c", "import llama_cpp.server.app"], capture_output=True)
    if probe.returncode != 0:
        return f"llama.cpp rows skipped: {python} lacks llama-cpp-python's server extra"
    return None


def start_llama_server(
    python: Path, model_file: Path, args: argparse.Namespace
) -> tuple[subprocess.Popen[str], str, str]:
    port = free_port()
    command = [str(python), "-m", "llama_cpp.server", "--model", str(model_file),
               "--host", "127.0.0.1", "--port", str(port), "--n_threads", str(args.threads),
               "--n_threads_batch", str(args.threads), "--n_ctx", "2048",
               # by default a new request cuts off the one streaming: queue them instead
               "--interrupt_requests", "False"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )
    base_url = wait_healthy(process, f"http://127.0.0.1:{port}", "/v1/models")
    return process, base_url, model_file.name


def wait_healthy(process: subprocess.Popen[str], base_url: str, path: str) -> str:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base_url}{path}").status_code == 200:
                return base_url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the server at {base_url} did not answer {path}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


def prompt(i: int) -> str:
    """Request ``i``'s message: a question, a paragraph or a page, in turn."""
    a, b = WORDS[i % len(WORDS)], WORDS[(i // len(WORDS) + 7 * i) % len(WORDS)]
    question = f"Request {i}: write about {a} and {b}."
    return [question, PARAGRAPH + question, PARAGRAPH * 5 + question][i % 3]


async def one_request(client: httpx.AsyncClient, model: str, i: int, max_tokens: int) -> Sample:
    body = {
        "model": model,
        "messages": [{"role": "user", "content": prompt(i)}],
        "max_tokens": max_tokens,
        "min_tokens": max_tokens,
        "temperature": 0,
        "stream": True,
    }
    start = time.perf_counter()
    ttft = None
    chunks, finish = 0, None
    async with client.stream("POST", "/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if not line.startswith("data: {"):
                continue
            choices = json.loads(line[6:])["choices"]
            if not choices:
                continue
            finish = choices[0].get("finish_reason") or finish
            if choices[0].get("delta", {}).get("content"):
                chunks += 1
                if ttft is None:
                    ttft = time.perf_counter() - start
    latency = time.perf_counter() - start
    # min_tokens = max_tokens: a request that ends on its length made exactly max_tokens
    # (llama-cpp-python streams no usage to count them by)
    tokens = max_tokens if finish == "length" else chunks
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
    base_url: str, model: str, args: argparse.Namespace, repeats: int
) -> dict[str, float]:
    from promptcraft.backends import load_backend
    from promptcraft.cli.model_option import local_spec

    options = {"dtype": args.dtype} if args.dtype else {}
    backend = load_backend(local_spec(args.model), threads=args.threads, **options)
    # In-process, the same batch engine the server runs, on this (the main) thread as there.
    engine = backend.batch_engine(max_batch=args.max_batch or 16, own_thread=False)
    params = {"max_tokens": 1, "temperature": 0, "ignore_eos": True}
    direct: list[float] = []
    direct_for_stream: list[float] = []
    served: list[float] = []
    streamed: list[float] = []
    # Both sides see the same prompts in the same order, so their prefix caches hold the
    # same thing before each call: prompt a_i, then b_i, for each i.
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for i in range(repeats):
            a, b = prompt(5000 + 6 * i), prompt(5003 + 6 * i)  # questions
            direct.append(_timed(partial(_engine_call, backend, engine, a, params)))
            direct_for_stream.append(_timed(partial(_engine_call, backend, engine, b, params)))
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


def _engine_call(backend: Any, engine: Any, text: str, params: dict[str, Any]) -> None:
    from promptcraft.backends.requests import build_request

    request = build_request(text, None, params, backend.capabilities)
    ids, fitted, constraint = backend.prepare_generation(request)
    done = threading.Event()

    def deliver(item: Any) -> None:
        if isinstance(item, BaseException) or item.finish_reason is not None:
            done.set()

    engine.submit(ids, fitted, deliver, constraint=constraint)
    engine.work_here(running=lambda: not done.is_set())


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
    rows: dict[str, list[tuple]],
    overhead: dict[str, float],
    args: argparse.Namespace,
    model_file: Path,
    skipped: str | None,
) -> str:
    ms = 1000.0
    ours = f"promptcraft serve --dtype {args.dtype or 'float32'} --threads {args.threads}"
    if args.max_batch:
        ours += f" --max-batch {args.max_batch}"
    if args.prefill_chunk:
        ours += f" --prefill-chunk {args.prefill_chunk}"
    lines = [
        f"# promptcraft serve against llama-cpp-python's server: {model_file.name}, "
        f"{args.max_tokens} tokens per request, loopback",
        "",
        f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} CPUs (shared: "
        f"expect noise), Python {platform.python_version()}, {args.threads} thread(s) in "
        f"each server, the clients on the same machine. Chat requests of mixed prompt "
        f"length (about 30, 120 and 400 tokens), greedy, exactly {args.max_tokens} new "
        "tokens each (`min_tokens`), streamed. promptcraft batches requests continuously "
        "(its default `--max-batch 16` unless the row says otherwise); llama-cpp-python's "
        "server has no parallel slots and generates one request at a time.",
        "",
        "| server | clients | requests | req/s | tokens/s | p50 latency | p95 latency "
        "| p50 TTFT | p95 TTFT |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {"promptcraft": ours, "llama.cpp": "llama-cpp-python server (Q4_1 file as is)"}
    for engine, engine_rows in rows.items():
        for clients, requests, rps, tps, p50, p95, t50, t95 in engine_rows:
            lines.append(
                f"| {names[engine]} | {clients} | {requests} | {rps:.2f} | {tps:.0f} | "
                f"{p50 * ms:.0f} ms | {p95 * ms:.0f} ms | {t50 * ms:.0f} ms | {t95 * ms:.0f} ms |"
            )
    if skipped:
        lines += ["", skipped]
    lines += goals(rows)
    d, s = overhead["direct"], overhead["served"]
    ds, st = overhead["direct_for_stream"], overhead["streamed"]
    lines += [
        "",
        f"HTTP overhead per request (promptcraft; one-token requests, one at a time, median "
        f"of {overhead['repeats']:.0f}):",
        "",
        "| path | latency | overhead vs direct |",
        "| --- | ---: | ---: |",
        f"| the batch engine in-process, prompts a | {d * ms:.2f} ms | |",
        f"| POST /v1/completions, prompts a | {s * ms:.2f} ms | {(s - d) * ms:+.2f} ms |",
        f"| the batch engine in-process, prompts b | {ds * ms:.2f} ms | |",
        f"| POST /v1/completions, stream, prompts b | {st * ms:.2f} ms | "
        f"{(st - ds) * ms:+.2f} ms |",
        "",
        "Command: `python benchmarks/" + " ".join(["serve.py", *sys.argv[1:]]) + "`",
        "",
    ]
    return "\n".join(lines)


def goals(rows: dict[str, list[tuple]]) -> list[str]:
    """Issue 21's goals, as measured (rows: clients, requests, req/s, tokens/s, p50, p95,
    p50 TTFT, p95 TTFT)."""
    ours = {row[0]: row for row in rows.get("promptcraft", [])}
    peer = {row[0]: row for row in rows.get("llama.cpp", [])}
    lines = ["", "Goals:", ""]
    if 1 in ours and 16 in ours:
        scale = ours[16][3] / ours[1][3]
        ttft = ours[16][6] / ours[1][6]
        lines.append(f"- 16 clients against 1, tokens/s (goal >= 5x): {scale:.2f}x")
        lines.append(f"- p50 time to first token, 16 clients against 1 (goal <= 3x): {ttft:.2f}x")
    for clients, row in ours.items():
        if clients in peer:
            other = peer[clients]
            lines.append(
                f"- {clients} client(s) against llama.cpp: tokens/s {row[3]:.0f} against "
                f"{other[3]:.0f} ({row[3] / other[3]:.2f}x, goal >= 1x); p95 latency "
                f"{row[5] * 1000:.0f} against {other[5] * 1000:.0f} ms (goal <=)"
            )
    return lines


if __name__ == "__main__":
    main()
