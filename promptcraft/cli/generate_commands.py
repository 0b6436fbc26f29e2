"""``promptcraft generate`` and ``promptcraft run``: text from a backend, from the shell."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ..errors import BackendError, PromptcraftError
from .model_option import add_local_options, local_model_options
from .option_types import TEMPERATURE_MAX, positive_int, temperature, top_p
from .prompt_commands import add_input_options, add_templates_option, load_template, parse_vars

__all__ = [
    "add_backend_options",
    "backend_options",
    "check_backend_spec",
    "load_cli_backend",
    "register",
]

_GENERATE_EPILOG = """\
examples:
  promptcraft generate $'Question: 2 + 3\\nAnswer:' --max-tokens 8 --stop '\\n'
  cat prompt.txt | promptcraft generate - --temperature 0.7 --seed 1 --usage
  promptcraft generate "Hello" --backend http://localhost:8000/v1 --model-name llama3 \\
      --api-key-env MY_SERVER_KEY"""

_RUN_EPILOG = """\
examples:
  promptcraft run sentiment --var text="Great phone"
  promptcraft run ./qa.prompt --vars-file inputs.json --max-tokens 64
  promptcraft run summarize --var text="$(cat notes.txt)" --backend openai:gpt-4o-mini"""

_BACKEND_HELP = (
    "local (the default local model, SmolLM2-135M-Instruct), smollm2 or pc-tiny (a local model "
    "by name), local:PATH (a checkpoint folder or .gguf file), openai:MODEL or "
    "http(s)://HOST/v1 (with --model-name)"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    generate = sub.add_parser(
        "generate",
        help="complete a text prompt with a backend",
        description=(
            "Complete a text prompt (an argument, or stdin with '-') with the local model or\n"
            "any backend, streaming the text as it is generated."
        ),
        epilog=_GENERATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    generate.add_argument("prompt", help="the prompt text; '-' reads stdin")
    add_backend_options(generate)
    _add_generation_options(generate)
    generate.set_defaults(handler=_generate)

    run = sub.add_parser(
        "run",
        help="render a template and generate with its defaults",
        description=(
            "Render a .prompt file or library template with --var inputs, then generate with\n"
            "the template's own defaults (stop, max_tokens, temperature); options given here\n"
            "override them. Chat templates go through the backend's chat(). A template that\n"
            "declares an output (choices, JSON schema) prints the parsed value as JSON."
        ),
        epilog=_RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("template", metavar="FILE_OR_NAME", help="a .prompt path or a name")
    add_input_options(run)
    add_templates_option(run)
    add_backend_options(run)
    _add_generation_options(run)
    run.set_defaults(handler=_run)


def add_backend_options(parser: argparse.ArgumentParser, *, repeatable: bool = False) -> None:
    """--backend (``repeatable``: given several times, a list), --model-name, --api-key-env,
    and for one backend --truncate."""
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
    if not repeatable:
        parser.add_argument(
            "--truncate",
            choices=["left"],
            help="local models: drop a too-long prompt's oldest tokens instead of failing",
        )
    parser.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="read the server's API key from this environment variable (never from argv)",
    )
    add_local_options(parser)


def _add_generation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-tokens", type=positive_int, metavar="N", help="most tokens to generate"
    )
    parser.add_argument(
        "--temperature",
        type=temperature,
        metavar="T",
        help=f"sampling temperature from 0 (greedy) to {TEMPERATURE_MAX:g}",
    )
    parser.add_argument(
        "--top-p", type=top_p, metavar="P", help="sample from the smallest set of this mass (0-1]"
    )
    parser.add_argument(
        "--seed", type=int, metavar="N", help="same seed and prompt, same output (local model)"
    )
    parser.add_argument(
        "--stop",
        action="append",
        metavar="TEXT",
        help="stop at this text (repeatable; \\n is a newline)",
    )
    parser.add_argument("--usage", action="store_true", help="print token usage on stderr")


def load_cli_backend(args: argparse.Namespace) -> Any:
    """The backend that --backend, --model-name, --api-key-env and --truncate name."""
    from ..backends import load_backend
    from ..backends.spec import parse_backend_spec

    options = backend_options(args)
    check_backend_spec(args.backend, options)
    if args.truncate is not None:
        if parse_backend_spec(args.backend).kind != "local":
            raise BackendError(
                f"--truncate applies to a local model only; the server behind --backend "
                f"{args.backend} decides itself what a too-long prompt gets"
            )
        options["truncate"] = args.truncate
    options.update(local_options(args))
    return load_backend(args.backend, **options)


def local_options(args: argparse.Namespace) -> dict[str, Any]:
    """The load_backend keywords of the local models that --threads and --dtype give; an
    error when every backend is a server (its own machine decides)."""
    from ..backends.spec import parse_backend_spec

    options = local_model_options(args)
    if not options:
        return {}
    specs = (args.backend if isinstance(args.backend, list) else [args.backend]) or [None]
    if all(parse_backend_spec(spec).kind != "local" for spec in specs):
        flag = "--" + next(iter(options))
        raise BackendError(
            f"{flag} applies to a local model only; the server behind --backend {specs[0]} "
            "decides its own"
        )
    return options


_OPTION_NAMES = {"model": "--model-name", "api_key": "--api-key-env"}


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    """The load_backend keywords that --model-name and --api-key-env give."""
    options: dict[str, Any] = {}
    if args.model_name:
        options["model"] = args.model_name
    if args.api_key_env:
        key = os.environ.get(args.api_key_env)
        if not key:
            raise PromptcraftError(
                f"--api-key-env {args.api_key_env}: that environment variable is not set"
            )
        options["api_key"] = key
    return options


def check_backend_spec(spec: str | None, options: dict[str, Any]) -> None:
    """The spec's own errors, then what the CLI's options lack or give twice, in the CLI's
    words (--model-name, not ``model=``)."""
    from ..backends.spec import parse_backend_spec

    parsed = parse_backend_spec(spec)
    if parsed.kind == "local":
        if options:
            given = " and ".join(_OPTION_NAMES[key] for key in options)
            verb = "applies" if len(options) == 1 else "apply"
            raise BackendError(
                f"{given} only {verb} to a server backend (http(s)://HOST/v1 or openai:MODEL); "
                f"the local backend loads its model from --backend {spec or 'local'}"
            )
        return
    if parsed.model is None and not options.get("model"):
        raise BackendError(
            f"--backend {spec} names a server but no model: add --model-name NAME "
            "(the server's GET /v1/models lists them)"
        )
    if parsed.model is not None and options.get("model") not in (None, parsed.model):
        raise BackendError(
            f"--backend {spec} already names the model {parsed.model!r}; drop --model-name"
        )


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
    if not prompt.strip():
        source = "stdin was empty" if args.prompt == "-" else "the prompt argument is empty"
        raise PromptcraftError(f"nothing to complete: {source}")
    backend = load_cli_backend(args)
    _print_stream(backend.stream(prompt, **_params(args)), args.usage)
    return 0


def _run(args: argparse.Namespace) -> int:
    template = load_template(args.template, args.templates)
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
