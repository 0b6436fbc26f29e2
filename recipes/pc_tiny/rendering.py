"""Prompts of the curriculum, built with the public kinds of :mod:`promptcraft.prompts`.

A :class:`PromptSpec` says how a prompt looks (kind, instruction, labels, separators).
:func:`build_prompt` turns it into the template a user would write: the instruction as
template source, the examples given to the constructor. Evaluation uses it.

Training renders a few hundred thousand prompts whose examples, wordings and labels change
every time; compiling a template for each would cost more than the rest of the generator.
So :func:`render_reusable` compiles one template per layout (kind, separators, whether the
input is labelled) and takes the rest per render: the instruction text (its wording
rendered with the task's variables) and the examples as inputs, through an
:class:`~promptcraft.prompts.ExampleSelector` that reads the ``demos`` input, and the
labels as placeholders replaced in the rendered text (the engine compiles labels into a
template, and the training stream draws thousands of label pairs). Both render the same
text (tested).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from jinja2 import StrictUndefined, Template, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from promptcraft.prompts import (
    ChatPrompt,
    FewShotPrompt,
    HybridPrompt,
    PrefixPrompt,
    PromptTemplate,
    ReversePrompt,
    dedupe_examples,
)

from .chat_format import render_chat
from .formats import TextFormat

__all__ = [
    "DemosFromInput",
    "PromptSpec",
    "build_prompt",
    "render_inputs",
    "render_reusable",
]

PromptKind = Literal["prefix", "few_shot", "hybrid", "reverse", "chat"]

_DEFAULT_FORMAT = TextFormat(input_label=None, output_label="Output")


@dataclass(frozen=True)
class PromptSpec:
    """How one prompt looks. ``instruction`` is Jinja source that may use the task's
    variables; for ``chat`` it is the system message. ``request`` (chat only) is Jinja
    source that opens the user turn, before a newline and the input; without it the user
    turn is the input alone."""

    kind: PromptKind
    instruction: str = ""
    fmt: TextFormat | None = None
    request: str | None = None

    @property
    def query_key(self) -> str:
        return "output" if self.kind == "reverse" else "input"

    @property
    def shows_examples(self) -> bool:
        """Whether the prompt has examples (its reusable template takes ``demos``)."""
        return self.kind in ("few_shot", "hybrid", "reverse") or (
            self.kind == "chat" and self.request is None
        )

    @property
    def variables(self) -> tuple[str, ...]:
        """The task variables the instruction and request use."""
        used = set(_variables(self.instruction)) | set(_variables(self.request or ""))
        return tuple(sorted(used))


class DemosFromInput:
    """An example selector that shows the examples passed in the ``demos`` input."""

    static = False

    def select(
        self, examples: Sequence[Mapping[str, Any]], inputs: Mapping[str, Any]
    ) -> list[Mapping[str, Any]]:
        return list(inputs["demos"])


def build_prompt(spec: PromptSpec, examples: Sequence[Mapping[str, Any]] = ()) -> PromptTemplate:
    """The template as a user writes it: the kind's class, the wording as source, the
    examples given. Render it with :func:`render_inputs`."""
    request = None if spec.request is None else spec.request + "\n{{ input }}"
    options: dict[str, Any] = {}
    if len(dedupe_examples(examples)) < len(examples):
        # Drills repeat demonstrations on purpose; the engine would drop the repeats.
        options["select"] = {"dedupe": False}
    return _construct(spec.kind, spec.fmt, spec.instruction, request, list(examples), options)


def render_inputs(spec: PromptSpec, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs of :func:`build_prompt`'s template: the query and the variables its
    wording uses."""
    values = {name: variables[name] for name in spec.variables}
    values[spec.query_key] = query
    return values


