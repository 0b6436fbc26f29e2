"""The command line: each command through a real subprocess, as a user runs it."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [
    "render",
    "lint",
    "templates",
    "generate",
    "run",
    "agent",
    "serve",
    "demo",
    "eval",
    "tune",
    "models",
]


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "promptcraft", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "usage: promptcraft" in result.stdout


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS if c != "demo")])
def test_help_shows_examples(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    assert "\nexamples:\n  promptcraft " in result.stdout


def test_every_option_of_every_command_explains_itself() -> None:
    from promptcraft.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    unexplained = [
        f"{name} {action.dest}"
        for name, sub in subparsers.choices.items()
        for action in sub._actions
        if not action.help and not isinstance(action, argparse._HelpAction)
    ]
    assert unexplained == []


def test_top_level_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_render_library_template_with_vars() -> None:
    result = run_cli("render", "sentiment", "--var", "text=Great!", "--var", 'labels=["a","b"]')
    assert result.returncode == 0, result.stderr
    assert "one of: a, b." in result.stdout
    assert result.stdout.rstrip().endswith("Text: Great!\nSentiment:")


def test_render_reads_vars_file_from_stdin() -> None:
    result = run_cli("render", "sentiment", "--vars-file", "-", stdin=json.dumps({"text": "Hi"}))
    assert result.returncode == 0, result.stderr
    assert "Text: Hi" in result.stdout


def test_render_counts_tokens_on_stderr() -> None:
    result = run_cli("render", "sentiment", "--var", "text=Hi", "--count-tokens", "cl100k_base")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("tokens (cl100k_base)")


def test_render_chat_template_prints_messages_as_json_lines() -> None:
    result = run_cli("render", "assistant", "--var", "message=hello")
    assert result.returncode == 0, result.stderr
    messages = [json.loads(line) for line in result.stdout.splitlines()]
    assert messages[-1] == {"role": "user", "content": "hello"}


@pytest.mark.parametrize(
    "args, needle",
    [
        (["render", "no_such_template"], "no_such_template"),
        (["render", "sentiment"], "missing input 'text'"),
        (["render", "sentiment", "--var", "text"], "KEY=VALUE"),
        (["render", "sentiment", "--vars-file", "missing.json"], "missing.json"),
        (["render", "sentiment", "--var", "text=x", "--count-tokens", "nope_base"], "nope_base"),
        (["lint", "does/not/exist.prompt"], "does/not/exist.prompt"),
        (["generate", "hi", "--backend", "nope"], "unknown backend spec 'nope'"),
        (["generate", "hi", "--temperature", "-1"], "temperature"),
    ],
)
def test_user_mistakes_exit_2_with_one_line_and_no_traceback(args: list[str], needle: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert needle in result.stderr


def test_render_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.prompt"
    bad.write_text("---\nname: bad\n---\nline one\n{% if %}\n", encoding="utf-8")
    result = run_cli("render", str(bad))
    assert result.returncode == 2
    assert f"{bad}:5" in result.stderr
    assert "Traceback" not in result.stderr


def test_lint_bundled_library_is_clean(repo_root: Path) -> None:
    result = run_cli("lint", str(repo_root / "templates"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_reports_file_line_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.prompt"
    bad.write_text("---\nname: bad\ninputs: {topic: str}\n---\n{{ topik }}\n", encoding="utf-8")
    result = run_cli("lint", str(bad))
    assert result.returncode == 1
    assert f"{bad}:5:" in result.stdout
    assert "topik" in result.stdout


def test_templates_lists_library_with_kinds() -> None:
    result = run_cli("templates")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) >= 10
    assert any(line.startswith("sentiment") and "few_shot" in line for line in lines)


def test_demo_render_only_shows_every_kind() -> None:
    result = run_cli("demo", "--render-only")
    assert result.returncode == 0, result.stderr
    for kind in ("prefix", "few-shot", "hybrid", "reverse", "chat"):
        assert f"=== {kind}:" in result.stdout


def _demo_answers(stdout: str) -> list[str]:
    """The answers `promptcraft demo` printed (">>> ANSWER    [n tokens, r tok/s]")."""
    lines = [line for line in stdout.splitlines() if line.startswith(">>> ")]
    return [line.removeprefix(">>> ").split("    [")[0] for line in lines]


@pytest.mark.slow
def test_demo_on_the_default_model_answers_every_kind_right() -> None:
    result = run_cli("demo")
    assert result.returncode == 0, result.stderr
    assert "model: LocalBackend(model='smollm2')" in result.stdout
    assert _demo_answers(result.stdout) == [
        "I believe the parcel was received.",  # prefix: correct the spelling
        "Berlin",  # few-shot: capitals
        "l'eau",  # hybrid: English to French
        "Spain",  # reverse: the country of a capital
        "The capital of France is Paris.",  # chat
    ]


@pytest.mark.slow
def test_demo_on_pc_tiny_answers_its_curriculum_and_runs_an_agent_on_it() -> None:
    result = run_cli("demo", "--model", "pc-tiny")
    assert result.returncode == 0, result.stderr
    assert _demo_answers(result.stdout) == ["boat tree lamp", "d g f", "star moon sun", "ship", "4"]
    assert "Answer: 33" in result.stdout


@pytest.mark.slow
def test_generate_takes_a_gguf_file_as_the_local_backend(smollm2_gguf: Path) -> None:
    prompt = "Country: France\nCapital: Paris\n\nCountry: Spain\nCapital:"
    args = ["--backend", f"local:{smollm2_gguf}", "--temperature", "0", "--stop", "\\n"]
    result = run_cli("generate", prompt, *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Madrid"


def test_generate_streams_a_completion_with_usage() -> None:
    result = run_cli(
        "generate",
        "Question: 1 + 1\nAnswer:",
        "--max-tokens",
        "3",
        "--usage",
        "--backend",
        "pc-tiny",
    )
    assert result.returncode == 0, result.stderr
    assert "completion_tokens=" in result.stderr
    assert result.stdout.endswith("\n")


def test_run_uses_the_template_defaults_and_stops_at_the_observation() -> None:
    tools = '[{"name": "calculator", "description": "evaluate", "args": {"expression": "string"}}]'
    result = run_cli(
        "run",
        "tool_protocol",
        "--var",
        "question=What is 6 * 7?",
        "--var",
        f"tools={tools}",
        "--usage",
        "--backend",
        "pc-tiny",
    )
    assert result.returncode == 0, result.stderr
    assert "Observation:" not in result.stdout  # the template's stop sequence
    assert "finish_reason=" in result.stderr


def test_run_prints_a_declared_output_as_parsed_json(tmp_path: Path) -> None:
    (tmp_path / "mood.prompt").write_text(
        "---\nname: mood\nkind: prefix\ninputs: {input: str}\n"
        "output: {choices: [happy, sad]}\ndefaults: {max_tokens: 8, temperature: 1.0}\n---\n"
        "{% block instruction %}Is the text happy or sad?{% endblock %}\n",
        encoding="utf-8",
    )
    mood = str(tmp_path / "mood.prompt")
    result = run_cli("run", mood, "--var", "input=I won!", "--seed", "1", "--backend", "pc-tiny")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) in ("happy", "sad")


def test_agent_prints_each_tool_call_its_result_and_the_answer(tmp_path: Path) -> None:
    (tmp_path / "prices.json").write_text('{"pen": 4, "cup": 3}', encoding="utf-8")
    prices = str(tmp_path / "prices.json")
    result = run_cli(
        "agent", "How much do 3 pens cost?", "--lookup", prices, "--backend", "pc-tiny"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("[1] lookup ") for line in lines)
    assert any(line.startswith("[1]   -> ") for line in lines)
    assert any(line.startswith("Answer: ") for line in lines)


def test_agent_with_an_unreadable_lookup_table_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "prices.json").write_text('{"pen": 4,', encoding="utf-8")
    result = run_cli("agent", "How much is a pen?", "--lookup", str(tmp_path / "prices.json"))
    assert result.returncode == 2
    assert "prices.json:1: not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr
