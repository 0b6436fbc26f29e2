"""The table of subcommands. Each module registers its own parser and handler."""

from __future__ import annotations

import argparse
from typing import Any

from . import demo, prompt_commands, serve_command

__all__ = ["register_all"]

_MODULES: tuple[Any, ...] = (prompt_commands, demo, serve_command)


def register_all(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for module in _MODULES:
        module.register(sub)
