"""``promptcraft render``, ``lint`` and ``templates``: the template engine from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import InputValidationError, PromptcraftError

__all__ = ["add_input_options", "load_template", "parse_vars", "register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    render = sub.add_parser(
        "render",
        help="render a template to text (or chat messages)",
        description=(
            "Render a .prompt file or a library template by name. Inputs come from --var "
            "and --vars-file; inputs declared as lists, dicts, numbers or booleans take JSON "
            'values (--var labels=\'["yes", "no"]\').'
        ),
    )
    render.add_argument("template", metavar="FILE_OR_NAME", help="a .prompt path or a name")
    add_input_options(render)
    render.add_argument("--messages", action="store_true", help="print chat messages as JSON lines")
    render.add_argument(
        "--count-tokens",
        metavar="ENCODING",
        help="also print the token count on stderr (e.g. cl100k_base)",
    )
    render.add_argument(
        "--templates", metavar="DIR", action="append", default=[], help="extra template folder"
    )
    render.set_defaults(handler=_render)

    lint = sub.add_parser(
        "lint",
        help="check .prompt files for errors",
        description=(
            "Check .prompt files (or folders of them): syntax, variables used but not declared "
            "or declared but unused, examples missing fields, samples that fail, includes "
            "outside the search path. Prints file:line: message; exits 1 on any error."
        ),
    )
    lint.add_argument("paths", nargs="+", metavar="PATH")
    lint.add_argument("--strict", action="store_true", help="warnings count as errors too")
    lint.set_defaults(handler=_lint)

    templates = sub.add_parser(
        "templates",
        help="list the template library",
        description="List the templates on the search path (the bundled library last).",
    )
    templates.add_argument("dirs", nargs="*", metavar="DIR", help="extra template folders")
    templates.set_defaults(handler=_templates)


def add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--var", metavar="KEY=VALUE", action="append", default=[], help="an input (repeatable)"
    )
    parser.add_argument(
        "--vars-file", metavar="FILE", help="a JSON object of inputs; '-' reads stdin"
    )


def load_template(ref: str, extra_dirs: list[str] | None = None) -> Any:
    """A template from a path (``x.prompt``, ``./dir/x.prompt``) or a library name."""
    from ..prompts import PromptLibrary, load_prompt

    path = Path(ref)
    if path.suffix == ".prompt" or path.is_file():
        return load_prompt(path)
    return PromptLibrary(*(extra_dirs or [])).get(ref)


def parse_vars(template: Any, pairs: list[str], vars_file: str | None) -> dict[str, Any]:
    """Inputs from ``--vars-file`` then ``--var`` (which wins). Values of declared non-string
    inputs are parsed as JSON, so ``--var n=3`` and ``--var tags='["a"]'`` work."""
    values: dict[str, Any] = {}
    if vars_file is not None:
        values.update(_read_vars_file(vars_file))
    declared = getattr(template, "inputs", {}) or {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InputValidationError(f"--var expects KEY=VALUE, got {pair!r}", field=pair)
        spec = declared.get(key)
        wants_json = spec is not None and spec.type not in ("str", "string", "any")
        values[key] = _json_value(key, raw) if wants_json else raw
    return values


def _json_value(key: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        # A bare word for a typed input: let validation report the type problem by name.
        return raw


def _read_vars_file(ref: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if ref == "-" else Path(ref).read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptcraftError(f"cannot read --vars-file {ref}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputValidationError(
            f"{ref}:{exc.lineno}: not valid JSON ({exc.msg})", field="--vars-file"
        ) from exc
    if not isinstance(data, dict):
        raise InputValidationError(f"{ref}: expected a JSON object of inputs", field="--vars-file")
    return data


def _render(args: argparse.Namespace) -> int:
    template = load_template(args.template, args.templates)
    inputs = parse_vars(template, args.var, args.vars_file)
    if args.messages or template.kind == "chat":
        for message in template.render_messages(**inputs):
            print(json.dumps(message.model_dump(exclude_none=True), ensure_ascii=False))
    else:
        sys.stdout.write(template.render(**inputs))
        sys.stdout.write("\n")
    if args.count_tokens:
        count = template.count_tokens(args.count_tokens, **inputs)
        print(f"{count} tokens ({args.count_tokens})", file=sys.stderr)
    return 0


def _lint(args: argparse.Namespace) -> int:
    from ..prompts import lint_paths

    for ref in args.paths:
        if not Path(ref).exists():
            raise PromptcraftError(f"no such file or folder: {ref}")
    problems = lint_paths(args.paths)
    for problem in problems:
        print(problem)
    errors = [p for p in problems if p.severity == "error" or args.strict]
    if errors:
        print(f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s)", file=sys.stderr)
        return 1
    return 0


def _templates(args: argparse.Namespace) -> int:
    from ..prompts import PromptLibrary

    library = PromptLibrary(*args.dirs)
    names = library.names()
    width = max((len(n) for n in names), default=0)
    for name in names:
        template = library.get(name)
        summary = " ".join(template.description.split())
        print(f"{name:<{width}}  {template.kind:<8}  {summary}")
    return 0
