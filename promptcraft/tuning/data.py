"""Tuning data: ``{input, output}`` examples from JSONL or a list, rendered through a template.

Each example's ``input`` (a string, or an object of template inputs) is rendered with the
app's own ``.prompt`` template, so tuning learns exactly the text the app will send; its
``output`` is the completion the model should produce after that prompt. Nothing here
imports torch.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..errors import PromptError, TuningDataError
from ..jsonl import JsonLineError, read_json_lines
from ..prompts.kinds import PrefixPrompt
from ..prompts.template import PromptTemplate

__all__ = [
    "TemplateRef",
    "TuningData",
    "TuningExample",
    "default_template",
    "read_examples",
    "render_example",
    "resolve_template",
    "split_examples",
]

TuningData = str | os.PathLike[str] | Iterable[Mapping[str, Any]]
TemplateRef = str | os.PathLike[str] | PromptTemplate | None


class TuningExample(BaseModel):
    """One example: the template's input(s) and the completion to learn. ``path`` and
    ``line`` say where it came from, for error messages."""

    model_config = ConfigDict(frozen=True)

    input: str | dict[str, Any]
    output: str
    path: str | None = None
    line: int = 0

    def error(self, message: str) -> TuningDataError:
        return TuningDataError(message, path=self.path, line=self.line)


def read_examples(data: TuningData) -> list[TuningExample]:
    """Examples from a JSONL file (one ``{"input": ..., "output": ...}`` object a line; blank
    lines are skipped) or from a list of such mappings. Raises :class:`TuningDataError`
    naming the file and line of the first bad example, or saying the data is empty."""
    if isinstance(data, (str, os.PathLike)):
        return _read_jsonl(Path(data))
    if isinstance(data, Mapping):
        raise TuningDataError("data must be a JSONL path or a list of {input, output} objects")
    examples = [_example(row, None, i) for i, row in enumerate(data, start=1)]
    if not examples:
        raise TuningDataError("the tuning data is empty: give at least two examples")
    return examples


def _read_jsonl(path: Path) -> list[TuningExample]:
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TuningDataError("no such file", path=shown) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TuningDataError(f"cannot read the file: {exc}", path=shown) from None
    try:
        examples = [_example(row, shown, number) for number, row in read_json_lines(text)]
    except JsonLineError as exc:
        raise TuningDataError(
            f"not valid JSON ({exc.reason} at column {exc.column})", path=shown, line=exc.line
        ) from None
    if not examples:
        raise TuningDataError(
            'the file has no examples: write one {"input": ..., "output": ...} object a line',
            path=shown,
        )
    return examples


def _example(row: Any, path: str | None, line: int) -> TuningExample:
    def fail(message: str) -> TuningDataError:
        return TuningDataError(message, path=path, line=line)

    if not isinstance(row, Mapping):
        raise fail(f'expected an object {{"input": ..., "output": ...}}, got {_kind(row)}')
    missing = [key for key in ("input", "output") if key not in row]
    if missing:
        raise fail(f"missing {' and '.join(repr(k) for k in missing)} (keys: {sorted(row)})")
    extra = sorted(set(row) - {"input", "output"})
    if extra:
        raise fail(f"unexpected key {extra[0]!r}: an example has only 'input' and 'output'")
    value, output = row["input"], row["output"]
    if not isinstance(value, (str, Mapping)):
        raise fail(f"'input' must be a string or an object of template inputs, not {_kind(value)}")
    if not isinstance(output, str):
        raise fail(f"'output' must be a string, not {_kind(output)}")
    if not output.strip():
        raise fail("'output' is empty: there is nothing to learn")
    return TuningExample(
        input=value if isinstance(value, str) else dict(value),
        output=output,
        path=path,
        line=line,
    )


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def default_template() -> PromptTemplate:
    """The template used when none is given: ``Input: <input>\\nOutput:``."""
    return PrefixPrompt(input_label="Input", output_label="Output", name="input-output")


def resolve_template(template: TemplateRef) -> PromptTemplate:
    """A :class:`PromptTemplate` from itself, a ``.prompt`` path or a library name; ``None``
    is :func:`default_template`. Chat templates are refused (tuning renders text)."""
    if template is None:
        resolved = default_template()
    elif isinstance(template, PromptTemplate):
        resolved = template
    else:
        from ..prompts import PromptLibrary, load_prompt

        path = Path(template)
        if path.suffix == ".prompt" or path.is_file():
            resolved = load_prompt(path)
        else:
            resolved = PromptLibrary().get(str(template))
    if resolved.kind == "chat":
        raise PromptError(
            "tuning renders text prompts; a chat template is not supported (use a prefix, "
            "few_shot or hybrid template)",
            template=resolved.name,
        )
    return resolved


def render_example(template: PromptTemplate, example: TuningExample) -> str:
    """The prompt text of ``example``. A string input fills the template's one required
    input (or its layout's input key); an object gives the inputs by name."""
    if isinstance(example.input, dict):
        inputs = example.input
    else:
        inputs = {_string_input_name(template): example.input}
    try:
        return template.render(**inputs)
    except PromptError as exc:
        raise example.error(f"cannot render template {template.name!r}: {exc}") from None


def _string_input_name(template: PromptTemplate) -> str:
    required = [name for name, spec in template.inputs.items() if spec.is_required]
    return required[0] if len(required) == 1 else template.layout.input_key


def split_examples(
    examples: list[TuningExample], val_fraction: float, seed: int
) -> tuple[list[TuningExample], list[TuningExample]]:
    """A seeded shuffle split into (train, validation). The validation part gets at least one
    example (and train at least one), so early stopping always has something to watch."""
    if len(examples) < 2:
        where = examples[0].path if examples else None
        raise TuningDataError(
            f"{len(examples)} example(s): tuning needs at least two (one to train on, one to "
            "validate on)",
            path=where,
        )
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_val = min(len(examples) - 1, max(1, round(len(examples) * val_fraction)))
    val = [examples[i] for i in sorted(order[:n_val])]
    train = [examples[i] for i in sorted(order[n_val:])]
    return train, val
