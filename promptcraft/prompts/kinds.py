"""The prompt kinds as Python objects. Each is a :class:`PromptTemplate` whose layout is
``templates/layouts/<kind>.jinja``; the classes only turn keyword arguments into blocks.

``instruction``, ``example_template``, ``query_template`` and chat ``messages`` are Jinja
source written by you (they may use inputs: ``"Summarize in {{ words }} words."``). Examples
and inputs are data and render literally.

>>> p = FewShotPrompt(examples=[{"input": "2+2", "output": "4"}])
>>> print(p.render(input="3+3"))
Input: 2+2
Output: 4
<BLANKLINE>
Input: 3+3
Output:
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jinja2 import meta

from ..errors import PromptError, TemplateSyntaxError
from ..types import ROLES
from .environment import get_environment
from .inputs import RESERVED_NAMES
from .specs import SelectSpec
from .template import PromptTemplate

__all__ = ["ChatPrompt", "FewShotPrompt", "HybridPrompt", "PrefixPrompt", "ReversePrompt"]

Examples = Iterable[Mapping[str, Any]]


def _body(blocks: Mapping[str, str | None]) -> str | None:
    parts = [f"{{% block {name} %}}{src}{{% endblock %}}" for name, src in blocks.items() if src]
    return "".join(parts) or None


def _inputs(
    declared: Mapping[str, Any] | None,
    default: str | None,
    sources: Iterable[str | None],
    search_path: Iterable[Any],
) -> dict[str, Any] | None:
    """Declared inputs, or ones inferred: the layout's input (a string) plus every variable
    the given template sources use (any type)."""
    if declared is not None:
        return dict(declared)
    inferred: dict[str, Any] = {default: "str"} if default else {}
    env = get_environment(search_path)
    for source in sources:
        if source:
            try:
                names = meta.find_undeclared_variables(env.parse(source))
            except Exception:  # the real compile reports it with its line
                continue
            for name in sorted(names - RESERVED_NAMES - set(env.globals)):
                inferred.setdefault(name, "any")
    return inferred


def _layout(
    input_key: str,
    output_key: str,
    input_label: str | None,
    output_label: str | None,
    example_separator: str,
    section_separator: str,
) -> dict[str, Any]:
    return {
        "input_key": input_key,
        "output_key": output_key,
        "input_label": input_label,
        "output_label": output_label,
        "example_separator": example_separator,
        "section_separator": section_separator,
    }


class PrefixPrompt(PromptTemplate):
    """An instruction, then the input: ``"Summarize the text.\\n\\n<input>"``.

    ``input_label="Text"`` writes ``"Text: <input>"``; ``output_label="Summary"`` ends the
    prompt with the cue ``"\\nSummary:"``. ``query_template`` replaces the query entirely.
    Other keyword arguments are :class:`PromptTemplate`'s (``name``, ``defaults``, ...)."""

    def __init__(
        self,
        instruction: str = "",
        *,
        input_key: str = "input",
        input_label: str | None = None,
        output_label: str | None = None,
        section_separator: str = "\n\n",
        query_template: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        name: str = "prefix",
        **options: Any,
    ) -> None:
        search = options.get("search_path", ())
        super().__init__(
            _body({"instruction": instruction, "query": query_template}),
            name=name,
            kind="prefix",
            inputs=_inputs(
                inputs,
                None if query_template else input_key,
                (instruction, query_template),
                search,
            ),
            layout=_layout(
                input_key, "output", input_label, output_label, "\n\n", section_separator
            ),
            **options,
        )


