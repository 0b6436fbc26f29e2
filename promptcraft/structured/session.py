"""One structured generation, step by step: what to send next, what came back, and how to
adapt. :func:`~.generate.generate_structured` drives one session; evaluation drives many at
once (:mod:`.batch`). The strategy follows the backend:

- ``ranked``: ``choices(..., mode="rank")`` on a backend that scores continuations (the local
  model, :class:`~.ranking.ChoiceRanker`): no generation, the most probable choice wins;
- ``constrained``: the backend constrains decoding (the local model); the prompt also gets a
  compact outline of a JSON schema (:mod:`.outline`): decoding enforces the syntax,
  but only the prompt tells the model what the fields are;
- ``response_format``: the server accepts an OpenAI ``response_format``. A text prompt is
  sent to the completions endpoint with it; a server that refuses it there (``promptcraft
  serve`` constrains chat only) gets the text as one user message on the chat endpoint;
- ``prompted``: the constraint's instructions go into the prompt, and the answer is parsed
  leniently (code fences and surrounding prose are tolerated).

Ranked choices on a backend that cannot rank (a remote server) are generated instead, with a
warning. Instructions are sized to the context: when the backend knows its context and
tokenizer they shrink (to the field names, or for constrained decoding to nothing) rather
than push the prompt past it, and a context error from the backend shrinks them, or lowers
a ``max_tokens`` the caller did not set to the room the server reports, before giving up.
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from ..constraints.constraints import (
    Choices,
    Constraint,
    JsonSchema,
    as_constraint,
    constraint_from_output,
)
from ..constraints.outline import OutlineLevel
from ..errors import BadRequestError, ConstraintError, ContextLengthError, StructuredOutputError
from ..types import Message, Usage
from .ranking import ChoiceRanker, ChoiceRanking
from .target import GenerationTarget

if TYPE_CHECKING:
    from ..coerce import MessagesLike, ParamsLike
    from ..prompts.template import PromptTemplate
    from ..types import Completion

__all__ = ["Attempt", "SchemaLike", "Strategy", "StructuredResult", "StructuredSession"]

T = TypeVar("T")
Strategy = Literal["constrained", "response_format", "prompted", "ranked"]
SchemaLike = type[BaseModel] | Mapping[str, Any] | Constraint | Sequence[str]
Call = tuple[str | list[Message], dict[str, Any]]

# Completion tokens the outline must leave room for when the caller did not set max_tokens.
_HINT_RESERVE = 64
# Tokens a chat template adds around each message, roughly (role markers, separators).
_MESSAGE_OVERHEAD = 8
_LEVELS: tuple[OutlineLevel, ...] = ("full", "names")
# The least max_tokens that halving it (for a server that does not report its context) goes.
_MIN_FITTED_TOKENS = 16


class Attempt(BaseModel):
    """One try: the raw output, why it was rejected (``None`` for the accepted one) and its
    tokens."""

    model_config = ConfigDict(frozen=True)

    text: str
    error: str | None
    usage: Usage


class StructuredResult(BaseModel, Generic[T]):
    """The parsed ``output``, every ``attempt`` (the last one valid), the ``usage`` of all
    of them together, and the ``strategy`` used. Ranked choices also carry every choice's
    score (``ranking``)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    output: T
    attempts: list[Attempt]
    usage: Usage
    strategy: Strategy
    ranking: ChoiceRanking | None = None


