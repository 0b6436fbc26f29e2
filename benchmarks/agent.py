"""Agents offline: multi-step word problems solved with ``calculator`` and ``lookup``.

Two models, each on its own problems:

- **SmolLM2** (the default model) on ``benchmarks/data/agent_problems.jsonl``: 50 problems
  written for this benchmark, in their own wordings (none from the curriculum), each
  needing two or more tool calls: 28 arithmetic problems (``calc-*``, two or three
  operations) and 22 with a lookup table (``lookup-*``: one or two lookups, then
  arithmetic). Each row has the question, the table and its description when there is one,
  and the expected answer. An answer is right when the first number in it equals the
  expected one. Rows are compared per protocol configuration (see ``CONFIGS``).
- **pc-tiny** on the curriculum's own held-out tool items (``eval_suites``: its evaluation
  seed, the ``tool_arithmetic`` and ``tool_lookup`` families): ``held-out wordings`` are
  question templates training never saw, ``train wordings`` new instances of the training
  templates; right when the answer equals the planned calls' last result.

Per row: solve rate; mean steps (model turns per problem); malformed turns (turns the agent
had to correct: a reply that was neither an answer nor a well-formed call of an offered
tool with valid arguments); generated tokens per second of wall-clock time (tools and
prompts included); and, for constrained rows, the time to compile the turn constraint on
the model's vocabulary (first compile of each problem's pattern; its lookup keys differ).

    python benchmarks/agent.py                          # everything, writes the results file
    python benchmarks/agent.py --models smollm2 --configs text+demos --limit 5 --quick
    python benchmarks/agent.py --models smollm2 --data my_problems.jsonl --quick -v

Writes the tables to benchmarks/results/agent.md (unless ``--quick``), with the command of
each run under "Runs". ``--keep`` keeps the rows (and model sections) of earlier runs that
this one does not measure, so slow configurations can be run apart:

    python benchmarks/agent.py --configs text text+demos auto "auto + tool-use adapter"
    python benchmarks/agent.py --models smollm2 --configs "text+demos (free)" --keep
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from promptcraft.agents import Agent, AgentError, calculator, lookup  # noqa: E402
from promptcraft.agents.protocol_choice import ProtocolSettings  # noqa: E402
from promptcraft.backends import LocalBackend, load_backend  # noqa: E402

PROBLEMS = ROOT / "benchmarks" / "data" / "agent_problems.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "agent.md"
SMOLLM2_TITLE = "## SmolLM2-135M-Instruct on our problems"
PC_TINY_TITLE = "## pc-tiny on the curriculum's held-out tool items"
RUNS_TITLE = "## Runs"
TOOL_ADAPTER = ROOT / "models" / "smollm2-tool-use" / "tool-use.safetensors"
FAMILIES = ("tool_arithmetic", "tool_lookup")
MAX_STEPS = 6


class Config(NamedTuple):
    """A SmolLM2 configuration: the protocol (settings, or "auto"), whether turns are
    constrained, whether the tool-use adapter is loaded, and the agent's tool choice."""

    protocol: ProtocolSettings | str
    constrain: bool
    adapter: bool
    tool_choice: str = "auto"


CONFIGS: dict[str, Config] = {
    "text": Config(ProtocolSettings("text"), True, False),
    "text+demos (free)": Config(ProtocolSettings("text", demonstrations=True), False, False),
    "text+demos": Config(ProtocolSettings("text", demonstrations=True), True, False),
    "text+demos+thoughts": Config(
        ProtocolSettings("text", demonstrations=True, thoughts=True), True, False
    ),
    "chat+demos+thoughts": Config(
        ProtocolSettings("chat", demonstrations=True, thoughts=True), True, False
    ),
    "auto": Config("auto", True, False),
    "auto, tool call required": Config("auto", True, False, "required"),
    "auto + tool-use adapter": Config("auto", True, True),
    "auto + tool-use adapter, tool call required": Config("auto", True, True, "required"),
}


