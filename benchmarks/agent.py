"""The agent on the bundled model, offline: held-out multi-step word problems solved with
``calculator`` and ``lookup`` through the text tool protocol.

The problems are the curriculum's own held-out tool items (``eval_suites``: its evaluation
seed, the ``tool_arithmetic`` and ``tool_lookup`` families): ``--wording heldout`` draws
them from question templates that training never saw, ``--wording train`` gives new
instances of the training templates. Each problem gets an Agent whose ``lookup`` knows that
problem's table; the answer is right when it equals the planned calls' last result.

Per configuration (constrained decoding of the action line on or off) it reports:

- solve rate: the final answer is right;
- mean steps: model turns per problem (all problems);
- malformed-call rate: model turns that were neither an answer nor a well-formed call of an
  offered tool with valid arguments (a turn the agent had to correct);
- tokens/s: generated tokens per second of wall-clock time, tools and prompts included.

    python benchmarks/agent.py                      # 25 problems per family, both wordings
    python benchmarks/agent.py --n 5 --quick        # a smoke test

Writes the table to benchmarks/results/agent.md as well.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from promptcraft.agents import Agent, AgentError, calculator, lookup  # noqa: E402
from promptcraft.agents.text_protocol import action_constraint  # noqa: E402
from promptcraft.backends import LocalBackend, load_backend  # noqa: E402
from promptcraft.curriculum.evaluation import EvalItem, check_answer, eval_suites  # noqa: E402
from promptcraft.curriculum.tool_runtime import TOOL_SPECS  # noqa: E402

FAMILIES = ("tool_arithmetic", "tool_lookup")


@dataclass
class Tally:
    problems: int = 0
    solved: int = 0
    steps: int = 0
    turns: int = 0
    malformed: int = 0
    generated: int = 0
    seconds: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    solved_by_family: dict[str, int] = field(default_factory=dict)
    problems_by_family: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def agent_for(backend: LocalBackend, item: EvalItem, constrain: bool) -> Agent:
    """The problem's tools, in the order its prompt offers them, as built-in tools."""
    tools = []
    for spec in item.inputs["tools"]:
        if spec["name"] == "calculator":
            tools.append(calculator)
        else:
            description = TOOL_SPECS["lookup"]["description"]
            tools.append(lookup(item.table, description=description))
    return Agent(backend, tools=tools, max_steps=6, constrain=constrain)


def malformed_turns(steps: list) -> int:
    """Turns the agent had to correct: unparseable replies and calls that failed before
    reaching a tool (unknown tool, invalid arguments)."""
    refused = ("unknown_tool", "invalid_arguments")
    return sum(
        step.feedback is not None or any(r.problem in refused for r in step.tool_results)
        for step in steps
    )


def run_items(backend: LocalBackend, items: list[EvalItem], constrain: bool) -> Tally:
    tally = Tally()
    for item in items:
        agent = agent_for(backend, item, constrain)
        start = time.perf_counter()
        try:
            result = agent.run(item.inputs["question"])
            steps, output = result.steps, str(result.output)
        except AgentError as error:
            steps, output = error.steps, ""
            tally.errors[error.reason] = tally.errors.get(error.reason, 0) + 1
        tally.seconds += time.perf_counter() - start
        tally.problems += 1
        tally.steps += len(steps)
        tally.turns += len(steps)
        tally.malformed += malformed_turns(steps)
        tally.generated += sum(s.usage.completion_tokens for s in steps)
        family = item.family
        tally.problems_by_family[family] = tally.problems_by_family.get(family, 0) + 1
        if check_answer(output, item.expected):
            tally.solved += 1
            tally.solved_by_family[family] = tally.solved_by_family.get(family, 0) + 1
        elif len(tally.failures) < 3:
            replies = " | ".join(s.text for s in steps)
            tally.failures.append(f"expected {item.expected}: {replies[:300]}")
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=25, help="problems per family (25: 50 in all)")
    parser.add_argument("--wording", nargs="+", default=["heldout", "train"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="do not write the results file")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    backend = load_backend("pc-tiny")
    assert isinstance(backend, LocalBackend)
    can_constrain = (
        backend.capabilities.constrained_decoding and action_constraint([calculator]) is not None
    )
    configs = [False, True] if can_constrain else [False]
    rows = []
    for wording in args.wording:
        suites = eval_suites(
            n=args.n, seed=args.seed, families=FAMILIES, kinds=["tool"], wordings=[wording]
        )
        items = [item for suite in suites for item in suite.items]
        for constrain in configs:
            tally = run_items(backend, items, constrain)
            rows.append((wording, constrain, tally))
            print(_row(wording, constrain, tally), flush=True)
            for failure in tally.failures:
                print(f"    {failure}")

    weights = ROOT / "models" / "pc-tiny" / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
    header = (
        f"{datetime.date.today()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs ({args.threads} torch threads), Python "
        f"{platform.python_version()}; bundled model pc-tiny (weights sha256 {digest}); "
        f"{args.n} problems per family ({', '.join(FAMILIES)}), seed {args.seed}, greedy, "
        "max_steps=6"
    )
    table = "\n".join(
        [
            "# Agent on the bundled model (offline, text tool protocol)",
            "",
            header,
            "",
            "`python benchmarks/agent.py` — problems from the curriculum's held-out evaluation "
            "seed; *held-out wordings*: question templates training never saw; *train "
            "wordings*: new instances of the training templates.",
            "",
            "| problems | action line | solved | solved: arithmetic / lookup | mean steps | "
            "malformed turns | generated tokens/s | s/problem | ended by AgentError |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *[_row(w, c, t) for w, c, t in rows],
            "",
            "Malformed turns: model turns the agent had to correct (a reply that was neither an "
            "answer nor a call of an offered tool with valid arguments), over all turns.",
            "",
        ]
    )
    print(table)
    if not args.quick:
        out = ROOT / "benchmarks" / "results" / "agent.md"
        out.write_text(table, encoding="utf-8")
        print(f"wrote {out}")


def _row(wording: str, constrain: bool, t: Tally) -> str:
    label = "held-out wordings" if wording == "heldout" else "train wordings"
    errors = ", ".join(f"{k} {v}" for k, v in sorted(t.errors.items())) or "0"
    return (
        f"| {t.problems} {label} | {'constrained' if constrain else 'free'} | "
        f"{t.solved / t.problems:.0%} | {_by_family(t)} | {t.steps / t.problems:.2f} | "
        f"{t.malformed}/{t.turns} ({t.malformed / max(t.turns, 1):.1%}) | "
        f"{t.generated / t.seconds:.0f} | {t.seconds / t.problems:.2f} | {errors} |"
    )


def _by_family(t: Tally) -> str:
    return " / ".join(
        f"{t.solved_by_family.get(f, 0)}/{t.problems_by_family.get(f, 0)}" for f in FAMILIES
    )


if __name__ == "__main__":
    main()
