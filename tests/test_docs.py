"""Docs are runnable: every ```python block of the README runs, and so does every example.

The README's shell blocks run too, where they need nothing beyond this machine: the tour's
`promptcraft` commands, the `promptcraft agent` transcript, and the `promptcraft serve`
walkthrough (curl and the official `openai` client against a real server). Blocks marked
```py need a server elsewhere (vLLM, llama.cpp, Ollama, api.openai.com); only the one aimed
at `promptcraft serve` runs here.
"""

from __future__ import annotations

import contextlib
import filecmp
import io
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import promptcraft as pc

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.py"))
# Examples below examples/ that test_example_runs does not collect, and the test that runs each.
NESTED_EXAMPLES = {
    "eval/run_eval.py": "tests/evaluation/test_example_eval.py",
    "eval/summary.py": "tests/evaluation/test_example_eval.py",
    "eval/tasks.py": "tests/evaluation/test_example_eval.py",
    "eval/pc_tiny/run_eval.py": "tests/evaluation/test_example_eval.py",
    "eval/pc_tiny/make_data.py": "tests/test_docs.py",
}


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _blocks(markdown: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", markdown, flags=re.S | re.M)


def _section(markdown: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = markdown.index(f"\n{heading}\n")
    stop = re.compile(rf"^#{{1,{level}}} ", flags=re.M)
    # Skip fenced blocks, whose comment lines also start with '#'.
    text = markdown[start + len(heading) + 2 :]
    outside = re.sub(r"^```.*?^```", lambda m: " " * len(m.group()), text, flags=re.S | re.M)
    found = stop.search(outside)
    return text[: found.start()] if found else text


def _shell_env() -> dict[str, str]:
    """The environment of a user whose venv is active: `promptcraft` and `python` are ours."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "PYTHONUNBUFFERED": "1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _needs_local_models() -> None:
    """The README runs on both local models: pc-tiny (in models/) and the default, SmolLM2
    (installed by `make install`)."""
    from promptcraft.nn.catalog import local_models

    missing = [m for m in local_models() if not m.installed]
    if missing:
        pytest.skip(f"local model {missing[0].name} is not installed ({missing[0].install})")


# A line of a README python block that shows its output: `print(...)  # -> OUTPUT`.
_SHOWN = re.compile(r"^(?P<indent>[ ]*)(?P<call>print\(.*\))[ ]+# -> (?P<shown>.*)$", flags=re.M)


def _shows(shown: str, call: Callable[[], None]) -> None:
    """Run a `print(...)  # -> OUTPUT` line: it must print OUTPUT (a trailing "..." stands for
    the rest of the line)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        call()
    sys.stdout.write(buffer.getvalue())
    printed = buffer.getvalue().removesuffix("\n")
    if shown.endswith("..."):
        assert printed.startswith(shown.removesuffix("...").rstrip()), (shown, printed)
    else:
        assert printed == shown, (shown, printed)


def _checked(block: str) -> str:
    """``block`` with every line that shows its output turned into a check of that output."""
    return _SHOWN.sub(lambda m: f"{m['indent']}_shows({m['shown']!r}, lambda: {m['call']})", block)


def test_readme_python_snippets_run_and_print_what_they_show(tmp_path: Path) -> None:
    _needs_local_models()
    blocks = _blocks(_readme(), "python")
    assert blocks, "README.md has no ```python blocks"
    assert sum(len(_SHOWN.findall(block)) for block in blocks) >= 8
    # The snippets form one tour: run them in order, in one namespace, from a scratch dir.
    namespace: dict[str, object] = {"__name__": "__readme__", "_shows": _shows}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for i, block in enumerate(blocks, 1):
            exec(compile(_checked(block), f"README.md[python block {i}]", "exec"), namespace)
    finally:
        os.chdir(cwd)


def test_a_shown_output_that_the_code_does_not_print_fails() -> None:
    namespace: dict[str, object] = {"_shows": _shows}
    exec(_checked('print("Paris")  # -> Paris'), namespace)
    with pytest.raises(AssertionError):
        exec(_checked('print("Lyon")  # -> Paris'), namespace)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(example: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(example)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_example_runs_in_some_test() -> None:
    nested = {
        path.relative_to(REPO_ROOT / "examples").as_posix()
        for path in (REPO_ROOT / "examples").rglob("*.py")
        if path.parent != REPO_ROOT / "examples"
    }
    assert nested == set(NESTED_EXAMPLES), "add the new example to NESTED_EXAMPLES and run it"
    for example, test in NESTED_EXAMPLES.items():
        assert Path(example).name in (REPO_ROOT / test).read_text(encoding="utf-8"), test


def test_eval_make_data_rewrites_the_committed_dataset(tmp_path: Path) -> None:
    source = REPO_ROOT / "examples" / "eval" / "pc_tiny"
    shutil.copy(source / "make_data.py", tmp_path)  # it writes next to itself
    result = subprocess.run(
        [sys.executable, "make_data.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("pool.jsonl", "data.jsonl"):
        assert filecmp.cmp(tmp_path / name, source / name, shallow=False), name


def _shell_tour(tmp_path: Path) -> str:
    """The tour's shell block, run from a folder holding what the tour wrote before it."""
    tour = _section(_readme(), "## A five-minute tour")
    (block,) = _blocks(_section(tour, "### From the shell"), "bash")
    (writer,) = [b for b in _blocks(tour, "python") if 'Path("shout.prompt")' in b]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(writer, "README.md[shout.prompt]", "exec"), {"pc": pc})
    finally:
        os.chdir(cwd)
    (tmp_path / "templates").symlink_to(REPO_ROOT / "templates")  # `lint templates/`
    # `promptcraft serve` runs until stopped: test_readme_serve_walkthrough_runs runs it.
    return "\n".join(line for line in block.splitlines() if "promptcraft serve" not in line)


@pytest.mark.slow
def test_readme_shell_commands_run(tmp_path: Path) -> None:
    _needs_local_models()
    script = _shell_tour(tmp_path)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=_shell_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "Input: good morning\nOutput:" in result.stdout
    assert 'Action: {"tool": "calculator"' in result.stdout


def test_readme_cli_mistake_is_one_line_and_status_2(tmp_path: Path) -> None:
    assert "exits with status 2, never a traceback" in _readme()
    result = subprocess.run(
        [sys.executable, "-m", "promptcraft", "render", "sentiment"],  # its input is missing
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "missing input 'text'" in result.stderr


@pytest.mark.slow
def test_readme_agent_transcript_is_what_the_command_prints(tmp_path: Path) -> None:
    _needs_local_models()
    (block,) = [b for b in _blocks(_readme(), "bash") if b.startswith("$ promptcraft agent")]
    first, *expected = block.strip().splitlines()
    command, prices = first.removeprefix("$ ").split("   # ")
    (tmp_path / "prices.json").write_text(prices, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "promptcraft", *shlex.split(command)[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # Greedy decoding: the same calls, answer and token counts on every run.
    assert result.stdout.strip().splitlines() == expected, result.stdout


def _run_script(script: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a bash script in its own process group, and end the group whatever happens, so a
    server it started in the background never outlives the test."""
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=_shell_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.slow
def test_readme_serve_walkthrough_runs(tmp_path: Path) -> None:
    _needs_local_models()
    pytest.importorskip("uvicorn")
    pytest.importorskip("openai")
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    blocks = _blocks(_section(_readme(), "## Serve the model over HTTP"), "bash")
    assert len(blocks) == 2  # start the server and curl it; then the openai client, and stop
    script = "\n".join(blocks)
    script = "\n".join(line for line in script.splitlines() if not line.startswith("pip "))
    # Port 8000 may be taken on a shared machine; the walkthrough is the same on any port.
    script = script.replace("8000", str(_free_port()))
    # Give up on a server that never answers rather than polling /health forever.
    script = script.replace("until curl", "for _ in $(seq 240); do curl", 1)
    script = script.replace("; do sleep 0.5; done", " && break; sleep 0.5; done", 1)
    assert "for _ in" in script and "&& break" in script
    result = _run_script(script, tmp_path, timeout=300)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-3000:])
    assert '"id":"smollm2"' in result.stdout
    assert "The capital of France is Paris." in result.stdout  # curl's chat and the client's
    assert "data: [DONE]" in result.stdout
    assert "CompletionUsage(" in result.stdout  # the openai client's reply
    for capital in ("Tokyo", "Cairo", "Berlin"):  # the four questions asked at once
        assert capital in result.stdout
    assert "decoding steps by batch size:" in result.stdout


@pytest.mark.slow
def test_readme_snippet_for_promptcraft_serve_runs(tmp_path: Path) -> None:
    _needs_local_models()
    pytest.importorskip("uvicorn")
    from support.serving import running_server

    (snippet,) = [b for b in _blocks(_readme(), "py") if 'model="smollm2"' in b]
    with running_server("smollm2", log_path=tmp_path / "server.log") as server:
        code = snippet.replace("http://127.0.0.1:8000/v1", server.base_url)
        assert code != snippet
        exec(compile(code, "README.md[promptcraft serve snippet]", "exec"), {"pc": pc})
