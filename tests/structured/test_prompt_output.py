"""``output:`` in .prompt files: checked when loaded and by lint, and ``run`` returns the
parsed output (constrained on the local model)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import regex as regex_module

from promptcraft.backends import LocalBackend
from promptcraft.errors import TemplateSyntaxError
from promptcraft.prompts import PromptLibrary, lint_paths, load_prompt


def _write(tmp_path: Path, output: str, name: str = "ask") -> Path:
    path = tmp_path / f"{name}.prompt"
    path.write_text(
        f"---\nname: {name}\ndescription: A test prompt.\ninputs:\n  text: str\n"
        f"{output}\ndefaults: {{max_tokens: 60, temperature: 0}}\n---\n"
        "Text: {{ text }}\nAnswer:",
        encoding="utf-8",
    )
    return path


def test_choices_output_runs_to_one_of_the_choices(bundled: LocalBackend, tmp_path: Path) -> None:
    template = load_prompt(_write(tmp_path, "output:\n  choices: [spam, ham]"))
    assert template.run(bundled, text="Win a prize now!") in ("spam", "ham")


def test_regex_output_runs_to_a_match(bundled: LocalBackend, tmp_path: Path) -> None:
    template = load_prompt(_write(tmp_path, 'output:\n  regex: "[0-9]{2}:[0-9]{2}"'))
    assert regex_module.fullmatch("[0-9]{2}:[0-9]{2}", template.run(bundled, text="noon"))


def test_schema_output_runs_to_a_valid_value(bundled: LocalBackend, tmp_path: Path) -> None:
    output = (
        "output:\n  schema:\n    type: object\n    properties:\n"
        "      city: {type: string, maxLength: 20}\n      year: {type: integer}\n"
        "    required: [city, year]"
    )
    value = load_prompt(_write(tmp_path, output)).run(bundled, text="Rome, 753 BC")
    assert isinstance(value["city"], str) and isinstance(value["year"], int)


def test_arun_returns_the_parsed_output_too(bundled: LocalBackend, tmp_path: Path) -> None:
    template = load_prompt(_write(tmp_path, "output:\n  choices: [spam, ham]"))
    assert asyncio.run(template.arun(bundled, text="Hello mum")) in ("spam", "ham")


def test_text_output_still_returns_the_completion(bundled: LocalBackend, tmp_path: Path) -> None:
    template = load_prompt(_write(tmp_path, "output: text"))
    assert isinstance(template.run(bundled, text="hi").text, str)


def test_an_invalid_regex_fails_at_load_naming_the_output_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateSyntaxError, match="invalid regular expression") as info:
        load_prompt(_write(tmp_path, 'output:\n  regex: "([0-9]"'))
    assert info.value.line == 6


def test_an_invalid_schema_fails_at_load(tmp_path: Path) -> None:
    with pytest.raises(TemplateSyntaxError, match=r"invalid JSON schema at properties\.n"):
        load_prompt(_write(tmp_path, "output:\n  schema: {properties: {n: {type: 7}}}"))


def test_lint_reports_a_bad_output_at_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "output:\n  choices: []")
    problems = lint_paths([path])
    assert [(p.line, p.severity) for p in problems] == [(6, "error")]
    assert "choices" in problems[0].message


def test_lint_accepts_a_valid_output(tmp_path: Path) -> None:
    assert lint_paths([_write(tmp_path, 'output:\n  regex: "[a-z]+"')]) == []


@pytest.mark.parametrize("name", ["classify_intent", "extract_json", "math_reasoning"])
def test_bundled_templates_with_an_output_run_to_parsed_values(name: str) -> None:
    # What is tested is that run() constrains and parses, which pc-tiny shows in a second.
    # The library's few-shot prompts are written for SmolLM2's 8,192 tokens and pass pc-tiny's
    # 512, so the prompt's start is cut (its end, the query and the last examples, stays);
    # tests/prompts/test_bundled_templates.py checks that they fit SmolLM2 whole.
    backend = LocalBackend.load("pc-tiny", truncate="left")
    template = PromptLibrary().get(name)
    sample = template.samples[0]
    value = template.run(backend, **sample)
    if template.output.type == "choices":
        assert value in template.output.choices
    else:
        assert isinstance(value, dict)
