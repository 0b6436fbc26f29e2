"""``--model NAME|PATH``: the local model a command loads, and ``--threads N``: the CPU
threads it computes with, as every command spells them."""

from __future__ import annotations

import argparse
from typing import Any

from ..model_catalog import DEFAULT_MODEL, is_model_name, model_names
from ..threads import DEFAULT_THREADS
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


#: The precisions ``--dtype`` offers (``load_model``'s).
DTYPE_CHOICES = ("float32", "bfloat16", "float16", "auto", "int8")


def add_local_options(parser: argparse.ArgumentParser) -> None:
    """--threads and --dtype: how a local model computes."""
    parser.add_argument(
        "--threads",
        type=positive_int,
        metavar="N",
        help=f"local models: CPU threads ({DEFAULT_THREADS}; more is faster only on idle cores)",
    )
    parser.add_argument(
        "--dtype",
        choices=DTYPE_CHOICES,
        help="local models: weight precision (float32; int8 decodes faster, bfloat16 activations)",
    )


def local_model_options(args: argparse.Namespace) -> dict[str, Any]:
    """The load_backend keywords that --threads and --dtype give (those set)."""
    return {
        name: getattr(args, name)
        for name in ("threads", "dtype")
        if getattr(args, name, None) is not None
    }


def local_spec(model: str | None) -> str | None:
    """The ``load_backend`` spec of a ``--model`` value (None: the default model)."""
    if model is None or is_model_name(model):
        return model
    return f"local:{model}"
