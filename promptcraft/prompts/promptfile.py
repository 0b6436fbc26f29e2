"""``.prompt`` files: YAML front matter, then a Jinja body.

Front-matter keys (all but ``name`` optional):

==================  ===========================================================================
``name``            the template's name
``description``     what it does and when to use it
``kind``            ``prefix`` (default), ``few_shot``, ``hybrid``, ``reverse`` or ``chat``
``inputs``          name -> type, or name -> {type, description, default, enum, required}
``examples``        inline list of mappings (the example data)
``examples_file``   a JSONL file of examples, relative to the ``.prompt`` file, inside its folder
``select``          a strategy name, or {strategy, k, seed, input, field, max_prompt_tokens,
                    encoding, dedupe} (see :class:`~.specs.SelectSpec`)
``layout``          variables of the layout: input_key, output_key, input_label, output_label,
                    example_separator, section_separator
``defaults``        generation parameters: max_tokens, temperature, top_p, stop, seed
``output``          ``text``, {choices: [...]} (``mode: rank`` scores each whole choice),
                    {regex: "..."} or {schema: {...}}
``samples``         example inputs; ``promptcraft lint`` validates and renders each one
``normalize``       ``true`` or a list of steps (see :mod:`.normalize`)
==================  ===========================================================================

Every error names the file and the line it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..constraints.output_spec import OutputSpec
from ..errors import TemplateNotFoundError, TemplateSyntaxError
from ..utils.jsonl import JsonLineError, read_json_lines
from ..utils.suggestions import did_you_mean
from .frontmatter import FrontMatter, read_front_matter
from .guards import RenderLimits
from .inputs import InputDeclarationError, parse_inputs
from .normalize import parse_normalize
from .selection import similar_k_problem
from .specs import (
    KINDS,
    GenerationDefaults,
    LayoutSpec,
    SelectSpec,
    describe_error,
)
from .template import PromptTemplate

__all__ = [
    "FRONT_MATTER_KEYS",
    "PromptFile",
    "load_prompt",
    "read_prompt_file",
    "template_from_file",
]

FRONT_MATTER_KEYS = (
    "name", "description", "kind", "inputs", "examples", "examples_file", "select", "layout",
    "defaults", "output", "samples", "normalize",
)  # fmt: skip

_SHAPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "description": (str,), "kind": (str,), "inputs": (dict,),
    "examples": (list,), "examples_file": (str,), "select": (str, dict), "layout": (dict,),
    "defaults": (dict,), "output": (str, dict), "samples": (list,), "normalize": (bool, str, list),
}  # fmt: skip


class PromptFile:
    """A parsed ``.prompt`` file: its front matter (with line numbers) and examples."""

    def __init__(self, path: Path, front: FrontMatter, examples: list[dict[str, Any]],
                 example_lines: list[tuple[str, int]]) -> None:  # fmt: skip
        self.path = path
        self.front = front
        self.examples = examples
        # file and line each example came from, for lint messages
        self.example_lines = example_lines

    @property
    def data(self) -> dict[str, Any]:
        return self.front.data

    def line_of(self, key: str) -> int:
        return self.front.line_of(key)


def read_prompt_file(path: str | Path) -> PromptFile:
    """Parse and check the front matter of a ``.prompt`` file; load its examples."""
    path = Path(path)
    if not path.is_file():
        raise TemplateNotFoundError(
            f"no such .prompt file: {path} (for bundled templates use PromptLibrary().get(name))"
        )
    shown = str(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateSyntaxError(
            f"not UTF-8 text: byte {raw[exc.start]:#04x} is not valid UTF-8 here "
            "(save the file as UTF-8)",
            template=shown,
            line=raw.count(b"\n", 0, exc.start) + 1,
        ) from None
    front = read_front_matter(text, shown)
    data = front.data
    for key, value in data.items():
        if key not in FRONT_MATTER_KEYS:
            hint = did_you_mean(str(key), FRONT_MATTER_KEYS)
            hint = f"; {hint}" if hint else ""
            raise TemplateSyntaxError(
                f"unknown front-matter key {key!r}{hint} (known: {', '.join(FRONT_MATTER_KEYS)})",
                template=shown,
                line=front.line_of(str(key)),
            )
        if not isinstance(value, _SHAPES[key]):
            wanted = " or ".join(t.__name__ for t in _SHAPES[key])
            raise TemplateSyntaxError(
                f"front-matter key {key!r} must be a {wanted}, not {type(value).__name__}",
                template=shown,
                line=front.line_of(key),
            )
    if not data.get("name"):
        raise TemplateSyntaxError("the front matter needs a 'name:'", template=shown, line=2)
    if "examples" in data and "examples_file" in data:
        raise TemplateSyntaxError(
            "give examples or examples_file, not both",
            template=shown,
            line=front.line_of("examples_file"),
        )
    for key in ("examples", "samples"):
        for i, item in enumerate(data.get(key) or []):
            if not isinstance(item, dict):
                raise TemplateSyntaxError(
                    f"{key}[{i}] must be a mapping of field to value",
                    template=shown,
                    line=front.line_of(f"{key}[{i}]"),
                )
    if "examples_file" in data:
        examples, lines = _read_jsonl(path, data["examples_file"], front)
    else:
        examples = list(data.get("examples") or [])
        lines = [(shown, front.line_of(f"examples[{i}]")) for i in range(len(examples))]
    return PromptFile(path, front, examples, lines)


def _read_jsonl(
    prompt_path: Path, name: str, front: FrontMatter
) -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
    line = front.line_of("examples_file")
    folder = prompt_path.parent.resolve()
    target = (prompt_path.parent / name).resolve()
    if Path(name).is_absolute() or not target.is_relative_to(folder):
        raise TemplateSyntaxError(
            f"examples_file {name!r} must be inside the folder of the .prompt file",
            template=front.path,
            line=line,
        )
    if not target.is_file():
        raise TemplateSyntaxError(
            f"examples_file {name!r} not found", template=front.path, line=line
        )
    examples: list[dict[str, Any]] = []
    lines: list[tuple[str, int]] = []
    shown = str(prompt_path.parent / name)
    try:
        rows = list(read_json_lines(target.read_text(encoding="utf-8")))
    except JsonLineError as exc:
        raise TemplateSyntaxError(
            f"invalid JSON: {exc.reason}", template=shown, line=exc.line
        ) from None
    for number, item in rows:
        if not isinstance(item, dict):
            raise TemplateSyntaxError(
                "each line must be a JSON object of field to value", template=shown, line=number
            )
        examples.append(item)
        lines.append((shown, number))
    return examples, lines


def load_prompt(
    path: str | Path,
    *,
    search_path: tuple[str | Path, ...] | list[str | Path] = (),
    limits: RenderLimits | None = None,
) -> PromptTemplate:
    """Load a ``.prompt`` file. Its folder, then ``search_path``, then the bundled templates
    are where its ``{% include %}``/``{% extends %}`` look.

    Every call returns a template of its own: templates carry mutable settings (``defaults``,
    ``examples``), and a file's mtime ticks too coarsely to prove it unchanged. Loading the
    same file again is still cheap: the parsed front matter is reused while the text is the
    same, and the compiled code while the text and the files it merges in are the same. For
    one shared instance per name, use :class:`~.library.PromptLibrary`."""
    parsed = read_prompt_file(path)
    return template_from_file(parsed, search_path=search_path, limits=limits)


def template_from_file(
    parsed: PromptFile,
    *,
    search_path: tuple[str | Path, ...] | list[str | Path] = (),
    limits: RenderLimits | None = None,
) -> PromptTemplate:
    """Build the template of a parsed file. Each setting is checked here first, so an error
    points at the line of its key."""
    data = parsed.data
    shown = str(parsed.path)

    def fail(key: str, message: str) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, template=shown, line=parsed.line_of(key))

    kind = data.get("kind", "prefix")
    if kind not in KINDS:
        raise fail("kind", f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    settings: dict[str, Any] = {}
    checks: dict[str, Callable[[Any], Any]] = {
        "layout": LayoutSpec.model_validate,
        "defaults": GenerationDefaults.model_validate,
        "output": OutputSpec.model_validate,
        "select": SelectSpec.coerce,
        "normalize": parse_normalize,
    }
    for key, check in checks.items():
        if key in data:
            try:
                settings[key] = check(data[key])
            except (ValidationError, ValueError) as exc:
                raise fail(key, f"{key}: {describe_error(exc)}") from None
    inputs = {}
    for name, spec in (data.get("inputs") or {}).items():
        try:
            inputs.update(parse_inputs({name: spec}))
        except InputDeclarationError as exc:
            raise fail(f"inputs.{name}.{exc.key}", str(exc)) from None
        except (ValidationError, ValueError) as exc:
            raise fail(f"inputs.{name}", f"input {name!r}: {describe_error(exc)}") from None
    spec = settings.get("select")
    if spec is not None:
        layout = settings.get("layout") or LayoutSpec()
        query_key = layout.output_key if kind == "reverse" else layout.input_key
        problem = similar_k_problem(spec, inputs, parsed.examples, query_key)
        if problem is not None:
            raise fail(f"select.{problem[0]}", f"select: {problem[1]}")
    return PromptTemplate(
        parsed.front.body,
        name=str(data["name"]),
        kind=kind,
        description=str(data.get("description", "")).strip(),
        inputs=inputs,
        examples=parsed.examples,
        samples=data.get("samples") or (),
        search_path=search_path,
        limits=limits,
        source_path=parsed.path,
        first_line=parsed.front.body_line,
        **settings,
    )
