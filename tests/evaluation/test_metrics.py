from __future__ import annotations

import sys
from pathlib import Path

import pytest

from promptcraft.constraints.output_spec import OutputSpec
from promptcraft.errors import EvaluationError
from promptcraft.evaluation import MetricResult, ScoringContext, parse_metric
from promptcraft.evaluation.metrics import extract_choice

NO_CONTEXT = ScoringContext()


def _score(spec: str, output: str, expected: object, context: ScoringContext = NO_CONTEXT) -> float:
    return parse_metric(spec).score(output, expected, context).score


def test_exact_strips_surrounding_whitespace() -> None:
    assert _score("exact", " 42\n", "42") == 1.0


def test_exact_is_case_sensitive_by_default() -> None:
    assert _score("exact", "Paris", "paris") == 0.0


def test_exact_options_ignore_case_and_punctuation() -> None:
    assert _score("exact:ignore_case,ignore_punctuation", "Paris.", "paris") == 1.0


def test_exact_unknown_option_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="unknown option 'ignore_cases'"):
        parse_metric("exact:ignore_cases")


def test_contains_accepts_any_of_a_list() -> None:
    assert _score("contains", "it is blue", ["red", "blue"]) == 1.0


def test_contains_ignore_case() -> None:
    assert _score("contains:ignore_case", "BLUE sky", "blue") == 1.0


def test_extract_choice_prefers_the_choice_the_output_starts_with() -> None:
    assert extract_choice("negative, not positive", ["positive", "negative"]) == "negative"


def test_extract_choice_finds_a_whole_word_inside_the_output() -> None:
    assert extract_choice("I think it is positive.", ["positive", "negative"]) == "positive"


def test_extract_choice_ignores_a_choice_inside_another_word() -> None:
    assert extract_choice("unpositiveness", ["positive"]) is None


def test_choice_takes_choices_from_the_template_output() -> None:
    context = ScoringContext(output_spec=OutputSpec(type="choices", choices=("yes", "no")))
    assert _score("choice", "No.", "no", context) == 1.0


def test_choice_without_choices_anywhere_raises() -> None:
    with pytest.raises(EvaluationError, match="needs choices"):
        _score("choice", "yes", "yes")


def test_regex_with_a_group_compares_the_group_with_expected() -> None:
    assert _score("regex:answer is (\\d+)", "the answer is 12.", "12") == 1.0


def test_regex_without_a_group_needs_only_a_match() -> None:
    metric = parse_metric("regex:^\\d+$")
    assert metric.needs_expected is False
    assert metric.score("123", None, NO_CONTEXT).score == 1.0


def test_invalid_regex_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="invalid pattern"):
        parse_metric("regex:(")


SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def test_json_schema_accepts_valid_json_inside_prose() -> None:
    context = ScoringContext(output_spec=OutputSpec(type="json", json_schema=SCHEMA))
    assert _score("json_schema", 'Here: {"name": "Ann", "age": 3}', None, context) == 1.0


def test_json_schema_rejects_json_the_schema_rejects() -> None:
    context = ScoringContext(output_spec=OutputSpec(type="json", json_schema=SCHEMA))
    result = parse_metric("json_schema").score('{"name": "Ann"}', None, context)
    assert result.score == 0.0
    assert "age" in (result.detail or "")


def test_json_schema_scores_the_fraction_of_expected_fields() -> None:
    output = '{"name": "Ann", "age": 4}'
    assert _score("json_schema", output, {"name": "Ann", "age": 3}) == 0.5


def test_json_schema_scores_zero_without_json() -> None:
    assert _score("json_schema", "no json here", None) == 0.0


def test_json_schema_reads_a_schema_file(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text('{"type": "array"}', encoding="utf-8")
    assert _score(f"json_schema:{path}", '{"a": 1}', None) == 0.0


def test_python_metric_is_imported_by_module_and_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_eval_metrics.py").write_text(
        "def starts_same(output, expected):\n    return output[:1] == expected[:1]\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert _score("python:my_eval_metrics:starts_same", "apple", "avocado") == 1.0
    finally:
        sys.modules.pop("my_eval_metrics", None)


def test_python_metric_with_three_parameters_sees_the_inputs() -> None:
    metric = parse_metric(lambda output, expected, inputs: output == inputs["x"])
    assert metric.score("a", None, ScoringContext(inputs={"x": "a"})).score == 1.0


def test_python_metric_may_return_a_metric_result() -> None:
    metric = parse_metric(lambda output, expected: MetricResult(score=0.25, detail="partial"))
    assert metric.score("x", "y", NO_CONTEXT).detail == "partial"


def test_python_metric_returning_out_of_range_raises() -> None:
    metric = parse_metric(lambda output, expected: 3)
    with pytest.raises(ValueError, match="outside"):
        metric.score("x", "y", NO_CONTEXT)


def test_missing_python_module_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="cannot import module"):
        parse_metric("python:no_such_module_here:f")


def test_unknown_metric_lists_the_forms() -> None:
    with pytest.raises(EvaluationError, match=r"unknown metric 'bleu'.*exact"):
        parse_metric("bleu")