class StructuredSession:
    """The state of one structured generation: the conversation so far, the attempts, the
    strategy (which may fall back once), and the size of the instructions."""

    def __init__(
        self,
        backend: GenerationTarget,
        prompt: str | MessagesLike | PromptTemplate,
        schema: SchemaLike | None,
        inputs: Mapping[str, Any] | None,
        retries: int,
        params: ParamsLike,
        overrides: Mapping[str, Any],
        calibration: Sequence[str | list[Message]] = (),
    ):
        from ..coerce import coerce_messages, merge_params
        from ..prompts.template import PromptTemplate

        if retries < 0:
            raise ValueError(f"retries must be 0 or more, not {retries}")
        base: dict[str, Any] = {}
        target: str | MessagesLike
        #: the prompts with content-free inputs, for calibrated choices
        self.calibration: tuple[str | list[Message], ...] = tuple(calibration)
        if isinstance(prompt, PromptTemplate):
            if schema is None and prompt.output.type != "text":
                schema = constraint_from_output(prompt.output_for(inputs or {}))
            rendered = prompt.render_prompt(inputs or {}, tokenizer=backend.tokenizer)
            base = dict(rendered.params)
            target = _target(rendered)
            constraint = as_constraint(schema) if schema is not None else None
            if isinstance(constraint, Choices) and constraint.calibrate:
                self.calibration = content_free_prompts(prompt, inputs or {}, backend.tokenizer)
        elif inputs:
            raise TypeError("inputs= is for templates; format a text prompt yourself")
        else:
            target = prompt
        if schema is None:
            raise TypeError(
                "generate_structured needs a schema: a pydantic model, a JSON schema dict, "
                "a list of choices or a constraint (or a template that declares output:)"
            )
        self.backend = backend
        self.constraint = as_constraint(schema)
        # The template's defaults, then params, then keyword overrides.
        user = merge_params(params, _sampling(overrides))
        self.params = merge_params(base, user.model_dump(exclude_unset=True))
        self.options = {k: v for k, v in overrides.items() if k in _REQUEST_KEYS}
        self.retries = retries
        self.strategy: Strategy = _strategy(backend, self.constraint)
        calibrated = isinstance(self.constraint, Choices) and self.constraint.calibrate
        if self.strategy == "ranked" and calibrated and not self.calibration:
            raise ConstraintError(
                "calibrate=True needs a template prompt: the choices are calibrated on the "
                "template with its text inputs replaced by content-free ones",
                kind="choices",
            )
        self.text: str | None = target if isinstance(target, str) else None
        self.messages: list[Message] | None = (
            None if isinstance(target, str) else coerce_messages(target)
        )
        self._given_text = self.text  # before a text prompt is re-sent as a chat message
        self.feedback: list[tuple[str, str]] = []  # (rejected output, its error), in order
        self.attempts: list[Attempt] = []
        self.output: Any = None
        self.ranking: ChoiceRanking | None = None
        self._caller_max_tokens = "max_tokens" in self.params.model_fields_set
        self.level: OutlineLevel | None = self._first_level()

    # --- what to send --------------------------------------------------------------------

    @property
    def prompt(self) -> str | list[Message]:
        """The prompt as given (a ranked call scores the choices after it)."""
        if self.messages is not None:
            return self.messages
        assert self.text is not None
        return self.text

    @property
    def options_to_rank(self) -> tuple[str, ...]:
        """The choices a ranked session scores."""
        assert isinstance(self.constraint, Choices)
        return self.constraint.options

    def rank(self) -> None:
        """Score the choices after the prompt on the backend (and after the content-free
        prompts, when calibrated), and take the best."""
        assert isinstance(self.backend, ChoiceRanker)
        options = self.options_to_rank
        (ranking,) = self.backend.rank_choices([self.prompt], options)
        self.record_ranking(ranking, reference_rankings(self.backend, self.calibration, options))

    def next_call(self) -> Call:
        """What to send next: the prompt (with the instructions and the feedback so far) and
        the keyword arguments of the call."""
        options: dict[str, Any] = {**self.options, "params": self.params}
        if self.strategy == "constrained":
            options["constraint"] = self.constraint
        elif self.strategy == "response_format":
            assert isinstance(self.constraint, JsonSchema)
            options["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": self.constraint.name, "schema": self.constraint.schema},
            }
        instructions = self._instructions(self.level)
        if self.messages is not None:
            return self._messages(instructions), options
        assert self.text is not None
        return self._text(instructions), options

    # --- what came back ------------------------------------------------------------------

    def record(self, completion: Completion) -> bool:
        """Parse an output: ``True`` when it is valid (or raise when the retries are spent)."""
        text = completion.text
        try:
            if completion.finish_reason == "length" and self.strategy == "constrained":
                raise ValueError(
                    f"the output was cut off at max_tokens ({self.params.max_tokens}) before "
                    "it was complete; raise max_tokens"
                )
            self.output = self.constraint.parse(text)
        except ValueError as exc:
            self.attempts.append(Attempt(text=text, error=str(exc), usage=completion.usage))
            self.feedback.append((text, str(exc)))
            if len(self.attempts) > self.retries:
                raise self._error() from None
            return False
        self.attempts.append(Attempt(text=text, error=None, usage=completion.usage))
        return True

    def record_ranking(
        self, ranking: ChoiceRanking, references: Sequence[ChoiceRanking] = ()
    ) -> None:
        """Take the best choice of a ranked call; ``references``: the rankings of the
        content-free prompts (:attr:`calibration`), when calibrated."""
        assert isinstance(self.constraint, Choices)
        ranking = ranking.calibrated(references)
        self.ranking = ranking
        self.output = ranking.best(self.constraint.rank_by)
        self.attempts.append(Attempt(text=self.output, error=None, usage=ranking.usage))

    def fall_back(self, exc: BadRequestError) -> None:
        """A server that refuses response_format on a text prompt gets it as a chat message
        (if it chats), then the instructions in the prompt instead; any other refusal is the
        caller's to see."""
        refused = exc.field == "response_format" or "response_format" in str(exc)
        if self.strategy != "response_format" or not (refused or exc.status == 404):
            raise exc
        if self.text is not None and self.backend.capabilities.chat:
            # /v1/completions without response_format (or without this model, 404): the
            # chat endpoint constrains it, as it does for a prompt given as messages.
            self.messages, self.text = [Message(role="user", content=self.text)], None
            return
        if not refused:
            raise exc
        self.strategy = "prompted"
        if self._given_text is not None:  # back to the text prompt as given
            self.text, self.messages = self._given_text, None
        self.level = self._first_level()

    def fit_context(self, exc: ContextLengthError) -> None:
        """The prompt with its instructions did not fit the context: shorten the
        instructions (constrained decoding can do without), else lower a ``max_tokens`` the
        caller did not set to the room the backend reports; else raise ``exc``."""
        if self.level is not None:
            lower = _LEVELS[_LEVELS.index(self.level) + 1 :]
            if lower:
                self.level = lower[0]
                return
            if self.strategy == "constrained":
                self.level = None
                return
        wanted = self.params.max_tokens
        if exc.max_context is not None and exc.prompt_tokens is not None:
            room = exc.max_context - exc.prompt_tokens
        else:  # a server that does not say how much room is left: halve, down to a floor
            room = wanted // 2 if wanted // 2 >= _MIN_FITTED_TOKENS else 0
        if not self._caller_max_tokens and 1 <= room < wanted:
            self.params = self.params.model_copy(update={"max_tokens": room})
            return
        raise exc

    def result(self) -> StructuredResult[Any]:
        return StructuredResult(
            output=self.output,
            attempts=self.attempts,
            usage=total_usage(a.usage for a in self.attempts),
            strategy=self.strategy,
            ranking=self.ranking,
        )

    # --- helpers ---------------------------------------------------------------------------

    def _instructions(self, level: OutlineLevel | None) -> str | None:
        if self.strategy == "ranked":
            return None
        if self.strategy == "constrained":
            # Decoding enforces the syntax; a JSON schema's outline says what the fields
            # mean (choices and patterns need no hint to be written right).
            if level is None or not isinstance(self.constraint, JsonSchema):
                return None
            return self.constraint.instructions(level)
        if isinstance(self.constraint, JsonSchema):
            return self.constraint.instructions(level or "names")
        return self.constraint.instructions()

    def _first_level(self) -> OutlineLevel | None:
        """The most outline that fits the context with room for the answer (when the
        backend says how much context and which tokenizer it has)."""
        if not isinstance(self.constraint, JsonSchema) or self.strategy == "ranked":
            return None
        context = self.backend.capabilities.max_context
        tokenizer = self.backend.tokenizer
        fallback: OutlineLevel | None = None if self.strategy == "constrained" else "names"
        if context is None or tokenizer is None:
            return "full"
        if self.messages is not None:
            used = sum(tokenizer.count(m.content) + _MESSAGE_OVERHEAD for m in self.messages)
        else:
            used = tokenizer.count(self.text or "")
        reserve = self.params.max_tokens if self._caller_max_tokens else _HINT_RESERVE
        for level in _LEVELS:
            hint = self.constraint.instructions(level)
            if used + tokenizer.count(hint) + _MESSAGE_OVERHEAD + reserve <= context:
                return level
        return fallback

    def _error(self) -> StructuredOutputError:
        n = len(self.attempts)
        return StructuredOutputError(
            f"the output did not match the {self.constraint.kind} constraint after {n} "
            f"attempt{'s' * (n != 1)} (strategy: {self.strategy}); last error: "
            f"{self.attempts[-1].error}",
            outputs=[a.text for a in self.attempts],
            errors=[a.error or "" for a in self.attempts],
            usage=total_usage(a.usage for a in self.attempts),
        )

    def _text(self, instructions: str | None) -> str:
        assert self.text is not None
        prompt = self.text if instructions is None else f"{instructions}\n\n{self.text}"
        for output, error in self.feedback:
            prompt += f"{output}\n\nThat answer is invalid: {error}\nCorrected answer: "
        return prompt

    def _messages(self, instructions: str | None) -> list[Message]:
        assert self.messages is not None
        messages = list(self.messages)
        if instructions is not None:
            if messages and messages[0].role == "system":
                first = messages[0]
                content = f"{first.content}\n\n{instructions}"
                messages[0] = first.model_copy(update={"content": content})
            else:
                messages.insert(0, Message(role="system", content=instructions))
        for output, error in self.feedback:
            messages.append(Message(role="assistant", content=output))
            messages.append(
                Message(
                    role="user",
                    content=f"That answer is invalid: {error}\nAnswer again, correctly.",
                )
            )
        return messages


