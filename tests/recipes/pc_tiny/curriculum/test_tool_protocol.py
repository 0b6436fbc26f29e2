"""The text tool protocol: its template, the transcripts and the episode runner."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from promptcraft.prompts import lint_paths
from recipes.pc_tiny import (
    OBSERVATION_STOP,
    TOOL_SPECS,
    EvalItem,
    Sample,
    calculate,
    eval_suites,
    parse_reply,
    run_action,
    tool_protocol_template,
)


def _tool_samples(samples: list[Sample]) -> list[Sample]:
    found = [s for s in samples if s.kind == "tool"]
    assert found
    return found


def _actions(sample: Sample) -> list[tuple[object, str, bool]]:
    """(parsed action, its observation, trainable) per step of a transcript."""
    steps = []
    segments = sample.segments[1:-1]
    for action_seg, observation_seg in zip(segments[::2], segments[1::2], strict=True):
        assert action_seg.text.startswith("Action: ")
        assert action_seg.text.endswith(OBSERVATION_STOP)
        assert not observation_seg.trainable
        body = action_seg.text[len("Action: ") : -len(OBSERVATION_STOP)]
        steps.append((json.loads(body), observation_seg.text.strip(), action_seg.trainable))
    return steps


def test_tool_protocol_template_lints_clean(repo_root: Path) -> None:
    assert lint_paths([repo_root / "templates" / "tool_protocol.prompt"]) == []


def test_tool_protocol_template_stops_at_the_observation() -> None:
    assert tool_protocol_template().defaults["stop"] == [OBSERVATION_STOP]


def test_every_trainable_action_is_a_valid_call_of_an_offered_tool(
    train_samples: list[Sample],
) -> None:
    for sample in _tool_samples(train_samples):
        for action, observation, trainable in _actions(sample):
            if trainable:
                assert action["tool"] in sample.meta["tools"]
                assert set(action["args"]) == set(TOOL_SPECS[action["tool"]]["args"])
                assert not observation.startswith("error")


def test_observations_are_the_real_tool_results(train_samples: list[Sample]) -> None:
    for sample in _tool_samples(train_samples):
        for action, observation, _ in _actions(sample):
            assert observation == run_action(action, sample.meta["table"], sample.meta["tools"])


def test_failed_calls_get_an_error_and_no_loss(train_samples: list[Sample]) -> None:
    failed = [
        (action, observation)
        for sample in _tool_samples(train_samples)
        for action, observation, trainable in _actions(sample)
        if not trainable
    ]
    assert len(failed) > 10
    assert all(observation.startswith("error: ") for _, observation in failed)


def test_a_failed_call_is_followed_by_a_correct_call(train_samples: list[Sample]) -> None:
    for sample in _tool_samples(train_samples):
        steps = _actions(sample)
        for i, (_, _, trainable) in enumerate(steps):
            if not trainable:
                assert steps[i + 1][2]


def test_transcript_ends_with_the_answer_the_last_call_returned(
    train_samples: list[Sample],
) -> None:
    for sample in _tool_samples(train_samples):
        last = sample.segments[-1]
        assert last.trainable and last.text == f"Answer: {sample.answer}"
        assert _actions(sample)[-1][1] == sample.answer


def test_arithmetic_problems_take_two_calculator_calls(train_samples: list[Sample]) -> None:
    for sample in _tool_samples(train_samples):
        if sample.family == "tool_arithmetic":
            calls = [a for a, _, trainable in _actions(sample) if trainable]
            assert [c["tool"] for c in calls] == ["calculator", "calculator"]


def test_each_step_extends_the_previous_prompt() -> None:
    template = tool_protocol_template()
    inputs = {"question": "What is 2+3?", "tools": [TOOL_SPECS["calculator"]]}
    action = {"tool": "calculator", "args": {"expression": "2+3"}}
    first = template.render(**inputs)
    second = template.render(**inputs, steps=[{"action": action, "observation": "5"}])
    assert first.endswith("Question: What is 2+3?\n")
    assert second == first + f"Action: {json.dumps(action)}\nObservation: 5\n"


def test_parse_reply_reads_an_action_and_ignores_text_after_the_stop() -> None:
    reply = parse_reply('Action: {"tool": "lookup", "args": {"key": "pen"}}\nObservation: 4')
    assert reply.action == {"tool": "lookup", "args": {"key": "pen"}}


def test_parse_reply_reads_an_answer() -> None:
    assert parse_reply("Answer: 31\n").answer == "31"


def test_parse_reply_keeps_invalid_json_as_raw_text() -> None:
    assert parse_reply("Action: {tool: calculator}").action == "{tool: calculator}"


def test_run_action_reports_an_unknown_tool_by_name() -> None:
    action = {"tool": "calc", "args": {"expression": "1+1"}}
    assert run_action(action, {}, ["calculator"]) == (
        "error: unknown tool 'calc'; use one of: calculator"
    )


def test_run_action_reports_a_malformed_expression() -> None:
    action = {"tool": "calculator", "args": {"expression": "12 x 3"}}
    assert run_action(action, {}, ["calculator"]) == "error: invalid expression '12 x 3'"


@pytest.mark.parametrize("expression", ["__import__('os')", "2**99", "x+1", "1 if 1 else 2"])
def test_calculator_rejects_anything_but_arithmetic(expression: str) -> None:
    with pytest.raises(ValueError):
        calculate(expression)


def _oracle(item: EvalItem) -> Callable[[str], str]:
    """A generate() that writes the correct calls, found by trying each tool on the real
    table, then the answer."""
    expected = iter(item.expected_observations)
    state: dict[str, str | None] = {"next": next(expected)}

    def generate(prompt: str) -> str:
        if state["next"] is None:
            return f"Answer: {item.expected}"
        target = state["next"]
        for tool in ("calculator", "lookup"):
            for arg in _candidates(prompt, item):
                action = {"tool": tool, "args": {next(iter(TOOL_SPECS[tool]["args"])): arg}}
                if run_action(action, item.table, [t["name"] for t in item.inputs["tools"]]) == (
                    target
                ):
                    state["next"] = next(expected, None)
                    return f"Action: {json.dumps(action)}{OBSERVATION_STOP} {target}"
        raise AssertionError("no call gives the expected observation")

    return generate


def _candidates(prompt: str, item: EvalItem) -> list[str]:
    numbers = re.findall(r"\d+", prompt.split("Question: ", 1)[1])
    keys = list(item.table)
    exprs = [f"{a}{op}{b}" for a, b in itertools.permutations(numbers, 2) for op in "+-*/"]
    return keys + exprs


def test_a_correct_model_solves_every_tool_eval_item() -> None:
    suites = eval_suites(n=8, kinds=["tool"])
    assert {s.family for s in suites} == {"tool_arithmetic", "tool_lookup", "tool_recovery"}
    for suite in suites:
        for item in suite.items:
            episode = item.run_tool(_oracle(item))
            assert item.check_episode(episode) == (True, True), suite.name


def test_an_episode_with_a_wrong_call_fails_the_call_check() -> None:
    item = eval_suites(n=1, families=["tool_arithmetic"], wordings=["train"])[0].items[0]
    replies = iter(['Action: {"tool": "calculator", "args": {"expression": "1+1"}}', "Answer: 2"])
    episode = item.run_tool(lambda prompt: next(replies))
    assert episode.observations == ["2"]
    assert item.check_episode(episode) == (False, item.expected == "2")


def test_recovery_items_start_after_a_failed_call() -> None:
    for suite in eval_suites(n=5, families=["tool_recovery"]):
        for item in suite.items:
            (step,) = item.inputs["steps"]
            assert step["observation"].startswith("error: ")
