"""Measure a curriculum-trained model against the bundled model's targets.

::

    python -m recipes.pc_tiny.evaluate --model models/pc-tiny --out models/pc-tiny/eval.json

Everything runs the way a user runs it: the model is loaded with
``pc.load_backend("local:PATH")``, each held-out item's template (built with the public
prompt classes, or the bundled ``tool_protocol``) runs through ``tmpl.run(backend, ...)``
with greedy decoding, and tool questions run the text protocol with the real tools' results
fed back. Writes the per-suite scores as JSON and the targets table as Markdown
(``eval.md`` next to the JSON) for MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from tqdm import tqdm

from promptcraft.backends import Backend, load_backend

from .catalog import TEXT_FAMILIES, is_drill, kinds_of
from .evaluation import EvalItem, EvalSuite, eval_suites
from .tool_protocol import OBSERVATION_STOP, ToolEpisode

__all__ = ["TARGETS", "SuiteScore", "Target", "evaluate_model", "score_suite", "targets_table"]

GREEDY = {"temperature": 0.0, "max_tokens": 48, "stop": ["\n"]}
TOOL_GREEDY = {"temperature": 0.0, "max_tokens": 64, "stop": [OBSERVATION_STOP]}


class SuiteScore(BaseModel):
    """Greedy results on one suite (family, kind, k, wording split)."""

    model_config = ConfigDict(frozen=True)

    family: str
    kind: str
    k: int
    wording: str
    n: int
    exact_match: float  # tool suites: the final answer is right
    calls_correct: float | None = None  # tool suites: every call gave the expected result
    well_formed: float | None = None  # tool suites: every reply was an action or an answer
    examples: list[dict[str, str]] = []  # a few failures, for reading


class Target(BaseModel):
    """A row of the targets table: which suites it averages, and the bar."""

    model_config = ConfigDict(frozen=True)

    name: str
    select: Callable[[SuiteScore], bool]
    threshold: float | None  # None: reported, not a target
    metric: str = "exact_match"


def _in_context_only(family: str) -> bool:
    # A drill is in-context practice, never part of a target (even if asked to evaluate it).
    return family in TEXT_FAMILIES and not is_drill(family) and "prefix" not in kinds_of(family)


def _prefix_family(family: str) -> bool:
    return family in TEXT_FAMILIES and "prefix" in kinds_of(family)


TARGETS: tuple[Target, ...] = (
    Target(
        name="prefix-prompted task families, held-out instances",
        select=lambda s: s.kind == "prefix" and _prefix_family(s.family) and s.wording == "train",
        threshold=0.90,
    ),
    Target(
        name="the same with held-out instruction wordings",
        select=lambda s: s.kind == "prefix" and _prefix_family(s.family) and s.wording == "heldout",
        threshold=0.75,
    ),
    Target(
        name="in-context-only tasks, 0-shot (chance level expected)",
        select=lambda s: s.kind == "few_shot" and _in_context_only(s.family) and s.k == 0,
        threshold=None,
    ),
    # The 4-shot and reverse targets average both wording splits (the held-out data is a new
    # seed and new wordings); the reported "training wordings only" rows split the gap.
    Target(
        name="in-context-only tasks, 4-shot",
        select=lambda s: s.kind == "few_shot" and _in_context_only(s.family) and s.k == 4,
        threshold=0.85,
    ),
    Target(
        name="in-context-only tasks, 4-shot, training wordings only",
        select=lambda s: (
            s.kind == "few_shot"
            and _in_context_only(s.family)
            and s.k == 4
            and s.wording == "train"
        ),
        threshold=None,
    ),
    Target(name="reverse prompts", select=lambda s: s.kind == "reverse", threshold=0.80),
    Target(
        name="reverse prompts, training wordings only",
        select=lambda s: s.kind == "reverse" and s.wording == "train",
        threshold=None,
    ),
    Target(
        name="tool protocol, 2-step arithmetic, held-out instances: correct final answer",
        select=lambda s: s.family == "tool_arithmetic" and s.wording == "train",
        threshold=0.90,
    ),
    Target(
        name="tool protocol, 2-step arithmetic, held-out instances: every call well-formed",
        select=lambda s: s.family == "tool_arithmetic" and s.wording == "train",
        threshold=0.90,
        metric="well_formed",
    ),
    Target(
        name="tool protocol, 2-step arithmetic, held-out question wordings: final answer",
        select=lambda s: s.family == "tool_arithmetic" and s.wording == "heldout",
        threshold=None,
    ),
)


def score_suite(backend: Backend, suite: EvalSuite, *, keep_failures: int = 3) -> SuiteScore:
    """Run every item of ``suite`` greedily on ``backend``."""
    if suite.kind == "tool":
        return _score_tool_suite(backend, suite, keep_failures)
    hits = 0
    failures: list[dict[str, str]] = []
    for item in suite.items:
        reply = item.template.run(backend, params=GREEDY, **item.inputs).text
        if item.check(reply):
            hits += 1
        elif len(failures) < keep_failures:
            failures.append({"expected": item.expected, "got": reply})
    return SuiteScore(
        family=suite.family,
        kind=suite.kind,
        k=suite.k,
        wording=suite.wording,
        n=len(suite.items),
        exact_match=hits / len(suite.items),
        examples=failures,
    )


def _score_tool_suite(backend: Backend, suite: EvalSuite, keep_failures: int) -> SuiteScore:
    def generate(prompt: str) -> str:
        return backend.generate(prompt, params=TOOL_GREEDY).text

    answers = calls = formed = 0
    failures: list[dict[str, str]] = []
    for item in suite.items:
        episode = item.run_tool(generate)
        calls_ok, answer_ok = item.check_episode(episode)
        answers += answer_ok
        calls += calls_ok
        formed += _well_formed(episode, item)
        if not answer_ok and len(failures) < keep_failures:
            failures.append({"expected": item.expected, "got": " | ".join(episode.replies)})
    n = len(suite.items)
    return SuiteScore(
        family=suite.family,
        kind=suite.kind,
        k=suite.k,
        wording=suite.wording,
        n=n,
        exact_match=answers / n,
        calls_correct=calls / n,
        well_formed=formed / n,
        examples=failures,
    )


def _well_formed(episode: ToolEpisode, item: EvalItem) -> bool:
    """Every action the model wrote is a JSON object naming an offered tool with an
    ``args`` object, and the episode ended with an answer."""
    offered = {tool["name"] for tool in item.inputs["tools"]}
    for step in episode.steps:
        action = step["action"]
        if not (
            isinstance(action, dict)
            and action.get("tool") in offered
            and isinstance(action.get("args"), dict)
        ):
            return False
    return episode.answer is not None


def targets_table(scores: Sequence[SuiteScore]) -> list[dict[str, Any]]:
    """Each target's item-weighted mean over its suites, with pass/fail."""
    rows = []
    for target in TARGETS:
        chosen = [s for s in scores if target.select(s)]
        n = sum(s.n for s in chosen)
        value = (
            sum(getattr(s, target.metric) * s.n for s in chosen) / n
            if n and all(getattr(s, target.metric) is not None for s in chosen)
            else None
        )
        passed = None
        if target.threshold is not None and value is not None:
            passed = value >= target.threshold
        rows.append(
            {
                "target": target.name,
                "threshold": target.threshold,
                "value": value,
                "n": n,
                "passed": passed,
            }
        )
    return rows


