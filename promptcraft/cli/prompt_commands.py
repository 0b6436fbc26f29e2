"""``promptcraft render``, ``lint`` and ``templates``: the template engine from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import InputValidationError, PromptcraftError, TemplateNotFoundError

__all__ = ["add_input_options", "add_templates_option", "load_template", "parse_vars", "register"]

_RENDER_EPILOG = """\
examples:
  promptcraft render sentiment --var text="Great phone"
  promptcraft render sentiment --var text="Great phone" --var labels='["good", "bad"]'
  promptcraft render ./my.prompt --vars-file inputs.json --count-tokens cl100k_base
  echo '{"message": "hi"}' | promptcraft render assistant --vars-file -"""

_LINT_EPILOG = """\
examples:
  promptcraft lint templates/
  promptcraft lint my.prompt other.prompt --strict"""

_TEMPLATES_EPILOG = """\
examples:
  promptcraft templates
  promptcraft templates ./my_templates    # yours first; they shadow bundled names"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    render = sub.add_parser(
        "render",
        help="render a template to text (or chat messages)",
        description=(
            "Render a .prompt file or a library template by name, and print the prompt (chat\n"
            "templates: their messages as JSON lines). Inputs come from --var and --vars-file;\n"
            "inputs declared as lists, dicts, numbers or booleans take JSON values."
        ),
        epilog=_RENDER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    render.add_argument("template", metavar="FILE_OR_NAME", help="a .prompt path or a name")
    add_input_options(render)
    render.add_argument("--messages", action="store_true", help="print chat messages as JSON lines")
    render.add_argument(
        "--count-tokens",
        metavar="ENCODING",
        help="also print the token count on stderr (e.g. cl100k_base)",
    )
    add_templates_option(render)
    render.set_defaults(handler=_render)

    lint = sub.add_parser(
        "lint",
        help="check .prompt files for errors",
        description=(
            "Check .prompt files (or folders of them): syntax, variables used but not declared\n"
            "or declared but unused, examples missing fields, samples that fail, includes\n"
            "outside the search path. Prints file:line: message; exits 1 on any error."
        ),
        epilog=_LINT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lint.add_argument(
        "paths", nargs="+", metavar="PATH", help=".prompt files, or folders searched recursively"
    )
    lint.add_argument("--strict", action="store_true", help="warnings count as errors too")
    lint.set_defaults(handler=_lint)

    templates = sub.add_parser(
        "templates",
        help="list the template library",
        description=(
            "List the templates on the search path (the bundled library last): name, kind and\n"
            "what each is for. Use a name with render, run or eval."
        ),
        epilog=_TEMPLATES_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    templates.add_argument("dirs", nargs="*", metavar="DIR", help="extra template folders")
    templates.set_defaults(handler=_templates)


def add_templates_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--templates",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder of your own templates, searched before the library (repeatable)",
    )


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
    if path.is_file():
        return load_prompt(path)
    library = PromptLibrary(*existing_folders(extra_dirs or [], "--templates"))
    if path.suffix == ".prompt":
        hint = f" (the library has a template named {path.stem!r})" if path.stem in library else ""
        raise TemplateNotFoundError(f"no such file{hint}", template=ref)
    named = not path.is_absolute() and ".." not in path.parts and ref in library
    if path.is_dir() and not named:
        raise TemplateNotFoundError(
            "is a folder; give a .prompt file or a template name", template=ref
        )
    if Path(ref + ".prompt").is_file() and not named:
        raise TemplateNotFoundError(
            f"no template named {ref!r} in the library; for the file here, write {ref}.prompt"
        )
    return library.get(ref)


def existing_folders(dirs: list[str], option: str = "") -> list[str]:
    """``dirs``, once each is known to be a folder: a mistyped one is an error, not a silent
    no-op."""
    for ref in dirs:
        if not Path(ref).is_dir():
            problem = "is not a folder" if Path(ref).exists() else "no such folder"
            raise PromptcraftError(f"{option + ' ' if option else ''}{ref}: {problem}")
    return dirs


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
    if ref == "-":
        ref = "<stdin>"
    if not text.strip():
        raise InputValidationError(
            f'{ref} is empty; expected a JSON object of inputs, such as {{"text": "hi"}}',
            field="--vars-file",
        )
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
        path = Path(ref)
        if not path.exists():
            raise PromptcraftError(f"no such file or folder: {ref}")
        if path.is_dir() and next(path.rglob("*.prompt"), None) is None:
            raise PromptcraftError(f"{ref}: no .prompt files in this folder")
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

    library = PromptLibrary(*existing_folders(args.dirs))
    names = library.names()
    width = max((len(n) for n in names), default=0)
    broken: list[PromptcraftError] = []
    for name in names:
        try:
            template = library.get(name)
        except PromptcraftError as exc:  # list the others; name this one and what is wrong
            broken.append(exc)
            print(f"{name:<{width}}  {'BROKEN':<8}  {exc}")
            continue
        summary = " ".join(template.description.split())
        print(f"{name:<{width}}  {template.kind:<8}  {summary}")
    if broken:
        print(
            f"promptcraft templates: {len(broken)} template(s) do not load; "
            "'promptcraft lint DIR' shows every problem",
            file=sys.stderr,
        )
        return 1
    return 0