class _ExamplePrompt(PromptTemplate):
    """What the three example kinds share."""

    _kind = "few_shot"

    def __init__(
        self,
        examples: Examples = (),
        *,
        instruction: str = "",
        input_key: str = "input",
        output_key: str = "output",
        input_label: str | None = None,
        output_label: str | None = None,
        example_separator: str = "\n\n",
        section_separator: str = "\n\n",
        example_template: str | None = None,
        query_template: str | None = None,
        select: Any = None,
        inputs: Mapping[str, Any] | None = None,
        name: str | None = None,
        **options: Any,
    ) -> None:
        self.example_template = example_template
        self.query_template = query_template
        query_key = output_key if self._kind == "reverse" else input_key
        super().__init__(
            _body(
                {"instruction": instruction, "example": example_template, "query": query_template}
            ),
            name=name or self._kind,
            kind=self._kind,  # type: ignore[arg-type]
            examples=examples,
            select=select,
            inputs=_inputs(
                inputs,
                None if query_template else query_key,
                (instruction, query_template),
                options.get("search_path", ()),
            ),
            layout=_layout(
                input_key,
                output_key,
                input_label,
                output_label,
                example_separator,
                section_separator,
            ),
            **options,
        )

    def reverse(
        self,
        instruction: str = "",
        *,
        example_template: str | None = None,
        query_template: str | None = None,
        name: str | None = None,
    ) -> ReversePrompt:
        """The same examples with input and output swapped: the model sees an output and is
        asked for its input. The forward instruction describes the forward task, so it is not
        kept; pass one for the reverse task. A custom example or query format cannot be
        swapped automatically: pass both for the reverse prompt. The generation defaults
        carry over but ``max_tokens``: the layout (and so a ``stop``) is the same, but the
        answer is now what was the input, of another length."""
        if (self.example_template or self.query_template) and not (
            example_template and query_template
        ):
            raise PromptError(
                "this prompt has a custom example or query format; pass example_template= "
                "and query_template= for the reverse prompt",
                template=self._display,
            )
        select = self.select
        if isinstance(select, SelectSpec) and select.strategy == "similar_k":
            # The reverse query is an output, so compare it with the examples' outputs.
            key = self.layout.output_key
            select = select.model_copy(update={"input": key, "field": key})
        return ReversePrompt(
            self.examples,
            instruction=instruction,
            input_key=self.layout.input_key,
            output_key=self.layout.output_key,
            input_label=self.layout.input_label,
            output_label=self.layout.output_label,
            example_separator=self.layout.example_separator,
            section_separator=self.layout.section_separator,
            example_template=example_template,
            query_template=query_template,
            select=select,
            name=name or f"{self.name}_reverse",
            normalize=self.normalize,
            limits=self.limits,
            search_path=self.search_path,
            defaults={k: v for k, v in self.defaults.items() if k != "max_tokens"},
        )


class FewShotPrompt(_ExamplePrompt):
    """Examples, then the query in the same format, the output left to the model::

        Input: <example input>
        Output: <example output>

        Input: <query>
        Output:

    Keys and labels are configurable (``input_key="review"``, ``input_label="Review"``), or
    give your own ``example_template`` (sees ``example``) and ``query_template`` (sees the
    inputs). ``select`` picks examples: a strategy name, a mapping such as
    ``{"strategy": "similar_k", "k": 4}``, a :class:`SelectSpec` or an ExampleSelector."""

    _kind = "few_shot"

    def __init__(self, examples: Examples = (), **options: Any) -> None:
        if "instruction" in options:
            raise TypeError("FewShotPrompt takes no instruction; use HybridPrompt")
        super().__init__(examples, **options)


class HybridPrompt(_ExamplePrompt):
    """An instruction, then examples and the query as in :class:`FewShotPrompt`."""

    _kind = "hybrid"

    def __init__(self, instruction: str = "", examples: Examples = (), **options: Any) -> None:
        super().__init__(examples, instruction=instruction, **options)


class ReversePrompt(_ExamplePrompt):
    """Examples with input and output swapped: each shows the output, then the input that
    produced it, and the query gives an output (``render(output=...)``) and asks for its
    input. Use it to generate questions from answers or instructions from responses
    (instruction back-translation)."""

    _kind = "reverse"

    def reverse(self, *args: Any, **kwargs: Any) -> ReversePrompt:
        raise PromptError("a ReversePrompt is already reversed", template=self._display)


class ChatPrompt(PromptTemplate):
    """Chat messages: ``instruction`` as the system message, each example as a user turn and
    an assistant turn, then ``messages`` (``[("user", "{{ question }}")]``, Jinja source
    per message) or, by default, the input as one user message."""

    def __init__(
        self,
        instruction: str = "",
        *,
        examples: Examples = (),
        messages: Sequence[tuple[str, str]] | None = None,
        input_key: str = "input",
        output_key: str = "output",
        inputs: Mapping[str, Any] | None = None,
        name: str = "chat",
        **options: Any,
    ) -> None:
        query = None
        if messages is not None:
            for role, _ in messages:
                if role not in ROLES:
                    raise TemplateSyntaxError(
                        f"unknown message role {role!r}; expected one of {', '.join(ROLES)}",
                        template=f"<prompt {name}>",
                    )
            query = "".join(
                f'{{% message "{role}" %}}{content}{{% endmessage %}}' for role, content in messages
            )
        sources = [instruction, *(content for _, content in messages or ())]
        super().__init__(
            _body({"instruction": instruction, "query": query}),
            name=name,
            kind="chat",
            examples=examples,
            inputs=_inputs(
                inputs, None if query else input_key, sources, options.get("search_path", ())
            ),
            layout=_layout(input_key, output_key, None, None, "\n\n", "\n\n"),
            **options,
        )
