"""``PromptTemplate``: one compiled prompt, rendered to text or to chat messages.

Every kind (prefix, few_shot, hybrid, reverse, chat) is this class with a different layout;
the Python kinds in :mod:`.kinds` only build its arguments. A render:

1. validates the inputs against the declared ones (a pydantic model built once);
2. picks the examples (computed once when the choice does not depend on the inputs);
3. runs the compiled template under a fresh :class:`~.guards.RenderState`;
4. splits chat output at this render's message markers, and normalizes if asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from jinja2.runtime import Context
from pydantic import BaseModel, ConfigDict, ValidationError

from ..constraints.output_spec import OutputSpec
from ..errors import (
    MissingInputError,
    PromptcraftError,
    PromptError,
    TemplateRenderError,
    TemplateSyntaxError,
)
from ..tokenizers.tokenizer import Tokenizer, resolve_tokenizer
from ..types import Message
from .compiler import wrap_body
from .diagnostics import as_prompt_error
from .environment import PromptEnvironment, UndefinedInput, get_environment
from .guards import DEFAULT_LIMITS, RenderLimits, RenderState, activate, bounded_concat, deactivate
from .inputs import InputSpec, InputValidator, parse_inputs
from .messages import split_messages
from .normalize import normalize_text, parse_normalize
from .selection import (
    Example,
    ExampleSelector,
    dedupe_examples,
    select_examples_within_budget,
    selector_from_spec,
    similar_k_problem,
)
from .specs import (
    KINDS,
    GenerationDefaults,
    Kind,
    LayoutSpec,
    SelectSpec,
    describe_error,
)

if TYPE_CHECKING:
    from ..types import GenerationParams

__all__ = ["PromptTemplate", "RenderedPrompt", "TemplateRunner"]


class TemplateRunner(Protocol):
    """What :meth:`PromptTemplate.run` runs on: every
    :class:`~promptcraft.backends.base.Backend` is one. The engine names this protocol, not
    the backends, so templates never depend on the layers that generate."""

    def run_template(
        self, template: PromptTemplate, inputs: Mapping[str, Any], params: Any = None
    ) -> Any: ...

    async def arun_template(
        self, template: PromptTemplate, inputs: Mapping[str, Any], params: Any = None
    ) -> Any: ...


class RenderedPrompt(BaseModel):
    """A rendered prompt and the generation parameters its template suggests."""

    model_config = ConfigDict(frozen=True)

    kind: str
    text: str | None = None
    messages: list[Message] | None = None
    params: dict[str, Any] = {}


class _Inputs(dict[str, Any]):
    """The ``inputs`` mapping templates see; a missing key is a missing input."""

    __slots__ = ()

    def __missing__(self, key: Any) -> NoReturn:
        raise MissingInputError(f"missing input {key!r}", variable=str(key))


class PromptTemplate:
    """A prompt template: a Jinja body filling the blocks of its kind's layout.

    ``body`` is Jinja source: with ``{% block %}`` tags it fills the layout's blocks
    (``instruction``, ``example``, ``query``, ...); without, it is the ``query`` block; with
    ``{% extends %}`` it names its own parent; ``None`` renders the layout alone.
    Most users get one from :func:`~.promptfile.load_prompt`, :class:`~.library.PromptLibrary`
    or a kind class such as :class:`~.kinds.FewShotPrompt`.
    """

    def __init__(
        self,
        body: str | None = "",
        *,
        name: str = "prompt",
        kind: Kind = "prefix",
        description: str = "",
        inputs: Mapping[str, Any] | None = None,
        examples: Iterable[Mapping[str, Any]] = (),
        select: SelectSpec | ExampleSelector | Mapping[str, Any] | str | None = None,
        layout: LayoutSpec | Mapping[str, Any] | None = None,
        defaults: GenerationDefaults | Mapping[str, Any] | None = None,
        output: OutputSpec | Mapping[str, Any] | str | None = None,
        samples: Iterable[Mapping[str, Any]] = (),
        normalize: bool | str | Sequence[str] = False,
        search_path: Iterable[str | Path] = (),
        limits: RenderLimits | None = None,
        source_path: str | Path | None = None,
        first_line: int = 1,
    ) -> None:
        self.name = name
        self.description = description
        self.source_path = Path(source_path) if source_path is not None else None
        self._display = str(source_path) if source_path is not None else f"<prompt {name}>"
        if kind not in KINDS:
            self._fail(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        self.kind: Kind = kind
        try:
            self.layout = LayoutSpec.model_validate(layout or {})
            self.defaults: dict[str, Any] = GenerationDefaults.model_validate(
                defaults or {}
            ).model_dump(exclude_none=True)
            self.output = OutputSpec.model_validate(output or "text")
            self.inputs: dict[str, InputSpec] = parse_inputs(inputs)
            self.normalize = parse_normalize(normalize)
            spec = _select_spec(select)
            self.limits = RenderLimits.model_validate(limits or DEFAULT_LIMITS)
            examples = _example_list(examples)
        except (ValidationError, ValueError) as exc:
            self._fail(describe_error(exc))
        for name in self.output.input_names:
            if self.inputs and name not in self.inputs:
                self._fail(
                    f"output: reads input {name!r}, which is not declared (inputs: "
                    f"{', '.join(self.inputs)})"
                )
        self.select: SelectSpec | ExampleSelector = spec if spec is not None else select  # type: ignore[assignment]
        self.samples: tuple[dict[str, Any], ...] = tuple(dict(s) for s in samples)

        if spec is None or spec.dedupe:
            examples = dedupe_examples(examples)
        self.examples: tuple[dict[str, Any], ...] = tuple(dict(e) for e in examples)
        query_key = self.layout.output_key if kind == "reverse" else self.layout.input_key
        problem = (
            similar_k_problem(spec, self.inputs, self.examples, query_key)
            if spec is not None
            else None
        )
        if problem is not None:
            self._fail(f"select: {problem[1]}")
        self._selector: ExampleSelector = (
            selector_from_spec(spec, input=query_key, field=query_key)
            if spec is not None
            else select  # type: ignore[assignment]
        )
        self._budget = spec.max_prompt_tokens if spec is not None else None
        self._budget_encoding = spec.encoding if spec is not None else "cl100k_base"
        self._static: tuple[Example, ...] | None = (
            tuple(self._selector.select(self.examples, {}))
            if getattr(self._selector, "static", False)
            else None
        )

        roots = [self.source_path.parent] if self.source_path is not None else []
        self.env: PromptEnvironment = get_environment([*roots, *search_path])
        self.body = body
        self.jinja_source = wrap_body(self.env, body, kind, first_line)
        # what the layout sees as `layout`: the LayoutSpec with the kind's labels filled in;
        # fixed per template, so compiled in as constants
        self.layout_values: dict[str, str] = self.layout.for_kind(kind)
        try:
            self._template = self.env.compile_prompt(
                self.jinja_source,
                self._display,
                self._display,
                constants={"layout": self.layout_values},
            )
        except Exception as exc:
            raise as_prompt_error(exc, self.env.origins, self._display) from exc
        self._validator = InputValidator(self.inputs, self._display) if self.inputs else None
        self._base: dict[str, Any] = dict(self._template.globals)
        self._base["layout"] = self.layout_values
        self._root = self._template.root_render_func
        self._blocks = self._template.blocks

    def _fail(self, message: str) -> NoReturn:
        raise TemplateSyntaxError(message, template=self._display)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, kind={self.kind!r})"

    @property
    def search_path(self) -> tuple[Path, ...]:
        return self.env.search_path

    # --- public API ---------------------------------------------------------------------

    def render(self, **inputs: Any) -> str:
        """The prompt as text. Chat templates use :meth:`render_messages`."""
        if self.kind == "chat":
            raise PromptError(
                "a chat template renders to messages: call render_messages()",
                template=self._display,
            )
        values = self._validator(inputs) if self._validator is not None else inputs
        text, state = self._render(values, self._examples(values, None))
        if state.nonce is not None:
            raise PromptError(
                "this template has {% message %} blocks: call render_messages()",
                template=self._display,
            )
        return normalize_text(text, self.normalize) if self.normalize else text

    def render_messages(self, **inputs: Any) -> list[Message]:
        """The prompt as chat messages. A text template becomes one user message."""
        values = self._validator(inputs) if self._validator is not None else inputs
        return self._messages(values, self._examples(values, None))

    def count_tokens(self, encoding: str | Tokenizer | Any = "cl100k_base", **inputs: Any) -> int:
        """Tokens of the rendered prompt (for chat: of all message contents; role formatting
        is model-specific and not counted). ``encoding``: a name, a Tokenizer or a backend;
        a ``max_prompt_tokens`` budget is packed with the same tokenizer."""
        tokenizer = resolve_tokenizer(encoding)
        values = self._validator(inputs) if self._validator is not None else inputs
        return self._measure(values, self._examples(values, tokenizer), tokenizer)

    def render_prompt(
        self, inputs: Mapping[str, Any], *, tokenizer: str | Tokenizer | Any = None
    ) -> RenderedPrompt:
        """Text or messages (by kind) plus the template's generation ``defaults``: what a
        backend needs. ``tokenizer`` is the target model's, for ``max_prompt_tokens``."""
        values = self._validator(inputs) if self._validator is not None else dict(inputs)
        tok = resolve_tokenizer(tokenizer) if tokenizer is not None else None
        examples = self._examples(values, tok)
        params = dict(self.defaults)
        if self.kind == "chat":
            return RenderedPrompt(
                kind=self.kind, messages=self._messages(values, examples), params=params
            )
        text, _ = self._render(values, examples)
        if self.normalize:
            text = normalize_text(text, self.normalize)
        return RenderedPrompt(kind=self.kind, text=text, params=params)

    def output_for(self, inputs: Mapping[str, Any]) -> OutputSpec:
        """The declared output for a call with ``inputs``: ``choices_from`` and
        ``copy_from`` resolved from the named inputs (their defaults when not given)."""
        if not self.output.input_names:
            return self.output
        values = self._validator(inputs) if self._validator is not None else dict(inputs)
        return self.output.for_inputs(values)

    def select_examples(
        self, inputs: Mapping[str, Any], *, tokenizer: str | Tokenizer | Any = None
    ) -> list[dict[str, Any]]:
        """The examples a render with these inputs shows, in order."""
        values = self._validator(inputs) if self._validator is not None else dict(inputs)
        tok = resolve_tokenizer(tokenizer) if tokenizer is not None else None
        return [dict(e) for e in self._examples(values, tok)]

    # --- the one renderer ---------------------------------------------------------------

    def _examples(
        self, values: Mapping[str, Any], tokenizer: Tokenizer | None
    ) -> Sequence[Example]:
        if self._static is not None and self._budget is None:
            return self._static
        if self._static is not None:
            candidates: Sequence[Example] = self._static
        else:
            try:
                candidates = self._selector.select(self.examples, values)
            except PromptError:
                raise
            except Exception as exc:
                raise PromptError(
                    f"example selection failed: {type(exc).__name__}: {exc}",
                    template=self._display,
                ) from exc
        if self._budget is None:
            return candidates
        tok = tokenizer or resolve_tokenizer(self._budget_encoding)
        try:
            return select_examples_within_budget(
                candidates, lambda chosen: self._measure(values, chosen, tok), self._budget
            )
        except PromptError as exc:
            raise as_prompt_error(exc, self.env.origins, self._display) from exc

    def _render(
        self, values: Mapping[str, Any], examples: Sequence[Example]
    ) -> tuple[str, RenderState]:
        context = self._base.copy()
        context.update(values)
        context["inputs"] = _Inputs(values)
        context["examples"] = examples
        state = RenderState(self.limits)
        token = activate(state)
        try:
            # A Context of our own: Template.new_context would copy the globals' key set.
            runtime = Context(self.env, context, self._display, self._blocks)
            return bounded_concat(self._root(runtime)), state
        except Exception as exc:
            raise self._render_error(exc) from exc
        finally:
            deactivate(token)

    def _render_error(self, exc: Exception) -> PromptcraftError:
        error = as_prompt_error(exc, self.env.origins, self._display)
        if (
            isinstance(error, MissingInputError)
            and self.inputs
            and error.variable not in self.inputs
        ):
            # Passing it would be refused as undeclared: the template is what needs fixing.
            return MissingInputError(
                f"missing input {error.variable!r}: the template reads it, but it is not a "
                f"declared input ({', '.join(self.inputs)}); declare it or fix the name",
                variable=error.variable,
                template=error.template,
                line=error.line,
            )
        if isinstance(exc, UndefinedInput) and not exc.top_level and isinstance(error, PromptError):
            # An example without a field the example format reads: say which one.
            index = next((i for i, e in enumerate(self.examples) if e is exc.obj), None)
            if index is not None:
                fields = ", ".join(map(repr, self.examples[index])) or "none"
                return TemplateRenderError(
                    f"example {index + 1} has no field {exc.name!r}, which the example format "
                    f"reads (its fields: {fields})",
                    template=error.template,
                    line=error.line,
                )
        return error

    def _messages(self, values: Mapping[str, Any], examples: Sequence[Example]) -> list[Message]:
        text, state = self._render(values, examples)
        if self.kind != "chat" and state.nonce is None:
            if self.normalize:
                text = normalize_text(text, self.normalize)
            return [Message(role="user", content=text)]
        try:
            messages = split_messages(text, state)
        except PromptError as exc:
            raise as_prompt_error(exc, self.env.origins, self._display) from exc
        if self.normalize:
            messages = [
                m.model_copy(update={"content": normalize_text(m.content, self.normalize)})
                for m in messages
            ]
        return messages

    def _measure(
        self, values: Mapping[str, Any], examples: Sequence[Example], tokenizer: Tokenizer
    ) -> int:
        if self.kind == "chat":
            return sum(tokenizer.count(m.content) for m in self._messages(values, examples))
        text, _ = self._render(values, examples)
        if self.normalize:
            text = normalize_text(text, self.normalize)
        return tokenizer.count(text)

    # --- running on a backend -------------------------------------------------------------

    def run(
        self,
        backend: TemplateRunner,
        /,
        *,
        params: GenerationParams | Mapping[str, Any] | None = None,
        **inputs: Any,
    ) -> Any:
        """Render with ``inputs`` and generate on ``backend``: chat templates through
        ``backend.chat``, the others through ``backend.generate``.

        Generation parameters are the template's ``defaults`` updated with ``params`` (a
        :class:`~promptcraft.types.GenerationParams` or a mapping); every other keyword is
        an input, so inputs and parameters never collide (an input cannot be named
        ``params``). ``max_prompt_tokens`` budgets count with the backend's tokenizer when it
        has one.

        Returns a :class:`~promptcraft.types.Completion`. A template that declares
        ``output:`` (choices, regex or JSON schema) returns the parsed output instead, through
        :func:`~promptcraft.structured.generate_structured`: constrained decoding on local
        models, validation and retries everywhere. ``output: {choices: [...], mode: rank}``
        scores each choice by the model's probability instead of generating (local models;
        a server generates the answer, with a warning). ``pc.evaluate`` answers the same way.
        """
        return _runner(backend, "run").run_template(self, inputs, params)

    async def arun(
        self,
        backend: TemplateRunner,
        /,
        *,
        params: GenerationParams | Mapping[str, Any] | None = None,
        **inputs: Any,
    ) -> Any:
        """:meth:`run` without blocking the event loop."""
        return await _runner(backend, "arun").arun_template(self, inputs, params)

    def prepare_call(
        self,
        inputs: Mapping[str, Any],
        params: GenerationParams | Mapping[str, Any] | None = None,
        *,
        tokenizer: Tokenizer | None = None,
    ) -> tuple[RenderedPrompt, dict[str, Any]]:
        """What :meth:`run` sends: the prompt rendered with ``inputs`` (budgets counted with
        ``tokenizer``), and the template's defaults updated with ``params``."""
        prompt = self.render_prompt(inputs, tokenizer=tokenizer)
        if params is None:
            overrides: dict[str, Any] = {}
        elif isinstance(params, Mapping):
            overrides = dict(params)
        else:  # a GenerationParams: only what its author set overrides the defaults
            overrides = params.model_dump(exclude_unset=True)
        return prompt, {**prompt.params, **overrides}


def _runner(backend: Any, method: str) -> TemplateRunner:
    if not callable(getattr(backend, "run_template", None)):
        raise TypeError(
            f"{method}() takes a backend (pc.load_backend(...)), not {type(backend).__name__}"
        )
    return backend


def _example_list(examples: Any) -> list[Mapping[str, Any]]:
    """The examples as a list of mappings, or a ValueError naming the first that is not."""
    if isinstance(examples, Mapping) or not isinstance(examples, Iterable):
        raise ValueError(f"examples must be a list of mappings, not {type(examples).__name__}")
    found = list(examples)
    for i, example in enumerate(found):
        if not isinstance(example, Mapping):
            raise ValueError(
                f"examples[{i}] must be a mapping of field to value, not {example!r:.60}"
            )
    return found


def _select_spec(select: Any) -> SelectSpec | None:
    """A SelectSpec for spec-like values, ``None`` for a selector object."""
    if isinstance(select, ExampleSelector) and not isinstance(select, SelectSpec):
        return None
    return SelectSpec.coerce(dict(select) if isinstance(select, Mapping) else select)
