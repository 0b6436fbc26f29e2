"""Metrics: how well one completion answers one row. Each returns a score in [0, 1].

==========================  =================================================================
``exact``                   the output equals the expected answer, after stripping; options
                            ``exact:ignore_case,ignore_punctuation,ignore_whitespace``
``contains``                the expected answer (or any of a list of them) occurs in the
                            output; ``contains:ignore_case``
``choice``                  the choice the output picks equals the expected one; choices from
                            the template's ``output: {choices: [...]}`` or ``choice:yes,no``
``regex:PATTERN``           with a group: the first group's text equals the expected answer;
                            without: the pattern occurs in the output (no expected needed)
``json_schema``             the output is JSON valid for the template's ``output: {schema:}``
                            (or ``json_schema:schema.json``); with an expected object, the
                            score is the fraction of its fields the output matches
``python:module:function``  ``function(output, expected)`` (or with a third argument, the
                            row's inputs) returning a bool, a number in [0, 1] or a
                            :class:`MetricResult`
==========================  =================================================================

A metric that raises on one row is recorded on that row (the run goes on); see
:func:`~promptcraft.evaluation.run.evaluate`. A metric may define
``check_template(name, template)``, which :func:`~promptcraft.evaluation.run.evaluate` calls
for every template before generating, to refuse one it can never score.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import numbers
import re
import string
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from ..constraints.output_spec import OutputSpec
from ..errors import EvaluationError
from .json_output import JsonSchemaMatch

__all__ = [
    "METRIC_FORMS",
    "Choice",
    "Contains",
    "ExactMatch",
    "Metric",
    "MetricResult",
    "PythonMetric",
    "RegexMatch",
    "ScoringContext",
    "extract_choice",
    "parse_metric",
]

METRIC_FORMS = (
    "exact[:ignore_case,ignore_punctuation,ignore_whitespace], contains[:ignore_case], "
    "choice[:A,B,...], regex:PATTERN, json_schema[:FILE.json], python:module:function"
)


class MetricResult(BaseModel):
    """A score in [0, 1] and, optionally, a short note on why (shown in reports)."""

    model_config = ConfigDict(frozen=True)

    score: float
    detail: str | None = None


class ScoringContext(BaseModel):
    """What a metric may look at besides the output: the row's inputs and the template's
    declared output (its choices or JSON schema)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    inputs: dict[str, Any] = {}
    output_spec: OutputSpec | None = None


@runtime_checkable
class Metric(Protocol):
    """Scores one completion. ``needs_expected``: rows must carry an expected answer."""

    name: str
    needs_expected: bool

    def score(self, output: str, expected: Any, context: ScoringContext) -> MetricResult: ...


class ExactMatch:
    """The output equals the expected answer after stripping surrounding whitespace, and
    optionally ignoring case, punctuation and inner whitespace differences."""

    needs_expected = True

    def __init__(
        self,
        *,
        ignore_case: bool = False,
        ignore_punctuation: bool = False,
        ignore_whitespace: bool = False,
    ) -> None:
        self.ignore_case = ignore_case
        self.ignore_punctuation = ignore_punctuation
        self.ignore_whitespace = ignore_whitespace
        options = [
            name
            for name, on in (
                ("ignore_case", ignore_case),
                ("ignore_punctuation", ignore_punctuation),
                ("ignore_whitespace", ignore_whitespace),
            )
            if on
        ]
        self.name = "exact" + (":" + ",".join(options) if options else "")

    def normalize(self, text: str) -> str:
        text = text.strip()
        if self.ignore_case:
            text = text.casefold()
        if self.ignore_punctuation:
            text = text.translate(_NO_PUNCTUATION).strip()
        if self.ignore_whitespace:
            text = " ".join(text.split())
        return text

    def score(self, output: str, expected: Any, context: ScoringContext) -> MetricResult:
        return MetricResult(score=float(self.normalize(output) == self.normalize(str(expected))))