def evaluate_model(
    model: str,
    *,
    n: int = 50,
    seed: int = 0,
    families: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    progress: bool = True,
    threads: int | None = None,
) -> dict[str, Any]:
    """Score ``model`` (a directory) on every held-out suite, with ``threads`` CPU threads;
    returns the report."""
    start = time.perf_counter()
    backend = load_backend(f"local:{model}", threads=threads)
    suites = eval_suites(n=n, seed=seed, families=families, kinds=kinds)  # type: ignore[arg-type]
    scores = [score_suite(backend, s) for s in tqdm(suites, desc="suites", disable=not progress)]
    by_kind: defaultdict[str, list[SuiteScore]] = defaultdict(list)
    for score in scores:
        by_kind[f"{score.kind}/{score.wording}"].append(score)
    return {
        "model": str(model),
        "n_per_suite": n,
        "seed": seed,
        "seconds": round(time.perf_counter() - start, 1),
        "targets": targets_table(scores),
        "by_kind": {
            key: sum(s.exact_match * s.n for s in group) / sum(s.n for s in group)
            for key, group in sorted(by_kind.items())
        },
        "suites": [s.model_dump() for s in scores],
    }


def markdown_report(report: dict[str, Any]) -> str:
    """The targets table, then exact match per family and kind."""
    lines = [
        "| target | goal | measured | n | |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in report["targets"]:
        goal = "report" if row["threshold"] is None else f"≥ {row['threshold']:.0%}"
        value = "n/a" if row["value"] is None else f"{row['value']:.1%}"
        mark = {True: "met", False: "missed", None: ""}[row["passed"]]
        lines.append(f"| {row['target']} | {goal} | {value} | {row['n']} | {mark} |")
    lines += ["", "| family | kind | k | wording | exact match | calls right | n |"]
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    for s in report["suites"]:
        calls = "" if s["calls_correct"] is None else f"{s['calls_correct']:.0%}"
        lines.append(
            f"| {s['family']} | {s['kind']} | {s['k']} | {s['wording']} | "
            f"{s['exact_match']:.0%} | {calls} | {s['n']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m recipes.pc_tiny.evaluate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--model", required=True, help="model directory (HF layout)")
    parser.add_argument("--out", type=Path, required=True, help="JSON report to write")
    parser.add_argument("--n", type=int, default=50, help="items per suite")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--families", nargs="*", default=None)
    parser.add_argument("--kinds", nargs="*", default=None)
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rebuild the targets and Markdown from the suites already in --out",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        report = json.loads(args.out.read_text(encoding="utf-8"))
        report["targets"] = targets_table([SuiteScore(**s) for s in report["suites"]])
        _write(report, args.out)
        return
    report = evaluate_model(
        args.model,
        n=args.n,
        seed=args.seed,
        families=args.families,
        kinds=args.kinds,
        threads=args.threads,
    )
    _write(report, args.out)


def _write(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    table = markdown_report(report)
    out.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
