"""What an output must look like: one of some ``choices``, a ``regex`` match, or JSON that
fits a ``json_schema``. Users build these; backends that can constrain decoding compile them
into a token automaton (:mod:`.automaton`), the others get them as instructions and a parser.

Every constraint is, underneath, one regular expression over the output text (``pattern``),
written in the dialect of Rust's ``regex`` crate, which ``outlines-core`` compiles. JSON schemas
become a regex through ``outlines_core``'s ``build_regex_from_schema``, with whitespace between
tokens limited to one optional space, so a model cannot pad its output with endless blanks::

    answer = choices(["yes", "no"])
    label = choices(["yes", "no"], mode="rank")   # scored by probability, not generated
    code = regex(r"[A-Z]{3}-[0-9]{4}")
    person = json_schema(Person)          # a pydantic model, or a JSON schema dict

Choices have two modes. ``generate`` (the default) decodes the answer under the constraint.
``rank`` writes nothing: the model scores each whole choice after the prompt (the sum or
the mean of its tokens' log-probabilities, ``rank_by``) and the best one is the answer, as
lm-evaluation-harness scores multiple choice (see :mod:`.ranking`).

No torch here: templates, lint and remote backends use constraints without the local decoder.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, get_args

import regex as regex_engine
from pydantic import BaseModel, ValidationError

from ..errors import ConstraintError
from ..types import RankBy
from .outline import OutlineLevel, schema_outline
from .output_spec import ChoiceMode, OutputSpec
from .pattern_atoms import literal, strip_anchors
from .schema_checks import check_satisfiable, model_schema
from .spans import DEFAULT_SPAN_WORDS, copy_strings, is_span_pattern

__all__ = [
    "DEFAULT_RANK_BY",
    "JSON_WHITESPACE",
    "Choices",
    "Constraint",
    "JsonSchema",
    "Regex",
    "as_constraint",
    "choices",
    "constraint_from_output",
    "constraint_from_response_format",
    "json_schema",
    "regex",
]

#: Whitespace allowed between JSON tokens: at most one space. Flexible whitespace
#: (``[ \\t\\n\\r]*``) lets a small model emit blanks until it runs out of tokens.
JSON_WHITESPACE = r"[ ]?"


class Constraint(ABC):
    """The shape an output must have. ``pattern`` is the regular expression the whole output
    matches; ``parse`` turns an output into its value (or raises :class:`ValueError` with a
    message meant for the model); ``instructions`` tell a model without constrained decoding
    what to write."""

    kind: str = ""

    @property
    @abstractmethod
    def pattern(self) -> str:
        """The regular expression (Rust ``regex`` dialect) the whole output must match."""

    @property
    def decoding_pattern(self) -> str:
        """The pattern constrained decoding enforces: ``pattern``, except that choices and
        JSON may start with one space. After ``Answer:`` a model's natural next token is
        `` positive`` or `` {``; forbidding the space would push it off its own tokenization.
        ``parse`` strips it."""
        return self.pattern

    @abstractmethod
    def parse(self, text: str) -> Any:
        """The value of ``text``; :class:`ValueError` saying what is wrong when it does not fit."""

    @abstractmethod
    def instructions(self) -> str:
        """One paragraph telling a model what to answer with."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.pattern!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Constraint)
            and type(other) is type(self)
            and other.pattern == self.pattern
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.pattern))


#: How ``mode="rank"`` compares choices when ``rank_by`` is not given: the sum of each
#: choice's token log-probabilities, the probability of the whole choice (lm-evaluation-
#: harness's ``acc``). Measured with SmolLM2 on topic and intent classification
#: (benchmarks/results/choices.md): sum 162/414 right, mean 156/414; they differed on two of
#: six prompt forms, sum ahead by 8 rows on one and mean by 2 on the other.
DEFAULT_RANK_BY: RankBy = "sum"