@dataclass
class Tally:
    problems: int = 0
    solved: int = 0
    steps: int = 0
    malformed: int = 0
    generated: int = 0
    seconds: float = 0.0
    compile_seconds: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    solved_by_group: dict[str, int] = field(default_factory=dict)
    problems_by_group: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, group: str, steps: list[Any], solved: bool, seconds: float) -> None:
        self.problems += 1
        self.steps += len(steps)
        self.malformed += malformed_turns(steps)
        self.generated += sum(s.usage.completion_tokens for s in steps)
        self.seconds += seconds
        self.problems_by_group[group] = self.problems_by_group.get(group, 0) + 1
        if solved:
            self.solved += 1
            self.solved_by_group[group] = self.solved_by_group.get(group, 0) + 1


def malformed_turns(steps: list[Any]) -> int:
    """Turns the agent had to correct: unparseable replies and calls that failed before
    reaching a tool (unknown tool, invalid arguments)."""
    refused = ("unknown_tool", "invalid_arguments")
    return sum(
        step.feedback is not None or any(r.problem in refused for r in step.tool_results)
        for step in steps
    )


def run_agent(agent: Agent[Any], question: str, tally: Tally) -> tuple[list[Any], str]:
    try:
        result = agent.run(question)
        return result.steps, str(result.output)
    except AgentError as error:
        tally.errors[error.reason] = tally.errors.get(error.reason, 0) + 1
        return error.steps, ""


# --- SmolLM2 on our problems ---------------------------------------------------------------


def read_problems(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def problem_tools(problem: dict[str, Any]) -> list[Any]:
    tools = [calculator]
    if problem.get("table"):
        tools.append(lookup(problem["table"], description=problem["lookup_description"]))
    return tools


_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def first_number_matches(answer: str, expected: str) -> bool:
    """The first number in the answer (commas dropped) equals ``expected``."""
    found = _NUMBER.search(answer)
    if found is None:
        return False
    try:
        return abs(float(found.group(0).replace(",", "")) - float(expected)) < 1e-6
    except ValueError:
        return False


def compile_seconds(backend: LocalBackend, agent: Agent[Any]) -> float | None:
    """Seconds to compile this agent's turn constraint on the backend's vocabulary (0 when
    the pattern was compiled before: the cache serves it)."""
    from promptcraft.agents.protocol_choice import choose_protocol
    from promptcraft.agents.run_loop import AgentRun
    from promptcraft.constraints.automaton import compile_constraint
    from promptcraft.constraints.constraints import regex

    run = AgentRun(agent, "?")
    pattern = run.conversation.constraint_pattern()
    if pattern is None or choose_protocol(backend, agent.protocol).name == "native":
        return None
    start = time.perf_counter()
    compile_constraint(
        regex(pattern),
        backend.tokenizer,
        vocab_size=backend.decoder.config.vocab_size,
        eos_ids=sorted(backend.generator.eos_ids),
        device=backend.decoder.device,
    )
    return time.perf_counter() - start


def run_problems(
    backend: LocalBackend, problems: list[dict[str, Any]], config: str, verbose: bool
) -> Tally:
    protocol, constrain, _, tool_choice = CONFIGS[config]
    tally = Tally()
    for problem in problems:
        agent: Agent[Any] = Agent(
            backend,
            tools=problem_tools(problem),
            max_steps=MAX_STEPS,
            constrain=constrain,
            protocol=protocol,  # type: ignore[arg-type]
            tool_choice=tool_choice,  # type: ignore[arg-type]
        )
        if constrain:
            seconds = compile_seconds(backend, agent)
            if seconds is not None:
                tally.compile_seconds.append(seconds)
        start = time.perf_counter()
        steps, output = run_agent(agent, problem["question"], tally)
        solved = first_number_matches(output, problem["expected"])
        group = problem["id"].split("-")[0]
        tally.add(group, steps, solved, time.perf_counter() - start)
        if verbose or not solved:
            replies = " | ".join(
                s.text.replace("\n", " / ") + "".join(f" -> {r.content}" for r in s.tool_results)
                for s in steps
            )
            line = f"{problem['id']} expected {problem['expected']}: {replies[:400]}"
            if not solved:
                tally.failures.append(line)
            if verbose:
                print(("    ok  " if solved else "    BAD ") + line, flush=True)
    return tally


# --- pc-tiny on the curriculum's items -----------------------------------------------------


def run_curriculum(
    backend: LocalBackend, n: int, seed: int, wording: str, constrain: bool
) -> Tally:
    from recipes.pc_tiny.evaluation import check_answer, eval_suites
    from recipes.pc_tiny.tool_runtime import TOOL_SPECS

    suites = eval_suites(
        n=n,
        seed=seed,
        families=FAMILIES,
        kinds=["tool"],
        wordings=[wording],  # type: ignore[list-item]
    )
    tally = Tally()
    for item in (item for suite in suites for item in suite.items):
        tools = []
        for spec in item.inputs["tools"]:
            if spec["name"] == "calculator":
                tools.append(calculator)
            else:
                tools.append(lookup(item.table, description=TOOL_SPECS["lookup"]["description"]))
        agent: Agent[Any] = Agent(backend, tools=tools, max_steps=MAX_STEPS, constrain=constrain)
        if constrain:
            seconds = compile_seconds(backend, agent)
            if seconds is not None:
                tally.compile_seconds.append(seconds)
        start = time.perf_counter()
        steps, output = run_agent(agent, item.inputs["question"], tally)
        tally.add(
            item.family, steps, check_answer(output, item.expected), time.perf_counter() - start
        )
    return tally


# --- report --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["smollm2", "pc-tiny"])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--data", type=Path, default=PROBLEMS, help="SmolLM2's problems")
    parser.add_argument("--limit", type=int, default=None, help="the first N problems only")
    parser.add_argument("--n", type=int, default=25, help="pc-tiny: problems per family")
    parser.add_argument("--wording", nargs="+", default=["heldout", "train"])
    parser.add_argument("--adapter", type=Path, default=TOOL_ADAPTER, help="the tool-use adapter")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every problem")
    parser.add_argument("--quick", action="store_true", help="do not write the results file")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the results file's rows and sections that this run does not measure",
    )
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    previous = read_results(RESULTS) if args.keep else {}
    sections = []
    if "smollm2" in args.models:
        sections.append(smollm2_section(args, previous.get(SMOLLM2_TITLE, "")))
    elif SMOLLM2_TITLE in previous:
        sections.append(previous[SMOLLM2_TITLE])
    if "pc-tiny" in args.models:
        sections.append(pc_tiny_section(args))
    elif PC_TINY_TITLE in previous:
        sections.append(previous[PC_TINY_TITLE])
    header = (
        f"# Agents offline: multi-step problems with calculator and lookup\n\n"
        f"{datetime.date.today()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs ({args.threads} torch thread{'s' if args.threads > 1 else ''}, "
        f"shared with other jobs, so tokens/s is noisy), Python {platform.python_version()}; "
        f"greedy, max_steps={MAX_STEPS}. `python benchmarks/agent.py` (see its docstring).\n"
    )
    command = " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    runs = [line for line in previous.get(RUNS_TITLE, "").splitlines() if line.startswith("- ")]
    runs.append(f"- {datetime.date.today()}: `python benchmarks/agent.py {command}`".rstrip())
    text = "\n".join([header, *sections, RUNS_TITLE, "", *runs, ""])
    print(text)
    if not args.quick:
        RESULTS.write_text(text, encoding="utf-8")
        print(f"wrote {RESULTS}")


def read_results(path: Path) -> dict[str, str]:
    """The results file's sections (each from its ``## `` title to the next), by title."""
    if not path.is_file():
        return {}
    parts = re.split(r"(?m)^(?=## )", path.read_text(encoding="utf-8"))
    return {
        part.split("\n", 1)[0]: part.rstrip("\n") + "\n" for part in parts if part.startswith("## ")
    }


_COLUMNS = (
    "| solved | {groups} | mean steps | malformed turns | generated tokens/s | s/problem | "
    "constraint compile (mean / max) | ended by AgentError |"
)


