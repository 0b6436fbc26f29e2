"""Static and sample checks of ``.prompt`` files, for ``promptcraft lint`` and CI.

Errors: front matter or body that does not parse; a variable used but not declared in
``inputs``; an example without a field the example format uses; a sample that fails
validation or rendering; an include, import or extends that leaves the search path or names
no template. Warnings: an input declared but never used; a dynamic template name, which cannot
be checked; no description; a ``name`` that differs from the file name; examples given to a
prefix prompt that never shows them.

Each problem prints as ``file:line: message`` (``file:line: warning: message`` for warnings).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from jinja2 import TemplateNotFound, meta, nodes
from pydantic import BaseModel, ConfigDict

from ..errors import PromptcraftError, PromptError
from .compiler import build_ast, decode_line
from .inputs import RESERVED_NAMES
from .loader import SearchPathLoader
from .promptfile import PromptFile, read_prompt_file, template_from_file
from .template import PromptTemplate

__all__ = ["LintProblem", "lint_paths"]

# Names the layouts define for the blocks they call.
_LAYOUT_LOCALS = frozenset({"example", "loop", "_instruction"})


class LintProblem(BaseModel):
    """One finding of :func:`lint_paths`."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        tag = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {tag}{self.message}"


def lint_paths(
    paths: Iterable[str | Path], *, search_path: Iterable[str | Path] = ()
) -> list[LintProblem]:
    """Lint ``.prompt`` files; folders are searched recursively."""
    extra = tuple(search_path)
    problems: list[LintProblem] = []
    for path in _prompt_files(paths, problems):
        problems.extend(_lint_file(path, extra))
    return problems


def _prompt_files(paths: Iterable[str | Path], problems: list[LintProblem]) -> Iterator[Path]:
    for entry in map(Path, paths):
        if entry.is_dir():
            for path in sorted(entry.rglob("*.prompt")):
                if not any(p.startswith(".") for p in path.relative_to(entry).parts):
                    yield path
        elif entry.is_file():
            yield entry
        else:
            problems.append(LintProblem(file=str(entry), line=1, message="no such file or folder"))


def _problem(exc: PromptcraftError, default_file: str) -> LintProblem:
    if isinstance(exc, PromptError):
        return LintProblem(
            file=exc.template or default_file, line=exc.line or 1, message=exc.message
        )
    return LintProblem(file=default_file, line=1, message=str(exc))


def _lint_file(path: Path, search_path: tuple[str | Path, ...]) -> list[LintProblem]:
    shown = str(path)
    try:
        parsed = read_prompt_file(path)
        template = template_from_file(parsed, search_path=search_path)
    except PromptcraftError as exc:
        return [_problem(exc, shown)]
    problems: list[LintProblem] = []
    data = parsed.data
    if not str(data.get("description", "")).strip():
        problems.append(_warning(shown, 2, "no description: say what the template does and when"))
    if data["name"] != path.stem:
        problems.append(
            _warning(
                shown,
                parsed.line_of("name"),
                f"name {data['name']!r} differs from the file name {path.stem!r}"
                " (PromptLibrary finds templates by file name)",
            )
        )
    problems.extend(_check_references(template, shown))
    origins: dict[str, tuple[str, ...]] = {}
    tree = build_ast(
        template.env, template.jinja_source, shown, shown, inline=True, origins=origins
    )
    problems.extend(_check_prefix_examples(template, parsed, tree))
    problems.extend(_check_variables(template, parsed, tree, origins))
    problems.extend(_check_examples(template, parsed, tree))
    problems.extend(_check_samples(template, parsed))
    return problems


def _warning(file: str, line: int, message: str) -> LintProblem:
    return LintProblem(file=file, line=line, message=message, severity="warning")


def _check_prefix_examples(
    template: PromptTemplate, parsed: PromptFile, tree: nodes.Template
) -> Iterator[LintProblem]:
    if template.kind != "prefix" or not template.examples:
        return
    if any(n.name == "examples" for n in tree.find_all(nodes.Name)):
        return  # the body shows them itself
    key = "examples" if "examples" in parsed.data else "examples_file"
    yield _warning(
        str(parsed.path),
        parsed.line_of(key),
        "a prefix prompt shows no examples and this body does not read them; "
        "use kind: hybrid for an instruction plus examples",
    )


def _check_references(template: PromptTemplate, shown: str) -> Iterator[LintProblem]:
    """Every include, import and extends of the body must name a template on the path."""
    body = template.env.parse(template.jinja_source)
    loader = template.env.loader
    assert isinstance(loader, SearchPathLoader)
    kinds = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
    for node in body.find_all(kinds):
        target = getattr(node, "template", None)
        if not (isinstance(target, nodes.Const) and isinstance(target.value, str)):
            yield _warning(
                shown,
                node.lineno,
                "the template name is computed at render time, so lint cannot check it",
            )
            continue
        try:
            loader.find(target.value)
        except PromptError as exc:
            yield LintProblem(file=shown, line=node.lineno, message=exc.message)
        except TemplateNotFound:
            yield LintProblem(
                file=shown,
                line=node.lineno,
                message=f"template {target.value!r} not found on the search path",
            )