class Choices(Constraint):
    """The output is exactly one of ``options``. ``mode``: ``"generate"`` decodes it;
    ``"rank"`` scores every option by the model's probability (``rank_by``: ``"sum"`` or
    ``"mean"`` of its tokens' log-probabilities) and picks the best; with ``calibrate``, each
    score less the same option's score on content-free inputs (see :mod:`.ranking`)."""

    kind = "choices"

    def __init__(
        self,
        options: Iterable[str],
        *,
        mode: ChoiceMode = "generate",
        rank_by: RankBy | None = None,
        calibrate: bool = False,
    ):
        if mode not in get_args(ChoiceMode):
            raise ConstraintError(
                f"choices mode must be 'generate' or 'rank', not {mode!r}", kind=self.kind
            )
        if rank_by is not None and rank_by not in get_args(RankBy):
            raise ConstraintError(
                f"rank_by must be 'sum' or 'mean', not {rank_by!r}", kind=self.kind
            )
        if rank_by is not None and mode != "rank":
            raise ConstraintError(
                "rank_by applies to mode='rank' only; add mode='rank', or drop rank_by",
                kind=self.kind,
            )
        if calibrate and mode != "rank":
            raise ConstraintError(
                "calibrate applies to mode='rank' only; add mode='rank', or drop calibrate",
                kind=self.kind,
            )
        self.mode: ChoiceMode = mode
        self.rank_by: RankBy = rank_by or DEFAULT_RANK_BY
        self.calibrate = calibrate
        if isinstance(options, str):
            raise ConstraintError(
                f"choices takes a list of strings, not the string {options!r}", kind=self.kind
            )
        values = tuple(options)
        if not values:
            raise ConstraintError("choices needs at least one option", kind=self.kind)
        for value in values:
            if not isinstance(value, str) or not value:
                raise ConstraintError(
                    f"each choice must be a non-empty string, not {value!r}", kind=self.kind
                )
        if len(set(values)) != len(values):
            raise ConstraintError(f"choices repeat an option: {list(values)}", kind=self.kind)
        self.options = values
        self._pattern = "(" + "|".join(literal(option) for option in values) + ")"

    @property
    def pattern(self) -> str:
        return self._pattern

    @property
    def decoding_pattern(self) -> str:
        return f"[ ]?{self._pattern}"

    def parse(self, text: str) -> str:
        # The text itself, without the one space decoding may put first, or stripped: an
        # option may begin or end with a space itself (" yes" is written "  yes").
        spaced = text[1:] if text.startswith(" ") else text
        for candidate in (text, spaced, text.strip()):
            if candidate in self.options:
                return candidate
        # Remote models answer "Yes." for "yes": accept an unambiguous case/punctuation slip.
        answer = text.strip()
        key = answer.strip("\"'.`").casefold()
        loose = [o for o in self.options if o.strip().casefold() == key]
        if len(loose) == 1:
            return loose[0]
        raise ValueError(f"{answer!r} is not one of {', '.join(map(repr, self.options))}")

    def instructions(self) -> str:
        listed = "\n".join(f"- {option}" for option in self.options)
        return f"Answer with exactly one of these options and nothing else:\n{listed}"

    def __repr__(self) -> str:
        if self.mode == "rank":
            calibrated = ", calibrate=True" if self.calibrate else ""
            return (
                f"Choices({list(self.options)!r}, mode='rank', rank_by={self.rank_by!r}"
                f"{calibrated})"
            )
        return f"Choices({list(self.options)!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Choices)
            and other.options == self.options
            and (other.mode, other.rank_by, other.calibrate)
            == (self.mode, self.rank_by, self.calibrate)
        )

    def __hash__(self) -> int:
        return hash((self.options, self.mode, self.rank_by, self.calibrate))


class Regex(Constraint):
    """The whole output matches the regular expression ``expression``."""

    kind = "regex"

    def __init__(self, expression: str):
        if not isinstance(expression, str):
            raise ConstraintError(
                f"regex takes a pattern string, not {type(expression).__name__}", kind=self.kind
            )
        try:
            self._compiled = regex_engine.compile(expression)
        except regex_engine.error as exc:
            raise ConstraintError(
                f"invalid regular expression {expression!r}: {exc}", kind=self.kind
            ) from None
        if not strip_anchors(expression):
            raise ConstraintError(
                f"the regular expression {expression!r} matches only the empty output",
                kind=self.kind,
            )
        self.expression = expression

    @property
    def pattern(self) -> str:
        return self.expression

    @property
    def decoding_pattern(self) -> str:
        """The expression without the ``^``/``$`` (``\\A``/``\\z``) around its
        alternatives: the whole output matches anyway, and the automaton cannot have them."""
        return strip_anchors(self.expression)

    def parse(self, text: str) -> str:
        for candidate in dict.fromkeys((text, text.strip())):
            if self._compiled.fullmatch(candidate):
                return candidate
        raise ValueError(f"{text.strip()!r} does not match the pattern {self.expression!r}")

    def instructions(self) -> str:
        return (
            "Answer with text that matches this regular expression exactly, and nothing else: "
            f"{self.expression}"
        )