def smollm2_section(args: argparse.Namespace, previous: str) -> str:
    """The SmolLM2 table: this run's rows, and ``previous`` rows (``--keep``) for the
    configurations it did not run."""
    problems = read_problems(args.data)[: args.limit]
    rows: dict[str, str] = {}
    plain: LocalBackend | None = None
    tuned: LocalBackend | None = None
    for config in args.configs:
        with_adapter = CONFIGS[config].adapter
        if with_adapter and not args.adapter.is_file():
            print(f"skipped {config}: no adapter at {args.adapter}")
            continue
        if with_adapter:
            if tuned is None:
                tuned = _local(
                    load_backend("smollm2", adapter=str(args.adapter), threads=args.threads)
                )
            backend = tuned
        else:
            if plain is None:
                plain = _local(load_backend("smollm2", threads=args.threads))
            backend = plain
        print(f"SmolLM2, {config}: {len(problems)} problems", flush=True)
        tally = run_problems(backend, problems, config, args.verbose)
        rows[config] = _row(config, tally, ("calc", "lookup"))
        print(rows[config], flush=True)
        for failure in tally.failures[:5]:
            print(f"    {failure}")
    for line in previous.splitlines():
        label = line.split(" | ", 1)[0].removeprefix("| ")
        if label in CONFIGS and label not in rows:
            rows[label] = line
    data = args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT) else args.data
    return "\n".join(
        [
            SMOLLM2_TITLE,
            "",
            f"`{data}`: {len(problems)} problems (arithmetic `calc-*`, lookup `lookup-*`); "
            "the answer is right when its first number is the expected one. Configurations: "
            "*text* is `templates/tool_protocol.prompt` as pc-tiny speaks it; *+demos* adds "
            "worked demonstrations; *+thoughts* lets a thought line come first; *chat* is "
            "`templates/react_agent.prompt` as a conversation (the lookup keys listed); "
            "*(free)* leaves the turn unconstrained, every other row constrains the whole "
            "turn; *auto* is what `pc.Agent` chooses: for SmolLM2, text+demos with the lookup "
            "keys listed; with the *adapter* (`models/smollm2-tool-use`, "
            "`pc.load_backend(adapter=...)`), the keys listed and no demonstrations; *tool call "
            'required*: `pc.Agent(..., tool_choice="required")`, the first turn cannot be '
            "an answer. A compile time of 0.00 s: an earlier row compiled the same pattern.",
            "",
            "| configuration " + _COLUMNS.format(groups="arithmetic / lookup"),
            "| --- " * 9 + "|",
            *(rows[config] for config in CONFIGS if config in rows),  # in the table's order
            "",
        ]
    )


def pc_tiny_section(args: argparse.Namespace) -> str:
    backend = load_backend("pc-tiny", threads=args.threads)
    assert isinstance(backend, LocalBackend)
    rows = []
    for wording in args.wording:
        for constrain in (False, True):
            label = "held-out wordings" if wording == "heldout" else "train wordings"
            label = f"{label}, {'constrained' if constrain else 'free'}"
            tally = run_curriculum(backend, args.n, args.seed, wording, constrain)
            rows.append(_row(label, tally, FAMILIES))
            print(rows[-1], flush=True)
    weights = ROOT / "models" / "pc-tiny" / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
    return "\n".join(
        [
            PC_TINY_TITLE,
            "",
            f"Weights sha256 {digest}; {args.n} problems per family ({', '.join(FAMILIES)}), "
            f"seed {args.seed}; the text protocol as trained (no demonstrations); the answer "
            "must equal the planned calls' last result.",
            "",
            "| problems " + _COLUMNS.format(groups="arithmetic / lookup"),
            "| --- " * 9 + "|",
            *rows,
            "",
        ]
    )


def _local(backend: object) -> LocalBackend:
    assert isinstance(backend, LocalBackend)
    return backend


def _row(label: str, t: Tally, groups: tuple[str, ...]) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in sorted(t.errors.items())) or "0"
    by_group = " / ".join(
        f"{t.solved_by_group.get(g, 0)}/{t.problems_by_group.get(g, 0)}" for g in groups
    )
    compiled = [s for s in t.compile_seconds if s > 0]
    compile_text = (
        f"{sum(compiled) / len(compiled):.2f} s / {max(compiled):.2f} s" if compiled else "—"
    )
    return (
        f"| {label} | {t.solved}/{t.problems} ({t.solved / max(t.problems, 1):.0%}) | "
        f"{by_group} | {t.steps / max(t.problems, 1):.2f} | "
        f"{t.malformed}/{t.steps} ({t.malformed / max(t.steps, 1):.1%}) | "
        f"{t.generated / max(t.seconds, 1e-9):.0f} | {t.seconds / max(t.problems, 1):.1f} | "
        f"{compile_text} | {errors} |"
    )


if __name__ == "__main__":
    main()
