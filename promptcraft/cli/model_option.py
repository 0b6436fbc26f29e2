"""``--model NAME|PATH``: the local model a command loads, as every command spells it."""

from __future__ import annotations

import argparse

from ..model_catalog import DEFAULT_MODEL, is_model_name, model_names

__all__ = ["MODEL_HELP", "add_model_option", "local_spec"]

MODEL_HELP = (
    f"a local model: {' or '.join(model_names())} by name (default: {DEFAULT_MODEL}, "
    "SmolLM2-135M-Instruct), a checkpoint folder or a .gguf file"
)


def add_model_option(parser: argparse.ArgumentParser, *, help: str = MODEL_HELP) -> None:
    parser.add_argument("--model", default=None, metavar="NAME|PATH", help=help)


def local_spec(model: str | None) -> str | None:
    """The ``load_backend`` spec of a ``--model`` value (None: the default model)."""
    if model is None or is_model_name(model):
        return model
    return f"local:{model}"