class JsonSchema(Constraint):
    """The output is JSON that validates against ``schema``. Built from a pydantic model,
    ``parse`` returns an instance of it; from a schema dict, the decoded JSON value."""

    kind = "json_schema"

    def __init__(
        self,
        schema: Mapping[str, Any] | type[BaseModel],
        *,
        whitespace: str = JSON_WHITESPACE,
        copy_from: str | None = None,
        max_words: int | None = DEFAULT_SPAN_WORDS,
    ):
        self.model: type[BaseModel] | None = None
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            self.model = schema
            self.schema: dict[str, Any] = model_schema(schema)
        elif isinstance(schema, Mapping):
            self.schema = _plain_json(schema)
        else:
            raise ConstraintError(
                "json_schema takes a pydantic model class or a JSON schema dict, "
                f"not {type(schema).__name__}",
                kind=self.kind,
            )
        self.copy_from = copy_from
        if copy_from is not None:
            self.schema = copy_strings(self.schema, copy_from, max_words=max_words)
        self.whitespace = whitespace
        self._validator = _schema_validator(self.schema)
        check_satisfiable(self.schema, self._validator)
        self._pattern: str | None = None

    @property
    def pattern(self) -> str:
        # Built on first use: remote backends validate with the schema and never need it. A
        # schema outlines-core cannot turn into a regex fails here, before any generation.
        if self._pattern is None:
            self._pattern = _schema_pattern(self.schema, self.whitespace)
        return self._pattern

    @property
    def decoding_pattern(self) -> str:
        return f"[ ]?(?:{self.pattern})"

    @property
    def name(self) -> str:
        """A name for the schema (its title, or the model's name), for response_format."""
        title = self.model.__name__ if self.model is not None else self.schema.get("title")
        cleaned = regex_engine.sub(r"[^A-Za-z0-9_-]", "_", str(title or "output"))
        return cleaned[:64]

    def parse(self, text: str) -> Any:
        value = _decode_json(text)
        if self.model is None or self.copy_from is not None:
            # a model does not know the copied spans: the schema checks them (a remote
            # backend may not have enforced its patterns)
            problems = sorted(self._validator.iter_errors(value), key=lambda e: list(e.path))
            if problems:
                raise ValueError(
                    "; ".join(
                        f"{_json_path(p.absolute_path)}: {self._problem(p)}" for p in problems[:5]
                    )
                )
        if self.model is not None:
            try:
                return self.model.model_validate(value)
            except ValidationError as exc:
                raise ValueError(_describe_validation(exc)) from None
        return value

    def _problem(self, error: Any) -> str:
        # a copied span's pattern is too long to show: say what it means
        if error.validator == "pattern" and is_span_pattern(str(error.validator_value)):
            return f"{error.instance!r} is not words copied from the text"
        return str(error.message)

    def instructions(self, level: OutlineLevel = "full") -> str:
        """The shape of the value, compactly (:func:`~.outline.schema_outline`): the
        field names and types, not the whole schema. ``level="names"``: the top-level field
        names only, for a small context."""
        what = "object" if self.schema.get("type") == "object" else "value"
        return (
            f"Answer with one JSON {what} of this shape, and nothing else (no prose, no code "
            f"fences):\n{schema_outline(self.schema, level)}"
        )


def choices(
    options: Iterable[str],
    *,
    mode: ChoiceMode = "generate",
    rank_by: RankBy | None = None,
    calibrate: bool = False,
) -> Choices:
    """The output is exactly one of ``options``: ``choices(["positive", "negative"])``.

    ``mode="rank"`` scores each option by the model's probability after the prompt instead
    of generating (one forward pass over the shared prompt, on a local model); ``rank_by``
    is ``"sum"`` (the default) or ``"mean"`` of the option's token log-probabilities. A
    backend that cannot score (a remote server) generates the answer instead, with a
    warning.

    ``calibrate=True`` (with ``mode="rank"`` and a template prompt) removes the model's
    prior for each label, as in "Calibrate Before Use" (Zhao et al., 2021): the template is
    also scored with its text inputs replaced by content-free ones (``N/A``, ``[MASK]``,
    empty), and each option's mean score there is subtracted. A small model that never
    answers ``neutral``, because the word is unlikely after any text, then can."""
    return Choices(options, mode=mode, rank_by=rank_by, calibrate=calibrate)


def regex(pattern: str) -> Regex:
    """The whole output matches ``pattern``: ``regex(r"[0-9]{3}-[0-9]{4}")``. The dialect
    is Rust's ``regex`` (Python's, without look-around or back-references)."""
    return Regex(pattern)


def json_schema(
    schema: Mapping[str, Any] | type[BaseModel],
    *,
    whitespace: str = JSON_WHITESPACE,
    copy_from: str | None = None,
    max_words: int | None = DEFAULT_SPAN_WORDS,
) -> JsonSchema:
    """The output is JSON valid under ``schema``: a pydantic model class or a JSON schema
    dict. ``whitespace`` is the regex allowed between JSON tokens (default: one optional
    space). An invalid or unsupported schema raises :class:`ConstraintError` here.

    ``copy_from``: a text every plain string field is copied from, as a run of its whole
    words (:mod:`.spans`), for extraction: ``json_schema(Person, copy_from=text)``;
    ``max_words`` bounds each run (12 words by default; ``None`` for any length)."""
    return JsonSchema(schema, whitespace=whitespace, copy_from=copy_from, max_words=max_words)