_REQUEST_KEYS = ("tools", "tool_choice")


def _sampling(overrides: Mapping[str, Any]) -> dict[str, Any]:
    blocked = {"constraint", "response_format"} & set(overrides)
    if blocked:
        raise TypeError(
            f"generate_structured sets {', '.join(sorted(blocked))} itself; pass schema= instead"
        )
    return {k: v for k, v in overrides.items() if k not in _REQUEST_KEYS}


def _strategy(backend: GenerationTarget, constraint: Constraint) -> Strategy:
    if isinstance(constraint, Choices) and constraint.mode == "rank":
        if isinstance(backend, ChoiceRanker):
            return "ranked"
        warnings.warn(
            f"choices mode='rank' needs a backend that scores choices (a local model); "
            f"{type(backend).__name__} cannot, so the answer is generated instead",
            RuntimeWarning,
            stacklevel=4,
        )
    caps = backend.capabilities
    if caps.constrained_decoding:
        return "constrained"
    if caps.response_format and isinstance(constraint, JsonSchema):
        return "response_format"
    return "prompted"


def total_usage(usages: Any) -> Usage:
    """The sum of some usages."""
    prompt = completion = cached = 0
    for usage in usages:
        prompt += usage.prompt_tokens
        completion += usage.completion_tokens
        cached += usage.cached_prompt_tokens
    return Usage(prompt_tokens=prompt, completion_tokens=completion, cached_prompt_tokens=cached)


