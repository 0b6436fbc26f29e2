"""The table of subcommands. Each module registers its own parser and handler."""

from __future__ import annotations

import argparse
from typing import Any

from . import (
    agent_command,
    demo,
    eval_command,
    generate_commands,
    models_command,
    prompt_commands,
    serve_command,
    tune_command,
)

__all__ = ["register_all"]

_MODULES: tuple[Any, ...] = (
    prompt_commands,
    generate_commands,
    agent_command,
    eval_command,
    tune_command,
    serve_command,
    models_command,
    demo,
)


def register_all(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for module in _MODULES:
        module.register(sub)
