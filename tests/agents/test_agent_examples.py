"""The agent examples run offline, as a user runs them (a subprocess each)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from support.agents import BUNDLED_MODEL, REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

if not (BUNDLED_MODEL / "model.safetensors").is_file():
    pytest.skip(f"the bundled model is not at {BUNDLED_MODEL}", allow_module_level=True)


def run_example(name: str) -> str:
    env = {
        **os.environ,
        # Any request off this machine would go to a closed port and fail.
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("PROMPTCRAFT_AGENT_URL", None)
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "examples" / name)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def answered(output: str) -> int:
    """Questions that ended with an answer or with AgentError's report."""
    return sum(line.startswith(("A: ", "   no answer")) for line in output.splitlines())


def test_agent_calculator_example_answers_every_question_offline() -> None:
    out = run_example("agent_calculator.py")
    assert answered(out) == out.count("Q: ") == 3
    assert "trace: " in out


def test_agent_remote_example_runs_against_promptcraft_serve() -> None:
    out = run_example("agent_remote.py")
    assert out.startswith("started promptcraft serve: ")
    assert answered(out) == out.count("Q: ") == 2
