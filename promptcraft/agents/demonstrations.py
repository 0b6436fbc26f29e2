"""Worked runs of the text protocol, shown to a model that was not trained on it (SmolLM2)
before its question: a demonstration is worth more than any instruction to a small model.

Each demonstration uses tools like the ones offered: the calculator, a table lookup, or,
when neither is offered, a made-up tool that shows the format. Its tools appear under the
offered tools' own names and descriptions, so the model copies calls it can make. None of
them is a question of ``benchmarks/data/agent_problems.jsonl`` or of the curriculum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .builtin_tools import LookupTool
from .tools import Tool

__all__ = ["Demonstration", "demonstrations_for"]

Demonstration = dict[str, Any]  # {tools, question, steps, answer}, as tool_protocol renders it

_CALCULATOR = {
    "name": "calculator",
    "description": "evaluate an arithmetic expression",
    "args": {"expression": "string"},
}
_LOOKUP = {
    "name": "lookup",
    "description": "look up the price in dollars of an item",
    "args": {"key": "string"},
}
_WEATHER = {
    "name": "get_weather",
    "description": "the weather forecast for a city",
    "args": {"city": "string"},
}


def _step(thought: str, tool: str, args: dict[str, Any], observation: str) -> dict[str, Any]:
    return {"thought": thought, "action": {"tool": tool, "args": args}, "observation": observation}


_ARITHMETIC = {
    "tools": [_CALCULATOR],
    "question": "A shop has 14 crates of 30 eggs and sells 95 eggs. How many eggs are left?",
    "steps": [
        _step("The crates hold 14 times 30 eggs.", "calculator", {"expression": "14*30"}, "420"),
        _step("95 of the 420 eggs are sold.", "calculator", {"expression": "420-95"}, "325"),
    ],
    "answer": "325",
}
_TABLE = {
    "tools": [_CALCULATOR, _LOOKUP],
    "question": "What do 5 mugs and a jug cost?",
    "steps": [
        _step("I need the price of a mug.", "lookup", {"key": "mug"}, "6"),
        _step("I need the price of a jug.", "lookup", {"key": "jug"}, "11"),
        _step("5 mugs at 6 dollars and a jug at 11.", "calculator", {"expression": "5*6+11"}, "41"),
    ],
    "answer": "41",
}
_FORMAT = {
    "tools": [_WEATHER],
    "question": "Should I take an umbrella in Lisbon tomorrow?",
    "steps": [
        _step("I need the forecast.", "get_weather", {"city": "Lisbon"}, "rain, 14 C"),
    ],
    "answer": "Yes: rain is forecast in Lisbon, 14 C.",
}


def demonstrations_for(tools: Sequence[Tool], *, thoughts: bool) -> list[Demonstration]:
    """The demonstrations for an agent offering ``tools``: the arithmetic one when a
    calculator is offered, the table one when a lookup is too, else the format one; each
    with the offered tools' names and descriptions. Without ``thoughts`` the steps have no
    thought lines."""
    calculator = next((t for t in tools if t.name == "calculator"), None)
    table = next((t for t in tools if isinstance(t, LookupTool)), None)
    chosen: list[Demonstration] = []
    if calculator is not None:
        chosen.append(_ARITHMETIC)
        if table is not None:
            chosen.append(_TABLE)
    if not chosen:
        chosen.append(_FORMAT)
    renames = {}
    if calculator is not None:
        renames["calculator"] = calculator
    if table is not None:
        renames["lookup"] = table
    return [_adapted(demo, renames, thoughts) for demo in chosen]


def _adapted(demo: Demonstration, renames: dict[str, Tool], thoughts: bool) -> Demonstration:
    """``demo`` with its tools named and described as the offered ones."""
    names = {role: tool.name for role, tool in renames.items()}
    tools = []
    for spec in demo["tools"]:
        tool = renames.get(spec["name"])
        if tool is None:
            tools.append(spec)
        else:
            tools.append({**spec, "name": tool.name, "description": _description(tool, spec)})
    steps = []
    for step in demo["steps"]:
        action = step["action"]
        renamed = {**action, "tool": names.get(action["tool"], action["tool"])}
        shown = {"action": renamed, "observation": step["observation"]}
        if thoughts:
            shown = {"thought": step["thought"], **shown}
        steps.append(shown)
    return {"tools": tools, "question": demo["question"], "steps": steps, "answer": demo["answer"]}


def _description(tool: Tool, spec: dict[str, Any]) -> str:
    """The demo tool's own description for a table lookup (its table is the demo's: mugs
    and jugs, not the offered table's keys); the offered tool's for the calculator."""
    if isinstance(tool, LookupTool):
        return str(spec["description"])
    return tool.description.rstrip(".")
