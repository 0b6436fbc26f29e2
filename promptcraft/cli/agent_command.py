"""``promptcraft agent``: run a tool-using agent on a task, from the shell."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import AgentError, PromptcraftError
from .generate_commands import add_backend_options, load_cli_backend
from .option_types import positive_int

__all__ = ["register"]

_EPILOG = """\
examples:
  promptcraft agent "A box holds 12 apples. Tom buys 3 boxes and gives away 5 apples. \\
      How many apples does Tom have left?"
  promptcraft agent "How much do 3 pens cost?" --lookup prices.json
  promptcraft agent "What is 17 * 23?" --backend http://localhost:8000/v1 --model-name llama3

The run is printed step by step: each tool call, its result, and the answer. A run that
ends without an answer (--max-steps or a retry budget ran out) exits with status 1."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    agent = sub.add_parser(
        "agent",
        help="answer a task with tools (calculator, lookup, today) and a model",
        description=(
            "Run an agent: the model calls the built-in tools until it can answer. Local models\n"
            "speak the text tool protocol (templates/tool_protocol.prompt) with constrained\n"
            "tool calls; OpenAI-compatible servers use native tool calls."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    agent.add_argument("task", help="the question or task")
    add_backend_options(agent)
    agent.add_argument(
        "--lookup",
        metavar="FILE.json",
        type=Path,
        help="add a lookup tool over this JSON object of key -> value",
    )
    agent.add_argument("--no-calculator", action="store_true", help="leave the calculator out")
    agent.add_argument("--today", action="store_true", help="add the today tool")
    agent.add_argument("--instructions", help="extra instructions for the model")
    agent.add_argument(
        "--max-steps", type=positive_int, default=6, metavar="N", help="most model turns (6)"
    )
    agent.add_argument("--trace", type=Path, metavar="FILE.jsonl", help="append a JSONL trace")
    agent.set_defaults(handler=_run_agent)


def _run_agent(args: argparse.Namespace) -> int:
    from ..agents import Agent, calculator, lookup, today

    if not args.task.strip():
        raise PromptcraftError("the task is empty: say what the agent should answer")
    tools: list[Any] = [] if args.no_calculator else [calculator]
    if args.lookup is not None:
        tools.append(
            lookup(_read_table(args.lookup), description="look up a price or an age by its key")
        )
    if args.today:
        tools.append(today)
    if not tools:
        raise PromptcraftError("no tools: drop --no-calculator or add --lookup/--today")
    agent: Agent[Any] = Agent(
        load_cli_backend(args),
        tools=tools,
        instructions=args.instructions,
        max_steps=args.max_steps,
        trace=args.trace,
    )
    try:
        _print_run(agent, args.task)
    except AgentError as exc:  # the model's failure, not the user's: report it, status 1
        print(f"no answer ({exc.reason}): {exc}")
        return 1
    return 0


def _print_run(agent: Any, task: str) -> None:
    for event in agent.stream(task):
        if event.kind == "tool_call":
            arguments = event.call.arguments
            shown = arguments if isinstance(arguments, str) else json.dumps(arguments)
            print(f"[{event.step}] {event.call.name} {shown}")
        elif event.kind == "tool_result":
            print(f"[{event.step}]   -> {event.result.content}")
        elif event.kind == "retry":
            print(f"[{event.step}]   retry: {event.message}")
        elif event.kind == "final_output":
            print(f"Answer: {event.output}")
            usage = event.result.usage
            print(
                f"({len(event.result.steps)} steps, {usage.prompt_tokens} prompt + "
                f"{usage.completion_tokens} completion tokens)"
            )


def _read_table(path: Path) -> dict[str, Any]:
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PromptcraftError(f"{path}: cannot read the lookup table: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise PromptcraftError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(table, dict):
        raise PromptcraftError(f"{path}: the lookup table must be a JSON object of key -> value")
    return table