def as_constraint(spec: Any) -> Constraint:
    """A Constraint from what a user may pass as a schema: a Constraint, a pydantic model
    class, a JSON schema dict, or a list of choices."""
    if isinstance(spec, Constraint):
        return spec
    if isinstance(spec, type) and issubclass(spec, BaseModel):
        return JsonSchema(spec)
    if isinstance(spec, Mapping):
        return JsonSchema(spec)
    if isinstance(spec, (list, tuple)):
        return Choices(spec)
    raise ConstraintError(
        "expected a constraint (choices, regex, json_schema), a pydantic model class, a JSON "
        f"schema dict or a list of choices, not {type(spec).__name__}",
        kind="json_schema",
    )


def constraint_from_output(output: OutputSpec) -> Constraint | None:
    """The constraint a template's ``output:`` declares (``None`` for free text)."""
    if output.type == "choices":
        assert output.choices is not None
        return Choices(
            output.choices, mode=output.mode, rank_by=output.rank_by, calibrate=output.calibrate
        )
    if output.type == "regex":
        assert output.pattern is not None
        return Regex(output.pattern)
    if output.type == "json":
        assert output.json_schema is not None
        return JsonSchema(output.json_schema)
    return None


def constraint_from_response_format(response_format: Mapping[str, Any]) -> Constraint | None:
    """The constraint an OpenAI-style ``response_format`` asks for: ``json_schema`` → its
    schema, ``json_object`` → an object of scalars and lists of scalars (a general JSON
    grammar's automaton is thousands of states; this one compiles in milliseconds),
    ``text`` → none."""
    kind = response_format.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return JsonSchema(_JSON_OBJECT)
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        if not isinstance(schema, Mapping):
            raise ConstraintError(
                "response_format json_schema needs {'json_schema': {'name': ..., 'schema': {...}}}",
                kind="json_schema",
            )
        return JsonSchema(schema)
    raise ConstraintError(
        f"unknown response_format type {kind!r}; expected text, json_object or json_schema",
        kind="json_schema",
    )


_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_JSON_OBJECT = {
    "type": "object",
    "additionalProperties": {"anyOf": [_SCALAR, {"type": "array", "items": _SCALAR}]},
}


# --- helpers of the constraints ----------------------------------------------------------------


def _plain_json(schema: Mapping[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(json.dumps(schema))
    except (TypeError, ValueError) as exc:
        raise ConstraintError(
            f"the JSON schema is not plain JSON: {exc}", kind="json_schema"
        ) from None
    assert isinstance(value, dict)
    return value


def _schema_validator(schema: dict[str, Any]) -> Any:
    from jsonschema import exceptions, validators

    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except exceptions.SchemaError as exc:
        where = _json_path(exc.absolute_path)
        raise ConstraintError(
            f"invalid JSON schema at {where}: {exc.message}",
            kind="json_schema",
            path=where,
        ) from None
    # Formats are checked too ("email", "date", "uuid", ...: those jsonschema can check).
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _schema_pattern(schema: dict[str, Any], whitespace: str) -> str:
    from outlines_core.json_schema import build_regex_from_schema

    try:
        return build_regex_from_schema(json.dumps(schema), whitespace)
    except (ValueError, TypeError) as exc:
        raise ConstraintError(
            f"the JSON schema cannot be enforced by constrained decoding: "
            f"{str(exc).splitlines()[0].strip()} (supported: the types object, array, "
            "string, integer, number, boolean and null, enum, const, anyOf/oneOf/allOf, $ref, "
            "and length, item-count and pattern bounds)",
            kind="json_schema",
        ) from None


def _decode_json(text: str) -> Any:
    """The JSON value in ``text``: the whole text, else the text inside a code fence, else
    the first value that starts with ``{`` or ``[`` (models like to add prose)."""
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError as exc:
        first_error = exc
    fenced = regex_engine.search(r"```(?:json)?\s*(.*?)```", stripped, flags=regex_engine.S)
    if fenced:
        try:
            return json.loads(fenced.group(1))
        except ValueError:
            pass
    decoder = json.JSONDecoder()
    for match in regex_engine.finditer(r"[\[{]", stripped):
        try:
            return decoder.raw_decode(stripped, match.start())[0]
        except ValueError:
            continue
    raise ValueError(f"the output is not valid JSON ({first_error})")


def _describe_validation(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()[:5]
    )


def _json_path(path: Iterable[Any]) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "(root)"
