"""The ``promptcraft`` command line.

Every command calls the same public API a user would. A user's mistake prints one clear
line on stderr and exits 2, never a traceback; an unexpected failure still shows one.
:func:`main` is the one place that turns errors into those lines.
"""

from __future__ import annotations

import argparse
import functools
import sys
import warnings
from collections.abc import Sequence

from ..errors import ContextLengthError, PromptcraftError
from .commands import register_all

__all__ = ["main"]

_EPILOG = """\
examples:
  promptcraft templates                                  list the bundled templates
  promptcraft render sentiment --var text="Great phone"  see the prompt a template makes
  promptcraft run sentiment --var text="Great phone"     render it, then generate
  promptcraft generate $'Question: 2 + 3\\nAnswer:'       complete a text prompt
  promptcraft demo                                       every prompt kind, offline
  promptcraft models                                     the local models, installed or not

Everything runs offline with the default local model, SmolLM2-135M-Instruct (--backend
pc-tiny for our small bundled model); --backend points a command at an OpenAI-compatible
server instead. Run 'promptcraft COMMAND --help' for the options and
examples of one command."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promptcraft",
        description=(
            "Prompt engineering and simple agents: render and lint .prompt templates,\n"
            "generate with a local model or any OpenAI-compatible server."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        with warnings.catch_warnings():
            warnings.showwarning = functools.partial(_show_warning, args.command)
            code = args.handler(args)
    except PromptcraftError as exc:
        print(f"promptcraft {args.command}: error: {_in_cli_words(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"promptcraft {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `promptcraft templates | head`
        return 0
    except OSError as exc:  # a file the user named cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"promptcraft {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    return int(code or 0)


def _show_warning(command: str, message: Warning | str, *args: object, **kwargs: object) -> None:
    """A warning as one line of the command's own, not Python's file:line form."""
    print(f"promptcraft {command}: warning: {message}", file=sys.stderr)


def _in_cli_words(exc: PromptcraftError) -> str:
    """The error's message, with the library's advice given as the CLI's own option."""
    message = str(exc)
    if isinstance(exc, ContextLengthError):
        message = message.replace(ContextLengthError.TRUNCATE_HINT, "add --truncate left")
    return message


def _version() -> str:
    from .. import __version__

    return f"promptcraft {__version__}"
