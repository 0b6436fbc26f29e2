"""The command line on a user's mistakes: one clear line that names the file, option or
field, exit status 2 (1 for an evaluation whose items failed), and never a traceback.

These call :func:`promptcraft.cli.main` in this process (an unhandled exception fails the
test just as a traceback would), with the real bundled model and real components."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from promptcraft.cli import main

UNREACHABLE = "http://127.0.0.1:9/v1"  # the discard port: nothing listens, connect is refused


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``promptcraft ARGS``; argparse's exit included."""
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse rejects an option value
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def error_of(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The error line of a command that must fail with status 2."""
    code, _, err = cli(capsys, *args)
    assert code == 2, err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text(
        '{"text": "I loved it", "expected": "positive"}\n'
        '{"text": "It broke", "expected": "negative"}\n',
        encoding="utf-8",
    )
    return path


# --- templates -----------------------------------------------------------------------------


def test_run_with_missing_template_file_names_the_file_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.prompt"
    line = error_of(capsys, "run", str(missing))
    assert line == f"promptcraft run: error: {missing}: no such file"


def test_missing_prompt_file_named_like_a_library_template_suggests_the_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    line = error_of(capsys, "render", "sentiment.prompt")
    assert "sentiment.prompt: no such file (the library has a template named 'sentiment')" in line


def test_render_a_folder_says_it_is_a_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    line = error_of(capsys, "render", str(tmp_path))
    assert f"{tmp_path}: is a folder" in line


def test_render_a_library_name_still_works_beside_a_folder_of_that_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "sentiment").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "render", "sentiment", "--var", "text=Great")
    assert code == 0, err
    assert out.rstrip().endswith("Text: Great\nSentiment:")


def test_render_a_local_file_name_without_suffix_points_at_the_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "mine.prompt").write_text("---\nname: mine\n---\nhi\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    line = error_of(capsys, "render", "mine")
    assert "write mine.prompt" in line


def test_render_with_a_missing_templates_folder_names_it_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    line = error_of(capsys, "render", "sentiment", "--var", "text=x", "--templates", str(missing))
    assert f"--templates {missing}: no such folder" in line


def test_templates_with_a_missing_folder_names_it_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    line = error_of(capsys, "templates", str(tmp_path / "nowhere"))
    assert f"{tmp_path / 'nowhere'}: no such folder" in line


def test_render_with_empty_vars_file_on_stdin_says_stdin_is_empty(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    line = error_of(capsys, "render", "sentiment", "--vars-file", "-")
    assert "<stdin> is empty; expected a JSON object of inputs" in line


def test_lint_a_folder_without_prompt_files_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    line = error_of(capsys, "lint", str(tmp_path))
    assert f"{tmp_path}: no .prompt files in this folder" in line


# --- options -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, needle",
    [
        (["generate", "hi", "--max-tokens", "0"], "argument --max-tokens: expected a whole"),
        (["generate", "hi", "--temperature", "5"], "argument --temperature: expected a number"),
        (["run", "sentiment", "--top-p", "0"], "argument --top-p: expected a number above 0"),
        (["agent", "What is 2 + 2?", "--max-steps", "0"], "argument --max-steps: expected"),
        (["eval", "sentiment", "--data", "d.jsonl", "--limit", "0"], "argument --limit:"),
        (["eval", "sentiment", "--data", "d.jsonl", "--batch-size", "0"], "argument --batch-size"),
        (["eval", "sentiment", "--data", "d.jsonl", "--concurrency", "-1"], "--concurrency"),
        (["tune", "d.jsonl", "--max-steps", "0"], "argument --max-steps: expected a whole"),
        (["tune", "d.jsonl", "--val-fraction", "1.5"], "argument --val-fraction: expected"),
        (["tune", "d.jsonl", "--lr", "-1"], "argument --lr: expected a number above 0"),
        (["tune", "d.jsonl", "--threads", "0"], "argument --threads: expected a whole"),
        (["serve", "--port", "99999"], "argument --port: expected a port from 0 to 65535"),
    ],
)
def test_out_of_range_numeric_option_names_the_option_and_exits_2(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    assert needle in error_of(capsys, *args)


# --- backends ------------------------------------------------------------------------------


def test_model_name_with_the_local_backend_exits_2_naming_the_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = error_of(capsys, "generate", "hi", "--model-name", "llama3")
    assert "--model-name only applies to a server backend" in line


def test_api_key_env_naming_an_unset_variable_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMPTCRAFT_TEST_UNSET_KEY", raising=False)
    line = error_of(
        capsys,
        "generate",
        "hi",
        "--backend",
        UNREACHABLE,
        "--model-name",
        "m",
        "--api-key-env",
        "PROMPTCRAFT_TEST_UNSET_KEY",
    )
    assert "--api-key-env PROMPTCRAFT_TEST_UNSET_KEY: that environment variable is not set" in line


@pytest.mark.parametrize("command", ["generate hi", "eval sentiment --data d.jsonl"])
def test_server_url_without_model_name_asks_for_model_name(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    line = error_of(capsys, *command.split(), "--backend", UNREACHABLE)
    assert f"--backend {UNREACHABLE} names a server but no model: add --model-name NAME" in line


def test_model_given_by_spec_and_model_name_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    line = error_of(
        capsys, "generate", "hi", "--backend", "openai:gpt-4o-mini", "--model-name", "other"
    )
    assert "already names the model 'gpt-4o-mini'; drop --model-name" in line


# --- generate, agent, demo -----------------------------------------------------------------


def test_generate_with_empty_stdin_exits_2_without_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert error_of(capsys, "generate", "-").endswith("nothing to complete: stdin was empty")


def test_agent_with_an_empty_task_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert "the task is empty" in error_of(capsys, "agent", "  ")


def test_agent_trace_path_that_is_a_folder_names_it_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    line = error_of(
        capsys, "agent", "What is 2 + 2?", "--trace", str(tmp_path), "--backend", "pc-tiny"
    )
    assert line == f"promptcraft agent: error: {tmp_path}: Is a directory"


def test_demo_with_a_missing_model_path_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    line = error_of(capsys, "demo", "--model", str(tmp_path / "nomodel"))
    assert f"model path {tmp_path / 'nomodel'} does not exist" in line


# --- eval and tune -------------------------------------------------------------------------


def test_eval_out_with_an_unknown_suffix_fails_before_running(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    line = error_of(capsys, "eval", "sentiment", "--data", str(data), "--out", "report.txt")
    assert "--out report.txt: cannot write the report as a '.txt' file" in line


def test_eval_cache_that_is_a_folder_exits_2(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    line = error_of(capsys, "eval", "sentiment", "--data", str(data), "--cache", str(tmp_path))
    assert f"--cache {tmp_path} is a folder" in line


def test_eval_against_an_unreachable_server_says_why_and_exits_1(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    code, _, err = cli(
        capsys,
        "eval",
        "sentiment",
        "--data",
        str(data),
        "--backend",
        UNREACHABLE,
        "--model-name",
        "m",
        "--no-cache",
        "--quiet",
    )
    assert code == 1
    assert "sentiment: 2 of 2 items failed; first at" in err
    assert "data.jsonl:1 (generate): BackendUnavailableError: no answer from the server at " in err


def test_eval_where_the_metric_scores_no_item_exits_1(
    capsys: pytest.CaptureFixture[str],
    data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "broken_metric.py").write_text(
        "def score(output, expected):\n    raise ValueError('not my day')\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(
        capsys,
        "eval",
        "sentiment",
        "--data",
        str(data),
        "--metric",
        "python:broken_metric:score",
        "--no-cache",
        "--quiet",
    )
    assert code == 1
    assert "sentiment: 2 of 2 items failed" in err
    assert "not my day" in err


def test_tune_out_that_is_a_folder_exits_2_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    line = error_of(capsys, "tune", "data.jsonl", "--out", str(tmp_path))
    assert f"--out {tmp_path} is a folder; give the adapter file" in line


def test_tune_plot_without_compare_is_an_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    line = error_of(capsys, "tune", "data.jsonl", "--plot", "methods.png")
    assert line == "promptcraft tune: error: --plot needs --compare"


# --- rough edges found on the real model ---------------------------------------------------


def test_run_takes_a_folder_of_templates_like_render(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "greet.prompt").write_text(
        "---\nname: greet\nkind: prefix\ninputs: {input: str}\n"
        "defaults: {max_tokens: 2, temperature: 0}\n---\n"
        "{% block instruction %}Say hello.{% endblock %}\n",
        encoding="utf-8",
    )
    args = ["run", "greet", "--templates", str(tmp_path), "--var", "input=Ann"]
    code, out, err = cli(capsys, *args, "--backend", "pc-tiny")
    assert code == 0, err
    assert out.endswith("\n")


def test_templates_lists_every_template_and_names_each_broken_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "good.prompt").write_text(
        "---\nname: good\ndescription: A fine one.\nkind: prefix\n---\nHello.\n", encoding="utf-8"
    )
    (tmp_path / "bad.prompt").write_text(
        "---\nname: bad\nkind: prefix\n---\n{% if x %}never closed\n", encoding="utf-8"
    )
    code, out, err = cli(capsys, "templates", str(tmp_path))
    assert code == 1
    assert "Traceback" not in err
    lines = out.splitlines()
    assert any(line.startswith("good ") and "A fine one." in line for line in lines)
    (broken,) = [line for line in lines if line.startswith("bad ")]
    assert "BROKEN" in broken and "bad.prompt" in broken
    assert any(line.startswith("sentiment ") for line in lines)  # the library after it
    assert "1 template(s) do not load" in err


def test_a_prompt_longer_than_the_context_names_the_cli_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    long_prompt = "word " * 600  # pc-tiny's context is 512 tokens
    line = error_of(capsys, "generate", long_prompt, "--backend", "pc-tiny", "--max-tokens", "4")
    assert "add --truncate left" in line
    assert "truncate='left'" not in line


def test_truncate_left_fits_a_long_prompt_into_the_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    long_prompt = "word " * 600
    args = ["--backend", "pc-tiny", "--max-tokens", "4", "--truncate", "left", "--usage"]
    code, _, err = cli(capsys, "generate", long_prompt, *args)
    assert code == 0, err
    assert "completion_tokens=" in err


def test_truncate_is_refused_for_a_server_backend(capsys: pytest.CaptureFixture[str]) -> None:
    line = error_of(
        capsys,
        "generate",
        "hi",
        "--backend",
        UNREACHABLE,
        "--model-name",
        "m",
        "--truncate",
        "left",
    )
    assert "--truncate applies to a local model only" in line


def test_threads_is_refused_for_a_server_backend(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--backend", UNREACHABLE, "--model-name", "m", "--threads", "1")
    line = error_of(capsys, "generate", "hi", *args)
    assert "--threads applies to a local model only" in line


def test_threads_below_one_names_the_option_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = error_of(capsys, "generate", "hi", "--backend", "pc-tiny", "--threads", "0")
    assert "--threads" in line


@pytest.mark.parametrize("command", ["generate", "run", "eval", "agent", "serve", "demo", "tune"])
def test_every_command_that_runs_a_model_takes_threads(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, out, _ = cli(capsys, command, "--help")
    assert code == 0
    assert "--threads N" in out


def test_dtype_is_refused_for_a_server_backend(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--backend", UNREACHABLE, "--model-name", "m", "--dtype", "int8")
    line = error_of(capsys, "generate", "hi", *args)
    assert "--dtype applies to a local model only" in line


@pytest.mark.parametrize("dtype", ["int8", "int4", "int4-g64"])
def test_generate_on_quantised_weights_answers(
    capsys: pytest.CaptureFixture[str], dtype: str
) -> None:
    args = ("--backend", "pc-tiny", "--dtype", dtype, "--max-tokens", "3", "--usage")
    code, _, err = cli(capsys, "generate", "Hello", *args)
    assert code == 0, err
    assert "completion_tokens=" in err


def test_an_int4_group_size_torch_cannot_use_names_the_ones_it_can(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = error_of(capsys, "generate", "hi", "--backend", "pc-tiny", "--dtype", "int4-g48")
    assert "argument --dtype" in line and "int4-g64" in line


def test_compile_is_refused_for_a_server_backend(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--backend", UNREACHABLE, "--model-name", "m", "--compile")
    line = error_of(capsys, "generate", "hi", *args)
    assert "--compile applies to a local model only" in line
