"""The JSONL trace of a run: every step, one record per line, secrets redacted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.agents import action

from promptcraft.agents import Agent, AgentError, calculator, tool
from promptcraft.agents.trace import REDACTED, Redactor
from promptcraft.backends.testing import ScriptedBackend


@tool
def login(user: str, password: str) -> str:
    """Log in."""
    return f"welcome {user}"


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_trace_has_a_start_each_step_and_an_end(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    backend = ScriptedBackend([action("calculator", expression="2*3"), "Answer: 6"])
    Agent(backend, tools=[calculator], trace=str(path)).run("2 times 3?")
    records = read(path)
    assert [r["event"] for r in records] == ["run_start", "step", "step", "run_end"]
    assert records[1]["tool_results"][0]["content"] == "6"
    assert records[-1]["output"] == "6"
    assert len({r["run"] for r in records}) == 1


def test_trace_records_the_error_that_ended_a_run(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    backend = ScriptedBackend([action("calculator", expression="1")] * 5)
    with pytest.raises(AgentError):
        Agent(backend, tools=[calculator], max_steps=2, trace=path).run("Loop.")
    last = read(path)[-1]
    assert (last["event"], last["reason"]) == ("run_error", "max_steps")


def test_runs_append_to_the_same_trace(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    agent = Agent(ScriptedBackend(["Answer: 1", "Answer: 2"]), tools=[calculator], trace=path)
    agent.run("One?")
    agent.run("Two?")
    assert len({r["run"] for r in read(path)}) == 2


def test_secret_arguments_are_redacted_everywhere_in_the_trace(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    backend = ScriptedBackend([action("login", user="ann", password="hunter22"), "Answer: in"])
    Agent(backend, tools=[login], trace=path).run("Log in as ann.")
    text = path.read_text(encoding="utf-8")
    assert "hunter22" not in text
    assert REDACTED in text
    assert "ann" in text


def test_credentials_in_text_are_redacted() -> None:
    redact = Redactor()
    out = redact(
        {
            "task": "use key sk-abcdefghijklmnop and Authorization: Bearer abc.def.ghi123",
            "headers": {"Authorization": "Bearer xyz12345678"},
            "note": 'api_key="k-123456789"',
        }
    )
    assert "sk-abcdefghijklmnop" not in out["task"]
    assert "abc.def.ghi123" not in out["task"]
    assert out["headers"]["Authorization"] == REDACTED
    assert "k-123456789" not in out["note"]


def test_token_counts_are_not_mistaken_for_secrets() -> None:
    out = Redactor()({"usage": {"prompt_tokens": 12, "completion_tokens": 3}, "max_tokens": 64})
    assert out == {"usage": {"prompt_tokens": 12, "completion_tokens": 3}, "max_tokens": 64}