_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)


class Contains:
    """The expected answer occurs in the output; with a list, any of its items does."""

    needs_expected = True

    def __init__(self, *, ignore_case: bool = False) -> None:
        self.ignore_case = ignore_case
        self.name = "contains:ignore_case" if ignore_case else "contains"

    def score(self, output: str, expected: Any, context: ScoringContext) -> MetricResult:
        wanted = [str(e) for e in expected] if isinstance(expected, list) else [str(expected)]
        if self.ignore_case:
            output, wanted = output.casefold(), [w.casefold() for w in wanted]
        return MetricResult(score=float(any(w in output for w in wanted)))


class Choice:
    """The choice the output picks (see :func:`extract_choice`) equals the expected one,
    ignoring case. Choices come from the constructor or the template's output spec."""

    needs_expected = True

    def __init__(self, choices: tuple[str, ...] | None = None) -> None:
        self.choices = choices
        self.name = "choice" + (":" + ",".join(choices) if choices else "")

    def check_template(self, name: str, template: Any) -> None:
        """Refuse, before any generation, a template this metric has no choices for."""
        spec = getattr(template, "output", None)
        if not self.choices and not (spec is not None and spec.choices):
            raise EvaluationError(
                f"the choice metric needs choices, and template {name!r} declares none: add "
                "`output: {choices: [...]}` to it, or write the metric as choice:A,B,..."
            )

    def score(self, output: str, expected: Any, context: ScoringContext) -> MetricResult:
        choices = self.choices
        if choices is None and context.output_spec is not None:
            choices = context.output_spec.choices
        if not choices:
            raise EvaluationError(
                "the choice metric needs choices: declare `output: {choices: [...]}` in the "
                "template, or write the metric as choice:A,B,..."
            )
        picked = extract_choice(output, choices)
        if picked is None:
            return MetricResult(score=0.0, detail="no choice in the output")
        return MetricResult(score=float(picked.casefold() == str(expected).strip().casefold()))