def _resolve_key(node: nodes.Node, layout: dict[str, str]) -> str | None:
    """The constant key of ``x.key``, ``x["key"]`` or ``x[layout.key]``, if any."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem):
        arg = node.arg
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            return arg.value
        if (
            isinstance(arg, nodes.Getattr)
            and isinstance(arg.node, nodes.Name)
            and arg.node.name == "layout"
        ):
            return layout.get(arg.attr)
    return None


def _keys_of(tree: nodes.Template, name: str, layout: dict[str, str]) -> set[str] | None:
    """Keys read from variable ``name``; ``None`` if it is also used some other way."""
    accessed: set[int] = set()
    keys: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        base = getattr(node, "node", None)
        if isinstance(base, nodes.Name) and base.name == name:
            key = _resolve_key(node, layout)
            if key is None:
                return None
            keys.add(key)
            accessed.add(id(base))
    for node in tree.find_all(nodes.Name):
        if node.name == name and node.ctx == "load" and id(node) not in accessed:
            return None
    return keys


def _key_line(
    tree: nodes.Template,
    name: str,
    key: str,
    layout: dict[str, str],
    origins: dict[str, tuple[str, ...]],
    default_file: str,
) -> tuple[str, int]:
    """The file and line where ``name.key`` (or ``name[key]``) is first read."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        base = getattr(node, "node", None)
        if isinstance(base, nodes.Name) and base.name == name and _resolve_key(node, layout) == key:
            file, line = decode_line(origins, default_file, node.lineno)
            return file or default_file, line or 1
    return default_file, 1


def _check_variables(
    template: PromptTemplate,
    parsed: PromptFile,
    tree: nodes.Template,
    origins: dict[str, tuple[str, ...]],
) -> Iterator[LintProblem]:
    env = template.env
    layout = template.layout_values
    used = meta.find_undeclared_variables(tree) - RESERVED_NAMES - _LAYOUT_LOCALS
    used -= set(env.globals)
    declared = set(template.inputs)
    for name in sorted(used - declared):
        line_node = next(n for n in tree.find_all(nodes.Name) if n.name == name)
        file, line = decode_line(origins, str(parsed.path), line_node.lineno)
        yield LintProblem(
            file=file or str(parsed.path),
            line=line or 1,
            message=f"variable {name!r} is used but not declared in inputs",
        )
    through_inputs = _keys_of(tree, "inputs", layout)
    if through_inputs is None:
        return  # the template reads inputs dynamically: every input may be used
    for name in sorted(through_inputs - declared):
        file, line = _key_line(tree, "inputs", name, layout, origins, str(parsed.path))
        reader = "the template"
        if file != str(parsed.path):  # a layout: point at the declarations instead
            reader = f"the layout {Path(file).name}"
            line = parsed.line_of("inputs") if "inputs" in parsed.data else 2
        yield LintProblem(
            file=str(parsed.path),
            line=line,
            message=f"input {name!r} is read by {reader} but not declared in inputs",
        )
    for name in sorted(declared - used - through_inputs):
        yield _warning(
            str(parsed.path),
            parsed.line_of(f"inputs.{name}"),
            f"input {name!r} is declared but never used",
        )


def _check_examples(
    template: PromptTemplate, parsed: PromptFile, tree: nodes.Template
) -> Iterator[LintProblem]:
    fields = _keys_of(tree, "example", template.layout_values)
    if not fields:
        return
    for i, example in enumerate(template.examples):
        missing = sorted(fields - set(example))
        if missing and i < len(parsed.example_lines):
            file, line = parsed.example_lines[i]
            yield LintProblem(
                file=file,
                line=line,
                message=(
                    f"example {i + 1} has no field {', '.join(map(repr, missing))}, "
                    "which the example format uses"
                ),
            )


def _check_samples(template: PromptTemplate, parsed: PromptFile) -> Iterator[LintProblem]:
    for i, sample in enumerate(template.samples):
        try:
            _render(template, sample)
        except PromptcraftError as exc:
            message = exc.message if isinstance(exc, PromptError) else str(exc)
            yield LintProblem(
                file=str(parsed.path),
                line=parsed.line_of(f"samples[{i}]"),
                message=f"sample {i + 1} fails: {message}",
            )


def _render(template: PromptTemplate, sample: dict[str, Any]) -> None:
    if template.kind == "chat":
        template.render_messages(**sample)
    else:
        template.render(**sample)
