"""The text tool protocol of the bundled model (``templates/tool_protocol.prompt``).

::

    Use the tools to answer. Write one Action line, then wait for its Observation. End ...
    Tools:
    calculator: evaluate an arithmetic expression. args: {"expression": "string"}
    Question: A box holds 12 apples. Tom buys 3 boxes and gives away 5 apples. How many ...?
    Action: {"tool": "calculator", "args": {"expression": "12*3"}}
    Observation: 36
    Action: {"tool": "calculator", "args": {"expression": "36-5"}}
    Observation: 31
    Answer: 31

The rendered prompt ends with a newline. The model writes one line, ``Action: <json>`` or
``Answer: <text>``; after an action it goes on with ``\\nObservation:``, which is the stop
string (:data:`OBSERVATION_STOP`). The caller runs the tool and renders the template again
with the step appended (``steps``: ``{"action": ..., "observation": ...}``), which extends
the previous prompt by exactly ``Action: <json>\\nObservation: <result>\\n``. Each action is
one JSON object on one line, ``{"tool": name, "args": {...}}``, so decoding can be
constrained by the tool's JSON schema. A tool error is an observation (``error: ...``) and
the model answers it with a corrected call.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from promptcraft.agents.text_protocol import (
    ACTION_PREFIX,
    ANSWER_PREFIX,
    OBSERVATION_STOP,
    TOOL_PROTOCOL_TEMPLATE,
    action_of,
    read_turn,
    turn_lines,
)
from promptcraft.prompts import PromptLibrary, PromptTemplate

from .sample import Segment
from .tool_runtime import TOOL_SPECS, run_action
from .word_problems import ToolProblem

__all__ = [
    "ACTION_PREFIX",
    "ANSWER_PREFIX",
    "OBSERVATION_STOP",
    "TOOL_PROTOCOL_TEMPLATE",
    "Reply",
    "ToolEpisode",
    "parse_reply",
    "plan_steps",
    "run_tool_episode",
    "tool_protocol_template",
    "tool_transcript",
    "wrong_action",
]

# One protocol: the agents' (promptcraft.agents.text_protocol) writes and reads every turn.

_ARGUMENT = {name: next(iter(spec["args"])) for name, spec in TOOL_SPECS.items()}
_WRONG_TOOLS = ("calc", "calculate", "math", "compute", "search", "find", "price", "table")
_WRONG_ARGS = {"calculator": ("expr", "input", "query"), "lookup": ("name", "item", "query")}


@functools.cache
def tool_protocol_template() -> PromptTemplate:
    """The bundled ``tool_protocol`` template (loaded once)."""
    return PromptLibrary().get(TOOL_PROTOCOL_TEMPLATE)


@dataclass
class _Step:
    action: dict[str, Any]
    observation: str
    trainable: bool


def _action(tool: str, argument: str) -> dict[str, Any]:
    return {"tool": tool, "args": {_ARGUMENT[tool]: argument}}


def plan_steps(problem: ToolProblem) -> tuple[list[dict[str, Any]], list[str]]:
    """The problem's calls run against the real tools: (actions, observations)."""
    results: dict[str, str] = {}
    actions: list[dict[str, Any]] = []
    observations: list[str] = []
    for i, (tool, template) in enumerate(problem.calls, 1):
        action = _action(tool, template.format(**problem.values, **results))
        observation = run_action(action, problem.table, problem.tools)
        if observation.startswith("error"):
            raise ValueError(f"planned call {action} failed: {observation}")
        results[f"r{i}"] = observation
        actions.append(action)
        observations.append(observation)
    return actions, observations


def wrong_action(action: dict[str, Any], rng: random.Random, tools: list[str]) -> dict[str, Any]:
    """A plausible mistake on the way to ``action``: an unknown tool, a wrong argument name,
    or a malformed expression or key."""
    tool = action["tool"]
    value = next(iter(action["args"].values()))
    mistake = rng.randrange(3)
    if mistake == 0:
        wrong = rng.choice([t for t in _WRONG_TOOLS if t not in tools])
        return {"tool": wrong, "args": dict(action["args"])}
    if mistake == 1:
        return {"tool": tool, "args": {rng.choice(_WRONG_ARGS[tool]): value}}
    if tool == "calculator":
        broken = rng.choice(
            (
                value.replace("*", " x ").replace("-", " minus ").replace("+", " plus "),
                value + rng.choice("+-*"),
                "(" + value,
                value.replace("/", " divided by "),
            )
        )
        if broken == value:
            broken = value + "="
        return _action(tool, broken)
    return _action(tool, rng.choice((value + "s", value.upper(), "the " + value)))


