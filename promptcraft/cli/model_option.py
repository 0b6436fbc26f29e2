"""``--model NAME|PATH``: the local model a command loads, and how it computes
(``--threads N``, ``--dtype``, ``--compile``, ``--device``), as every command spells them."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..nn.catalog import DEFAULT_MODEL, is_model_name, model_names
from ..nn.precision import parse_quantization
from ..utils.threads import DEFAULT_THREADS
from .option_types import positive_int

__all__ = [
    "DTYPE_CHOICES",
    "MODEL_HELP",
    "add_local_options",
    "add_model_option",
    "local_model_options",
    "local_spec",
]

MODEL_HELP = (
    f"a local model: {' or '.join(model_names())} by name (default: {DEFAULT_MODEL}, "
    "SmolLM2-135M-Instruct), a checkpoint folder or a .gguf file"
)


def add_model_option(parser: argparse.ArgumentParser, *, help: str = MODEL_HELP) -> None:
    parser.add_argument("--model", default=None, metavar="NAME|PATH", help=help)


#: The precisions ``--dtype`` offers (``load_model``'s; int4 also as int4-g64 and so on).
DTYPE_CHOICES = ("float32", "bfloat16", "float16", "auto", "int8", "int4")


def _dtype(value: str) -> str:
    if value in DTYPE_CHOICES:
        return value
    try:
        if parse_quantization(value) is not None:
            return value
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    raise argparse.ArgumentTypeError(
        f"unknown dtype {value!r}; choose from {', '.join(DTYPE_CHOICES)} (or int4-g64, ...)"
    )


def add_local_options(parser: argparse.ArgumentParser) -> None:
    """--threads, --dtype, --compile and --device: how a local model computes."""
    parser.add_argument(
        "--threads",
        type=positive_int,
        metavar="N",
        help=f"local models: CPU threads ({DEFAULT_THREADS}; more is faster only on idle cores)",
    )
    parser.add_argument(
        "--dtype",
        type=_dtype,
        metavar="|".join(DTYPE_CHOICES),
        help="local models: weight precision (float32; int8 and int4 decode faster and "
        "answer a little differently; int4-g64 etc. set int4's group size)",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        default=None,
        help="local models: decode through torch.compile (about 1.6x faster per token; the "
        "first run compiles for about a minute, later runs reuse it)",
    )
    parser.add_argument(
        "--device",
        metavar="cpu|cuda",
        help="local models: where the model computes (cpu; cuda or cuda:N where torch has it; "
        "int8 and int4 compute on the CPU only)",
    )


def local_model_options(args: argparse.Namespace) -> dict[str, Any]:
    """The load_backend keywords that --threads, --dtype, --compile and --device give (those
    set); with --compile, says on stderr that loading will take a while."""
    options = {
        name: getattr(args, name)
        for name in ("threads", "dtype", "compile", "device")
        if getattr(args, name, None) is not None
    }
    if options.get("compile") and _runs_a_local_model(args):
        print(
            "compiling the decoding step (torch.compile: about a minute the first time, "
            "faster once cached) ...",
            file=sys.stderr,
            flush=True,
        )
    return options


def _runs_a_local_model(args: argparse.Namespace) -> bool:
    from ..backends.spec import parse_backend_spec

    backend = getattr(args, "backend", None)  # commands without --backend run --model
    specs = (backend if isinstance(backend, list) else [backend]) or [None]
    return any(parse_backend_spec(spec).kind == "local" for spec in specs)


def local_spec(model: str | None) -> str | None:
    """The ``load_backend`` spec of a ``--model`` value (None: the default model)."""
    if model is None or is_model_name(model):
        return model
    return f"local:{model}"
