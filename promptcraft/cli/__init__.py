"""The ``promptcraft`` command line.

Every command calls the same public API a user would. A user's mistake prints one clear
line on stderr and exits 2, never a traceback; an unexpected failure still shows one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import PromptcraftError
from .commands import register_all

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promptcraft",
        description=(
            "Prompt engineering and simple agents: render and lint .prompt templates, "
            "generate with the bundled local model or any OpenAI-compatible server."
        ),
        epilog="Run 'promptcraft COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    register_all(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.handler(args)
    except PromptcraftError as exc:
        print(f"promptcraft {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"promptcraft {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `promptcraft templates | head`
        return 0
    return int(code or 0)


def _version() -> str:
    from .. import __version__

    return f"promptcraft {__version__}"