def tool_transcript(
    problem: ToolProblem, rng: random.Random, *, error_rate: float = 0.0
) -> tuple[str, list[Segment], str]:
    """A full solved transcript rendered through the template: (prompt, segments, answer).
    With probability ``error_rate`` one call is preceded by a failed call and its error
    observation, neither of them trainable."""
    actions, observations = plan_steps(problem)
    steps = [_Step(a, o, True) for a, o in zip(actions, observations, strict=True)]
    if rng.random() < error_rate:
        at = rng.randrange(len(steps))
        bad = wrong_action(actions[at], rng, problem.tools)
        observation = run_action(bad, problem.table, problem.tools)
        if not observation.startswith("error"):
            raise AssertionError(f"the mistake {bad} did not fail")
        steps.insert(at, _Step(bad, observation, False))
    template = tool_protocol_template()
    inputs = {"question": problem.question, "tools": [TOOL_SPECS[t] for t in problem.tools]}
    prompt = template.render(**inputs)
    segments = [Segment(text=prompt, trainable=False)]
    for step in steps:
        segments.append(
            Segment(
                # As the template's json filter writes it (non-ASCII kept), so the transcript
                # equals the rendered template byte for byte; the agents' action_line escapes
                # non-ASCII (json.dumps' default), fine for scripted replies, not for data.
                text=f"{ACTION_PREFIX} {json.dumps(step.action, ensure_ascii=False)}"
                + OBSERVATION_STOP,
                trainable=step.trainable,
            )
        )
        segments.append(Segment(text=f" {step.observation}\n", trainable=False))
    answer = observations[-1]
    segments.append(Segment(text=f"{ANSWER_PREFIX} {answer}", trainable=True))
    full = template.render(**inputs, steps=[vars(s) for s in steps])
    if f"{full}{ANSWER_PREFIX} {answer}" != "".join(s.text for s in segments):
        raise AssertionError("tool_protocol.prompt no longer renders steps as the protocol says")
    return prompt, segments, answer


@dataclass(frozen=True)
class Reply:
    """One model turn: an ``action`` (parsed JSON, or the raw text when it is not JSON), or
    an ``answer``, or neither (``raw`` holds what was written)."""

    raw: str
    action: Any = None
    answer: str | None = None


def parse_reply(text: str) -> Reply:
    """Read a model turn with the agents' parser; text from :data:`OBSERVATION_STOP` on is
    ignored."""
    _, line = turn_lines(text)
    answer = read_turn(text, call_id="").final
    if isinstance(answer, str):  # the text protocol's answers are text (never a dict)
        return Reply(raw=line, answer=answer)
    if line.startswith(ACTION_PREFIX):
        return Reply(raw=line, action=action_of(text))
    return Reply(raw=line)


@dataclass
class ToolEpisode:
    """A run of the protocol: the steps the model took (after any given ones), and its
    final answer (``None`` if it gave none within the step limit)."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    answer: str | None = None
    replies: list[str] = field(default_factory=list)

    @property
    def observations(self) -> list[str]:
        return [step["observation"] for step in self.steps]


def run_tool_episode(
    generate: Callable[[str], str],
    template: PromptTemplate,
    inputs: Mapping[str, Any],
    table: Mapping[str, str],
    *,
    max_steps: int = 6,
) -> ToolEpisode:
    """Drive the protocol: render, ``generate(prompt)`` (a completion, ideally stopped at
    :data:`OBSERVATION_STOP`), run the action with the real tools, append the step, repeat
    until an answer. A reply that is neither an action nor an answer ends the episode."""
    given = list(inputs.get("steps", []))
    tools = [tool["name"] for tool in inputs["tools"]]
    episode = ToolEpisode()
    for _ in range(max_steps):
        prompt = template.render(**{**inputs, "steps": given + episode.steps})
        reply = parse_reply(generate(prompt))
        episode.replies.append(reply.raw)
        if reply.answer is not None:
            episode.answer = reply.answer
            break
        if reply.action is None:
            break
        observation = run_action(reply.action, table, tools)
        episode.steps.append({"action": reply.action, "observation": observation})
    return episode