#: Content-free inputs (Zhao et al., 2021): the model's prior for each choice is its mean
#: score after these.
CONTENT_FREE = ("N/A", "[MASK]", "")


_REFERENCES: weakref.WeakKeyDictionary[Any, OrderedDict[str, list[ChoiceRanking]]] = (
    weakref.WeakKeyDictionary()
)
_REFERENCES_KEPT = 32  # content-free sets per backend (one per template and label set)


def reference_rankings(
    backend: ChoiceRanker, prompts: Sequence[str | list[Message]], options: Sequence[str]
) -> list[ChoiceRanking]:
    """The rankings of ``options`` after the content-free ``prompts``, scored once per
    backend, prompts and options: every row of a calibrated template shares them."""
    if not prompts:
        return []
    kept = _REFERENCES.setdefault(backend, OrderedDict())
    key = repr((list(prompts), list(options)))
    if key not in kept:
        kept[key] = backend.rank_choices(list(prompts), options)
        while len(kept) > _REFERENCES_KEPT:
            kept.popitem(last=False)
    kept.move_to_end(key)
    return kept[key]


def _target(rendered: Any) -> str | list[Message]:
    return rendered.messages if rendered.messages is not None else rendered.text or ""


def content_free_prompts(
    template: PromptTemplate, inputs: Mapping[str, Any], tokenizer: Any = None
) -> tuple[str | list[Message], ...]:
    """``template`` rendered with each text input of ``inputs`` content-free (the others as
    given): the prompts calibrated choices subtract the scores of."""
    texts = [name for name, value in inputs.items() if isinstance(value, str)]
    if not texts:
        raise ConstraintError(
            f"calibrate=True needs a text input to replace; template {template.name!r} got none",
            kind="choices",
        )
    return tuple(
        _target(
            template.render_prompt({**inputs, **dict.fromkeys(texts, blank)}, tokenizer=tokenizer)
        )
        for blank in CONTENT_FREE
    )