def extract_choice(output: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The choice an output picks: the one it starts with (the longest, when several do),
    else the one whose first whole-word occurrence comes first; ``None`` when none occurs.
    Case is ignored."""
    text = output.strip().casefold()
    starting = [c for c in choices if text.startswith(c.casefold())]
    if starting:
        return max(starting, key=len)
    best: tuple[int, str] | None = None
    for choice in choices:
        found = re.search(rf"(?<!\w){re.escape(choice.casefold())}(?!\w)", text)
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), choice)
    return best[1] if best else None


class RegexMatch:
    """With a capturing group: the first group's text (stripped) equals the expected
    answer. Without: the pattern occurs in the output."""

    def __init__(self, pattern: str) -> None:
        try:
            self.pattern = re.compile(pattern)
        except re.error as exc:
            raise EvaluationError(f"metric regex:{pattern}: invalid pattern: {exc}") from None
        self.name = f"regex:{pattern}"
        self.needs_expected = self.pattern.groups > 0

    def score(self, output: str, expected: Any, context: ScoringContext) -> MetricResult:
        found = self.pattern.search(output)
        if found is None:
            return MetricResult(score=0.0, detail="no match")
        if not self.needs_expected:
            return MetricResult(score=1.0)
        captured = (found.group(1) or "").strip()
        return MetricResult(score=float(captured == str(expected).strip()), detail=captured)


class PythonMetric:
    """A function of yours: ``fn(output, expected)`` or ``fn(output, expected, inputs)``,
    returning a bool, a number in [0, 1] or a :class:`MetricResult`."""

    needs_expected = False

    def __init__(self, function: Callable[..., Any], name: str | None = None) -> None:
        self.function = function
        self.name: str = name or str(getattr(function, "__name__", "python"))
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):  # a builtin without a signature
            self._with_inputs = False
            return
        positional = [
            p
            for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
        self._with_inputs = len(positional) >= 3 or any(
            p.kind == p.VAR_POSITIONAL for p in positional
        )
        arguments = ("output", "expected", "inputs") if self._with_inputs else ("output", "x")
        try:
            signature.bind(*arguments)
        except TypeError:
            raise EvaluationError(
                f"metric {self.name!r} cannot be called as {self.name}(output, expected) or "
                f"{self.name}(output, expected, inputs): its signature is {signature}"
            ) from None

    def score(self, output: str, expected: Any, context: ScoringContext) -> MetricResult:
        args = (output, expected, context.inputs) if self._with_inputs else (output, expected)
        return as_result(self.function(*args), self.name)


def as_result(value: Any, name: str) -> MetricResult:
    """A metric function's return value as a MetricResult, or a TypeError saying what is
    wrong with it."""
    if isinstance(value, MetricResult):
        result = value
    elif isinstance(value, numbers.Real):  # bool, int, float, and numpy's numbers
        result = MetricResult(score=float(value))
    else:
        raise TypeError(
            f"metric {name!r} returned {type(value).__name__}; return a bool, a number in "
            "[0, 1] or a MetricResult"
        )
    if math.isnan(result.score) or not 0.0 <= result.score <= 1.0:
        raise ValueError(f"metric {name!r} returned {result.score}, outside [0, 1]")
    return result


def parse_metric(spec: str | Metric | Callable[..., Any]) -> Metric:
    """A metric from its name (see the module docs), a Metric, or a plain function."""
    if isinstance(spec, Metric):
        return spec
    if callable(spec) and not isinstance(spec, str):
        return PythonMetric(spec)
    if not isinstance(spec, str):
        raise EvaluationError(f"a metric is a name or a function, not {spec!r}; use {METRIC_FORMS}")
    name, _, argument = spec.partition(":")
    if name == "exact":
        return ExactMatch(**_flags(spec, argument, ExactMatch.__init__))
    if name == "contains":
        return Contains(**_flags(spec, argument, Contains.__init__))
    if name == "choice":
        choices = tuple(c.strip() for c in argument.split(",") if c.strip())
        return Choice(choices or None)
    if name == "regex" and argument:
        return RegexMatch(argument)
    if name == "json_schema":
        return JsonSchemaMatch(_schema_file(argument) if argument else None)
    if name == "python" and argument:
        return PythonMetric(_import_function(argument), name=spec)
    raise EvaluationError(f"unknown metric {spec!r}; use {METRIC_FORMS}")


def _flags(spec: str, argument: str, init: Callable[..., Any]) -> dict[str, bool]:
    known = [p for p in inspect.signature(init).parameters if p != "self"]
    flags = [f.strip() for f in argument.split(",") if f.strip()]
    for flag in flags:
        if flag not in known:
            raise EvaluationError(
                f"metric {spec!r}: unknown option {flag!r}; expected some of {', '.join(known)}"
            )
    return dict.fromkeys(flags, True)


def _schema_file(name: str) -> Mapping[str, Any]:
    path = Path(name)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvaluationError(f"metric json_schema:{name}: cannot read the schema: {exc}") from None
    except json.JSONDecodeError as exc:
        raise EvaluationError(
            f"metric json_schema:{name}:{exc.lineno}: the schema is not JSON: {exc.msg}"
        ) from None
    if not isinstance(schema, dict):
        raise EvaluationError(f"metric json_schema:{name}: the schema must be a JSON object")
    return schema


def _import_function(target: str) -> Callable[..., Any]:
    module_name, _, attribute = target.rpartition(":")
    if not module_name or not attribute:
        raise EvaluationError(
            f"metric python:{target}: write it as python:module:function (such as "
            "python:my_metrics:score)"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EvaluationError(
            f"metric python:{target}: cannot import module {module_name!r}: {exc} (is it on "
            "PYTHONPATH, or in the current directory?)"
        ) from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise EvaluationError(
            f"metric python:{target}: module {module_name!r} has no function {attribute!r}"
        )
    return function