def render_reusable(
    spec: PromptSpec,
    query: str,
    variables: Mapping[str, Any],
    demos: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The prompt text of :func:`build_prompt`'s template (for chat, its messages in the
    bundled chat format, ending with the assistant's turn), from a template compiled once
    per layout."""
    template = _reusable_prompt(spec)
    inputs = _reusable_inputs(spec, query, variables, demos)
    if spec.kind == "chat":
        return render_chat(template.render_messages(**inputs), add_generation_prompt=True)
    text = template.render(**inputs)
    if spec.fmt is not None:
        text = text.replace(_OUTPUT_SLOT, spec.fmt.output_label)
        if spec.fmt.input_label is not None:
            text = text.replace(_INPUT_SLOT, spec.fmt.input_label)
    return text


# Stand-ins for the labels in a reusable layout; no input or wording contains them.
_INPUT_SLOT, _OUTPUT_SLOT = "\x1einput-label\x1e", "\x1eoutput-label\x1e"


def _reusable_prompt(spec: PromptSpec) -> PromptTemplate:
    fmt = spec.fmt
    if fmt is not None:
        input_slot = None if fmt.input_label is None else _INPUT_SLOT
        fmt = dataclasses.replace(fmt, input_label=input_slot, output_label=_OUTPUT_SLOT)
        if spec.kind == "prefix":
            fmt = dataclasses.replace(fmt, example_separator="\n\n")
        if not spec.instruction:
            fmt = dataclasses.replace(fmt, section_separator="\n\n")
    return _reusable(spec.kind, fmt, bool(spec.instruction), spec.request is not None)


def _reusable_inputs(
    spec: PromptSpec,
    query: str,
    variables: Mapping[str, Any],
    demos: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    values: dict[str, Any] = {spec.query_key: query}
    if spec.instruction:
        values["instruction_text"] = render_wording(spec.instruction, variables)
    if spec.request is not None:
        values["request_text"] = render_wording(spec.request, variables)
    if spec.shows_examples:
        values["demos"] = list(demos)
    return values


def render_wording(source: str, variables: Mapping[str, Any]) -> str:
    """A wording with the task's variables filled in."""
    if "{" not in source:
        return source
    return _compiled_wording(source).render(**variables)


# Every layout of the training stream fits (kinds x separators x labelled input).
@functools.lru_cache(maxsize=256)
def _reusable(
    kind: PromptKind, fmt: TextFormat | None, has_instruction: bool, has_request: bool
) -> PromptTemplate:
    query_key = "output" if kind == "reverse" else "input"
    inputs: dict[str, Any] = {query_key: "str"}
    instruction = ""
    if has_instruction:
        instruction = "{{ instruction_text }}"
        inputs["instruction_text"] = "str"
    request = None
    if has_request:
        request = "{{ request_text }}\n{{ input }}"
        inputs["request_text"] = "str"
    options: dict[str, Any] = {"inputs": inputs}
    if kind != "prefix" and not has_request:
        inputs["demos"] = "list[dict]"
        options["select"] = DemosFromInput()
    return _construct(kind, fmt, instruction, request, [], options)


def _construct(
    kind: PromptKind,
    fmt: TextFormat | None,
    instruction: str,
    request: str | None,
    examples: list[Mapping[str, Any]],
    options: dict[str, Any],
) -> PromptTemplate:
    if kind == "chat":
        messages = [("user", request)] if request is not None else None
        return ChatPrompt(instruction, examples=examples, messages=messages, **options)
    fmt = fmt or _DEFAULT_FORMAT
    labels: dict[str, Any] = {
        "input_label": fmt.input_label,
        "output_label": fmt.output_label,
        "section_separator": fmt.section_separator,
    }
    if kind == "prefix":
        return PrefixPrompt(instruction, **labels, **options)
    labels["example_separator"] = fmt.example_separator
    if kind == "few_shot":
        return FewShotPrompt(examples, **labels, **options)
    if kind == "hybrid":
        return HybridPrompt(instruction, examples, **labels, **options)
    return ReversePrompt(examples, instruction=instruction, **labels, **options)


_WORDING_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined)


@functools.lru_cache(maxsize=1024)
def _compiled_wording(source: str) -> Template:
    return _WORDING_ENV.from_string(source)


@functools.cache
def _variables(source: str) -> tuple[str, ...]:
    if "{" not in source:
        return ()
    return tuple(sorted(meta.find_undeclared_variables(_WORDING_ENV.parse(source))))
