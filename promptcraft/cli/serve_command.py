"""``promptcraft serve``: the local model behind an OpenAI-compatible HTTP API."""

from __future__ import annotations

import argparse
import os
import sys

from ..server.settings import DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_QUEUE
from .model_option import add_local_options, add_model_option, local_model_options, local_spec
from .option_types import non_negative_int, port, positive_int

__all__ = ["register"]

API_KEY_ENV = "PROMPTCRAFT_API_KEY"

_EPILOG = f"""\
examples:
  promptcraft serve                                   the default model on 127.0.0.1:8000
  promptcraft serve --model ./my-llama --port 9000    a checkpoint directory
  {API_KEY_ENV}=secret promptcraft serve --host 0.0.0.0 --adapter adapters/task.safetensors
  promptcraft generate "Hello" --backend http://127.0.0.1:8000/v1 --model-name pc-tiny"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve a local model over an OpenAI-compatible HTTP API",
        description=(
            "Serve a local model (SmolLM2-135M-Instruct by default) at /v1/completions,\n"
            "/v1/chat/completions and /v1/models, for any OpenAI client. Listens on loopback\n"
            "unless --host says otherwise. Up to --max-batch requests generate together,\n"
            "sharing every decoding step (continuous batching: a request joins between two\n"
            "steps and leaves when it ends), each getting exactly what it would alone; up to\n"
            "--max-queue more wait in arrival order, and more get 429 with Retry-After.\n"
            "GET /metrics shows the batch. Needs the serve extra: pip install -e '.[serve]'."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_model_option(serve)
    serve.add_argument(
        "--adapter",
        metavar="FILE|NAME",
        help="serve with an adapter from 'promptcraft tune' (trained on this model), or a "
        "bundled one by name (smollm2-tool-use)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument(
        "--port", type=port, default=8000, help="port to listen on (8000; 0 picks a free one)"
    )
    serve.add_argument(
        "--api-key",
        metavar="KEY",
        default=os.environ.get(API_KEY_ENV),
        help=(
            "require 'Authorization: Bearer KEY' on every request but /health "
            f"(default: ${API_KEY_ENV}, which keeps the key out of the process list)"
        ),
    )
    serve.add_argument(
        "--max-batch",
        type=positive_int,
        default=DEFAULT_MAX_BATCH,
        metavar="N",
        help=f"requests that generate together ({DEFAULT_MAX_BATCH}, chosen by measurement)",
    )
    serve.add_argument(
        "--prefill-chunk",
        type=positive_int,
        metavar="N",
        help="prompt tokens read per turn of the batch: larger reads long prompts faster, "
        "smaller keeps the other requests streaming (64); the prefix cache reuses whole chunks",
    )
    serve.add_argument(
        "--max-queue",
        type=non_negative_int,
        default=DEFAULT_MAX_QUEUE,
        metavar="N",
        help=f"requests that may wait for a place in the batch; more get 429 ({DEFAULT_MAX_QUEUE})",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=positive_int,
        default=DEFAULT_MAX_BODY_BYTES,
        metavar="N",
        help=f"larger request bodies get 413 ({DEFAULT_MAX_BODY_BYTES})",
    )
    add_local_options(serve)
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="server log verbosity (info)",
    )
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from ..backends import load_backend
    from ..server.run import require_serve_extra, serve
    from ..server.settings import ServerSettings

    require_serve_extra()  # before the model loads: fail in a second, not after it
    if args.compile:  # compiled steps round differently from the batch's eager ones
        print(
            "promptcraft serve: --compile is ignored: batched decoding runs eagerly, so every "
            "request gets exactly the tokens it would get alone",
            file=sys.stderr,
        )
        args.compile = False
    backend = load_backend(
        local_spec(args.model), adapter=args.adapter, **local_model_options(args)
    )
    settings = ServerSettings(
        model_id=backend.model,
        aliases=backend.model_aliases,
        api_key=args.api_key or None,
        max_batch=args.max_batch,
        max_queue=args.max_queue,
        prefill_chunk=args.prefill_chunk,
        max_body_bytes=args.max_body_bytes,
    )

    def announce(url: str) -> None:
        auth = " (API key required)" if settings.api_key is not None else ""
        print(f"promptcraft serve: {backend.model} at {url}{auth}", flush=True)

    try:
        serve(
            backend,
            settings,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            on_ready=announce,
        )
    except KeyboardInterrupt:  # Ctrl-C is how a server is stopped: uvicorn has shut down
        print("promptcraft serve: stopped", file=sys.stderr)
    return 0
