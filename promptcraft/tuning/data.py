"""Tuning data: ``{input, output}`` examples from JSONL or a list, rendered through a template.

Each example's ``input`` (a string, or an object of template inputs) is rendered with the
app's own ``.prompt`` template, so tuning learns exactly the text the app will send; its
``output`` is the completion the model should produce after that prompt. Nothing here
imports torch.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..errors import PromptError, TuningDataError
from ..prompts.kinds import PrefixPrompt
from ..prompts.template import PromptTemplate
from ..utils.jsonl import JsonLineError, read_json_lines

__all__ = [
    "TemplateRef",
    "TuningData",
    "TuningExample",
    "check_held_out",
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

    @property
    def where(self) -> str:
        """``data.jsonl:12`` or ``example 12``: where to look for this example."""
        return f"{self.path}:{self.line}" if self.path else f"example {self.line}"

    @property
    def input_key(self) -> str:
        """The input as canonical JSON: equal for examples that render the same prompt."""
        return json.dumps(self.input, sort_keys=True, ensure_ascii=False, default=str)


def read_examples(data: TuningData) -> list[TuningExample]:
    """Examples from a JSONL file (one ``{"input": ..., "output": ...}`` object a line; blank
    lines are skipped) or from a list of such mappings. Raises :class:`TuningDataError`
    naming the file and line of the first bad example, saying the data is empty, or naming
    two examples with the same input and different outputs (one of them is wrong)."""
    if isinstance(data, (str, os.PathLike)):
        examples = _read_jsonl(Path(data))
    elif isinstance(data, Mapping):
        raise TuningDataError("data must be a JSONL path or a list of {input, output} objects")
    else:
        examples = [_example(row, None, i) for i, row in enumerate(data, start=1)]
        if not examples:
            raise TuningDataError("the tuning data is empty: give at least two examples")
    _check_conflicts(examples)
    return examples


def _check_conflicts(examples: list[TuningExample]) -> None:
    """Two examples with the same input must want the same output: otherwise the model is
    taught both, and exact match can never reach 100%."""
    first: dict[str, TuningExample] = {}
    for example in examples:
        seen = first.setdefault(example.input_key, example)
        if seen.output.strip() != example.output.strip():
            raise example.error(
                f"same input as {seen.where} but a different output ({example.output!r}, "
                f"there {seen.output!r}): correct or remove one of them"
            )


def check_held_out(tests: list[TuningExample], train: list[TuningExample]) -> None:
    """Refuse test examples that are also training examples: their score would measure
    memory, not what the model learned."""
    trained = {example.input_key: example for example in train}
    for example in tests:
        seen = trained.get(example.input_key)
        if seen is not None:
            raise example.error(
                f"this test example has the same input as training example {seen.where}: "
                "a test set must hold examples the model is not trained on; remove it from one "
                "of the two files"
            )


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
    hint = ""
    if isinstance(example.input, dict):
        inputs = example.input
    else:
        name = _string_input_name(template)
        inputs = {name: example.input}
        required = [n for n, spec in template.inputs.items() if spec.is_required]
        if len(required) > 1:
            hint = (
                f" (a string 'input' fills only {name!r}; give an object with the template's "
                f"inputs instead, such as {{{', '.join(repr(n) + ': ...' for n in required)}}})"
            )
    try:
        return template.render(**inputs)
    except PromptError as exc:
        raise example.error(f"cannot render template {template.name!r}: {exc}{hint}") from None


def _string_input_name(template: PromptTemplate) -> str:
    required = [name for name, spec in template.inputs.items() if spec.is_required]
    return required[0] if len(required) == 1 else template.layout.input_key


def split_examples(
    examples: list[TuningExample], val_fraction: float, seed: int
) -> tuple[list[TuningExample], list[TuningExample]]:
    """A seeded shuffle split into (train, validation). The validation part gets at least one
    example (and train at least one), so early stopping always has something to watch.
    Examples with the same input stay together, on one side: validating on an input that is
    also trained on would measure memory."""
    where = examples[0].path if examples else None
    if len(examples) < 2:
        raise TuningDataError(
            f"{len(examples)} example(s): tuning needs at least two (one to train on, one to "
            "validate on)",
            path=where,
        )
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_val = min(len(examples) - 1, max(1, round(len(examples) * val_fraction)))
    distinct = {e.input_key for e in examples}
    if len(distinct) < 2:
        raise TuningDataError(
            f"the {len(examples)} examples all have the same input: tuning needs at least two "
            "different inputs (one to train on, one to validate on)",
            path=where,
        )
    copies: dict[str, int] = {}
    for example in examples:
        copies[example.input_key] = copies.get(example.input_key, 0) + 1
    held: set[str] = set()
    taken = 0
    for i in order:  # whole inputs, in shuffled order, until validation has its share
        key = examples[i].input_key
        if taken >= n_val or len(held) == len(distinct) - 1:  # leave train one input at least
            break
        if key not in held:
            held.add(key)
            taken += copies[key]
    val = [e for e in examples if e.input_key in held]
    train = [e for e in examples if e.input_key not in held]
    return train, val
