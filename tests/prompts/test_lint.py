"""lint_paths: static and sample checks of .prompt files."""

from __future__ import annotations

from promptcraft.prompts import LintProblem, lint_paths
from promptcraft.utils.paths import bundled_templates_dir

GOOD = """
    name: test
    description: A good template.
    inputs: {text: str}
    samples: [{text: hi}]
"""


def _messages(path) -> list[str]:
    return [p.message for p in lint_paths([path])]


def test_bundled_templates_lint_clean() -> None:
    assert [str(p) for p in lint_paths([bundled_templates_dir()])] == []


def test_a_good_template_has_no_problems(write_prompt) -> None:
    assert lint_paths([write_prompt(GOOD, "Echo {{ text }}")]) == []


def test_problem_prints_as_file_line_message() -> None:
    problem = LintProblem(file="a.prompt", line=3, message="bad", severity="error")
    assert str(problem) == "a.prompt:3: bad"


def test_warning_prints_with_its_severity() -> None:
    problem = LintProblem(file="a.prompt", line=3, message="meh", severity="warning")
    assert str(problem) == "a.prompt:3: warning: meh"


def test_syntax_error_is_reported_with_its_line(write_prompt) -> None:
    (problem,) = lint_paths([write_prompt(GOOD, "ok\n{% if %}\n")])
    assert (problem.line, problem.severity) == (8, "error")


def test_unknown_front_matter_key_is_reported(write_prompt) -> None:
    (problem,) = lint_paths([write_prompt(GOOD + "    colour: red\n", "{{ text }}")])
    assert "colour" in problem.message and problem.line == 6


def test_variable_used_but_not_declared_is_an_error(write_prompt) -> None:
    problem, sample = lint_paths([write_prompt(GOOD, "{{ text }}\n{{ other }}")])
    assert (problem.severity, problem.line) == ("error", 8)
    assert "sample 1 fails: missing input 'other'" in sample.message
    assert "'other' is used but not declared" in problem.message


def test_input_declared_but_never_used_is_a_warning(write_prompt) -> None:
    front = GOOD.replace("inputs: {text: str}", "inputs:\n      text: str\n      spare: str")
    front = front.replace("[{text: hi}]", "[{text: hi, spare: x}]")
    (problem,) = lint_paths([write_prompt(front, "{{ text }}")])
    assert (problem.severity, problem.line, "'spare'" in problem.message) == ("warning", 6, True)


def test_input_used_only_through_the_layout_counts_as_used(write_prompt) -> None:
    front = """
        name: test
        description: d
        kind: few_shot
        inputs: {q: str}
        examples: [{q: a, a: b}]
        layout: {input_key: q, output_key: a}
        samples: [{q: hi}]
    """
    assert lint_paths([write_prompt(front)]) == []


def test_example_missing_a_field_of_the_example_format_is_an_error(write_prompt) -> None:
    front = """
        name: test
        description: d
        kind: few_shot
        inputs: {text: str}
        examples:
          - {text: a, label: b}
          - {text: c}
        samples: [{text: hi}]
    """
    body = (
        "{% block example %}{{ example.text }}={{ example.label }}{% endblock %}"
        "{% block query %}{{ text }}{% endblock %}"
    )
    problem, sample = lint_paths([write_prompt(front, body)])
    assert (problem.line, "'label'" in problem.message) == (8, True)
    assert sample.message.startswith("sample 1 fails")


def test_failing_sample_is_an_error_at_its_line(write_prompt) -> None:
    front = GOOD.replace("samples: [{text: hi}]", "samples:\n      - {text: hi}\n      - {text: 3}")
    (problem,) = lint_paths([write_prompt(front, "{{ text }}")])
    assert (problem.line, problem.message.startswith("sample 2 fails")) == (7, True)


def test_include_that_escapes_the_search_path_is_an_error(write_prompt) -> None:
    problem, _sample = lint_paths([write_prompt(GOOD, '{{ text }}{% include "../x.jinja" %}')])
    assert "'..'" in problem.message and problem.line == 7


def test_include_of_a_missing_template_is_an_error(write_prompt) -> None:
    problem, _sample = lint_paths([write_prompt(GOOD, '{{ text }}{% include "nope.jinja" %}')])
    assert "not found" in problem.message


def test_dynamic_include_is_a_warning(write_prompt) -> None:
    front = GOOD.replace("{text: str}", "{text: str, part: str}").replace(
        "[{text: hi}]", '[{text: hi, part: "x.jinja"}]'
    )
    problems = lint_paths([write_prompt(front, "{{ text }}{% include part ignore missing %}")])
    assert [p.severity for p in problems] == ["warning"]


def test_missing_description_and_name_mismatch_are_warnings(write_prompt) -> None:
    front = "name: other\ninputs: {text: str}\nsamples: [{text: a}]"
    problems = lint_paths([write_prompt(front, "{{ text }}")])
    assert [p.severity for p in problems] == ["warning", "warning"]


def test_folders_are_searched_recursively(write_prompt, tmp_path) -> None:
    write_prompt(GOOD, "{{ nope }}", name="deep/er/test.prompt")
    assert {p.file for p in lint_paths([tmp_path])} == {str(tmp_path / "deep/er/test.prompt")}


def test_a_missing_path_is_reported(tmp_path) -> None:
    (problem,) = lint_paths([tmp_path / "absent.prompt"])
    assert problem.message == "no such file or folder"


def test_input_the_layout_reads_but_not_declared_is_an_error(write_prompt) -> None:
    front = """
        name: test
        description: Questions from answers.
        kind: reverse
        inputs: {question: str}
        examples: [{question: a, answer: b}]
        layout: {input_key: question, output_key: answer}
    """
    problems = lint_paths([write_prompt(front)])
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1 and "input 'answer' is read by the layout" in errors[0].message
    assert errors[0].line == 5


def test_examples_a_prefix_prompt_never_shows_are_a_warning(write_prompt) -> None:
    front = """
        name: test
        description: A prefix prompt with examples.
        inputs: {input: str}
        examples: [{input: a, output: b}]
    """
    problems = lint_paths([write_prompt(front)])
    assert [(p.severity, p.line) for p in problems] == [("warning", 5)]
    assert "kind: hybrid" in problems[0].message
