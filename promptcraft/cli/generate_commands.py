"""``promptcraft generate`` and ``promptcraft run``: text from a backend, from the shell."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .prompt_commands import add_input_options, load_template, parse_vars

__all__ = ["add_backend_options", "backend_options", "load_cli_backend", "register"]

_BACKEND_HELP = (
    "local (the bundled model, default), local:PATH, openai:MODEL or http(s)://HOST/v1 "
    "(with --model-name)"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    generate = sub.add_parser(
        "generate",
        help="complete a text prompt with a backend",
        description=(
            "Complete a text prompt (an argument, or stdin with '-') with the bundled model or "
            "any backend, streaming the text as it is generated."
        ),
    )
    generate.add_argument("prompt", help="the prompt text; '-' reads stdin")
    add_backend_options(generate)
    _add_generation_options(generate)
    generate.set_defaults(handler=_generate)

    run = sub.add_parser(
        "run",
        help="render a template and generate with its defaults",
        description=(
            "Render a .prompt file or library template with --var inputs, then generate with "
            "the template's own defaults (stop, max_tokens, temperature); options given here "
            "override them. Chat templates go through the backend's chat()."
        ),
    )
    run.add_argument("template", metavar="FILE_OR_NAME", help="a .prompt path or a name")
    add_input_options(run)
    add_backend_options(run)
    _add_generation_options(run)
    run.set_defaults(handler=_run)


def add_backend_options(parser: argparse.ArgumentParser, *, repeatable: bool = False) -> None:
    """--backend (``repeatable``: given several times, a list), --model-name, --api-key-env."""
    if repeatable:
        parser.add_argument(
            "--backend",
            action="append",
            metavar="SPEC",
            help=_BACKEND_HELP + "; repeat it to compare backends",
        )
    else:
        parser.add_argument("--backend", default=None, metavar="SPEC", help=_BACKEND_HELP)
    parser.add_argument("--model-name", metavar="NAME", help="the model to ask a server for")
    parser.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="read the server's API key from this environment variable (never from argv)",
    )


def _add_generation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-tokens", type=int, help="most tokens to generate")
    parser.add_argument("--temperature", type=float, help="0 is greedy")
    parser.add_argument("--top-p", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--stop", action="append", help="stop at this text (repeatable; \\n is a newline)"
    )
    parser.add_argument("--usage", action="store_true", help="print token usage on stderr")


def load_cli_backend(args: argparse.Namespace) -> Any:
    """The backend that --backend, --model-name and --api-key-env name."""
    from ..backends import load_backend

    return load_backend(args.backend, **backend_options(args))


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    """The load_backend keywords that --model-name and --api-key-env give."""
    options: dict[str, Any] = {}
    if args.model_name:
        options["model"] = args.model_name
    if args.api_key_env:
        options["api_key"] = os.environ.get(args.api_key_env)
    return options


def _params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "top_p": args.top_p,
        "seed": args.seed,
        "stop": [s.replace("\\n", "\n") for s in args.stop] if args.stop else None,
    }
    return {key: value for key, value in params.items() if value is not None}


def _generate(args: argparse.Namespace) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    backend = load_cli_backend(args)
    _print_stream(backend.stream(prompt, **_params(args)), args.usage)
    return 0


def _run(args: argparse.Namespace) -> int:
    template = load_template(args.template)
    inputs = parse_vars(template, args.var, args.vars_file)
    backend = load_cli_backend(args)
    if template.output.type != "text":
        # A declared output (choices, regex, JSON schema) is generated whole, constrained on
        # local models and validated everywhere, then printed as JSON.
        value = template.run(backend, params=_params(args), **inputs)
        print(json.dumps(value.model_dump() if hasattr(value, "model_dump") else value))
        return 0
    params = {**template.defaults, **_params(args)}
    if template.kind == "chat":
        chunks = backend.stream(template.render_messages(**inputs), **params)
    else:
        chunks = backend.stream(template.render(**inputs), **params)
    _print_stream(chunks, args.usage)
    return 0


def _print_stream(chunks: Any, show_usage: bool) -> None:
    last = None
    for chunk in chunks:
        sys.stdout.write(chunk.text)
        sys.stdout.flush()
        last = chunk
    sys.stdout.write("\n")
    if show_usage and last is not None and last.usage is not None:
        usage = last.usage
        print(
            f"finish_reason={last.finish_reason} prompt_tokens={usage.prompt_tokens} "
            f"completion_tokens={usage.completion_tokens}",
            file=sys.stderr,
        )
