"""Choices generated vs ranked, on topic and intent classification with the default model.

Two labelled sets written for this benchmark (``benchmarks/data``): ``topic.jsonl`` (72 news
sentences, six topics) and ``intent.jsonl`` (66 customer-support messages of an online shop,
six intents whose labels are two to four tokens long, such as ``refund_request``). Each
row is asked as a chat message, as a text prompt ending in ``Topic:`` / ``Intent:``, and as
that text prompt after 12 worked examples (few-shot), and answered four ways through the public API
(:func:`promptcraft.structured.generate_structured_batch`, batches of 8 prompts):

- *free text*: unconstrained greedy generation (at most 8 tokens, up to a newline), scored by
  the evaluation's ``choice`` metric (the choice the text names first);
- *generate*: ``choices(labels)``: greedy constrained decoding;
- *rank, sum* and *rank, mean*: ``choices(labels, mode="rank")``: every label scored after
  the prompt by the sum, or the mean, of its tokens' log-probabilities (one ranking gives
  both, so they share one time).

Reported: accuracy with its 95% Wilson interval, and the time per item: a mode's wall time
over the set divided by its items (the shared prefix of a batch counts once), the best of
``--repeats`` passes (2) that run the modes in turn, in reverse order every other pass.

    python benchmarks/choices.py              # both sets, both prompt forms (a few minutes)
    python benchmarks/choices.py --limit 12   # the first 12 rows of each set, a smoke test

Writes the table to benchmarks/results/choices.md as well.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from machine import cpu_name

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import promptcraft as pc  # noqa: E402
from promptcraft.evaluation.metrics import extract_choice  # noqa: E402
from promptcraft.evaluation.stats import wilson_interval  # noqa: E402
from promptcraft.structured import StructuredJob, choices, generate_structured_batch  # noqa: E402

BATCH = 8
TASKS: dict[str, dict[str, Any]] = {
    "topic": {
        "file": "topic.jsonl",
        "field": "text",
        "labels": ["sports", "politics", "technology", "health", "business", "entertainment"],
        "chat": "Classify the topic of this news sentence as one of: {labels}.\n\nSentence: {x}",
        "text": (
            "Classify the topic of each news sentence as one of: {labels}.\n\nSentence: {x}\nTopic:"
        ),
    },
    "intent": {
        "file": "intent.jsonl",
        "field": "message",
        "labels": [
            "track_order",
            "cancel_order",
            "refund_request",
            "payment_issue",
            "account_access",
            "change_address",
        ],
        "chat": (
            "Which intent does this customer-support message express? One of: {labels}.\n\n"
            "Message: {x}"
        ),
        "text": (
            "Label the intent of each customer-support message as one of: {labels}.\n\n"
            "Message: {x}\nIntent:"
        ),
    },
}
# Worked examples of the few-shot prompt, two per label, none from the labelled sets.
EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "topic": [
        ("The goalkeeper saved a penalty in the shoot-out.", "sports"),
        ("The minister resigned after the scandal over party donations.", "politics"),
        ("The new laptop has a brighter screen and a longer battery life.", "technology"),
        ("Walking every day lowers blood pressure, a new study says.", "health"),
        ("The bank reported record profits for the third quarter.", "business"),
        ("The singer's world tour starts in Tokyo in April.", "entertainment"),
        ("She won gold in the long jump at the European championships.", "sports"),
        ("Voters will choose a new governor in November.", "politics"),
        ("The app now encrypts every message end to end.", "technology"),
        ("Flu vaccines are free for everyone over sixty-five.", "health"),
        ("The factory will hire three hundred workers next year.", "business"),
        ("The sequel earned ninety million dollars on its opening weekend.", "entertainment"),
    ],
    "intent": [
        ("When will my order arrive?", "track_order"),
        ("Please cancel my last order.", "cancel_order"),
        ("I want my money back for the broken kettle.", "refund_request"),
        ("My credit card keeps getting rejected.", "payment_issue"),
        ("I can't sign in to my account.", "account_access"),
        ("Please deliver my order to my new flat instead.", "change_address"),
        ("Is my parcel out for delivery today?", "track_order"),
        ("I ordered by mistake, please don't send it.", "cancel_order"),
        ("The refund for my return hasn't arrived.", "refund_request"),
        ("Why was I charged twice?", "payment_issue"),
        ("The password reset link doesn't work.", "account_access"),
        ("The house number on my order is wrong.", "change_address"),
    ],
}
FORMS = ("chat", "text", "few-shot")
MODES = ("free text", "generate", "rank, sum", "rank, mean")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="the first N rows of each set")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2, help="timing passes (best counts)")
    parser.add_argument("--model", default=None, help="a load_backend spec (default: SmolLM2)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/choices.md")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    started = time.time()
    backend = pc.load_backend(args.model, threads=args.threads)

    table = []
    for task, spec in TASKS.items():
        rows = _rows(spec["file"], args.limit)
        labels = spec["labels"]
        expected = [r["expected"] for r in rows]
        for form in FORMS:
            prompts = [_prompt(task, form, r[spec["field"]]) for r in rows]
            answers, seconds = _answers(backend, prompts, labels, args.repeats)
            for mode in MODES:
                hits = sum(a == e for a, e in zip(answers[mode], expected, strict=True))
                low, high = wilson_interval(hits, len(rows))
                ms = 1000 * seconds[mode] / len(rows)
                table.append((task, form, mode, hits, len(rows), low, high, ms))
                print(f"{task:7} {form:5} {mode:11} {hits}/{len(rows)}  {ms:.0f} ms/item")
    report = _markdown(table, args, backend, load, time.time() - started)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")


def _rows(name: str, limit: int | None) -> list[dict[str, Any]]:
    path = ROOT / "benchmarks" / "data" / name
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return rows[:limit] if limit else rows


def _prompt(task: str, form: str, x: str) -> Any:
    spec = TASKS[task]
    labels = ", ".join(spec["labels"])
    if form == "chat":
        return [{"role": "user", "content": spec["chat"].format(labels=labels, x=x)}]
    if form == "text":
        return spec["text"].format(labels=labels, x=x)
    # few-shot: the text prompt's instruction, then the worked examples, then the query
    instruction, query = spec["text"].format(labels=labels, x="\0").split("\n\n")
    # shuffled once, so that the labels do not follow a cycle the model could continue
    examples = random.Random(7).sample(EXAMPLES[task], len(EXAMPLES[task]))
    shots = [query.replace("\0", example) + f" {label}" for example, label in examples]
    return "\n\n".join([instruction, *shots, query.replace("\0", x)])


def _answers(
    backend: pc.Backend, prompts: list[Any], labels: list[str], repeats: int
) -> tuple[dict[str, list[str | None]], dict[str, float]]:
    """Each mode's answers, and its best time over ``repeats`` passes (the modes run in turn,
    in reverse order on every other pass, so that load elsewhere hits them alike)."""
    params = {"temperature": 0, "max_tokens": 8}
    rank = choices(labels, mode="rank", rank_by="sum")
    runs: dict[str, Callable[[], Any]] = {
        "free text": lambda: _free_text(backend, prompts, {**params, "stop": ["\n"]}),
        "generate": lambda: generate_structured_batch(
            backend, [StructuredJob(p, choices(labels), params) for p in prompts], batch_size=BATCH
        ),
        "rank": lambda: generate_structured_batch(
            backend, [StructuredJob(p, rank, {}) for p in prompts], batch_size=BATCH
        ),
    }
    outputs: dict[str, Any] = {}
    best = dict.fromkeys(runs, float("inf"))
    for repeat in range(repeats):
        for name in runs if repeat % 2 == 0 else reversed(runs):
            backend.close()  # every pass starts from an empty prefix cache
            outputs[name], took = _timed(runs[name])
            best[name] = min(best[name], took)
    answers: dict[str, list[str | None]] = {
        "free text": [extract_choice(text, labels) for text in outputs["free text"]],
        "generate": [_output(r) for r in outputs["generate"]],
    }
    seconds = {"free text": best["free text"], "generate": best["generate"]}
    for rank_by in ("sum", "mean"):
        mode = f"rank, {rank_by}"
        seconds[mode] = best["rank"]
        answers[mode] = [
            None if isinstance(r, BaseException) or r.ranking is None else r.ranking.best(rank_by)
            for r in outputs["rank"]
        ]
    return answers, seconds


def _free_text(backend: Any, prompts: list[Any], params: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for start in range(0, len(prompts), BATCH):
        texts.extend(c.text for c in backend.generate_batch(prompts[start : start + BATCH], params))
    return texts


def _output(result: Any) -> str | None:
    return None if isinstance(result, BaseException) else result.output


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    value = work()
    return value, time.perf_counter() - began


def _markdown(
    table: list[tuple[Any, ...]], args: argparse.Namespace, backend: Any, load: float, wall: float
) -> str:
    day = datetime.date.today().isoformat()
    lines = [
        "# Choices: generated vs ranked",
        "",
        f"{day} · {cpu_name()} · torch {torch.__version__} · {args.threads} thread(s) · "
        f"model {backend.model} · full run in {wall:.0f} s · load average {load:.1f} at start",
        "",
        "Topic (72 news sentences, 6 topics) and intent (66 customer-support messages, 6 "
        "intents) classification, greedy, batches of 8 prompts. *chat*: the question as one "
        "user message (the model's chat template); *text*: a text prompt ending in "
        "`Topic:` / `Intent:`; *few-shot*: the text prompt with 12 worked examples (two per "
        "label, none from the sets) before the query. Shared machine: other processes may "
        "have been running.",
        "",
        "| task | prompt | mode | accuracy | 95% Wilson interval | time per item |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for task, form, mode, hits, n, low, high, ms in table:
        lines.append(
            f"| {task} | {form} | {mode} | {hits}/{n} = {hits / n:.0%} | "
            f"{low:.0%} – {high:.0%} | {ms:.0f} ms |"
        )
    lines += [
        "",
        "- *free text*: unconstrained, at most 8 tokens up to a newline; the choice it names "
        "first counts (`extract_choice`, as the evaluation's `choice` metric reads it).",
        "- *generate*: `choices(labels)`, constrained decoding (the answer is always a label).",
        '- *rank, sum* / *rank, mean*: `choices(labels, mode="rank", rank_by=...)`: each '
        "label's token log-probabilities after the prompt, summed or averaged; both come from "
        "one ranking, so they share its time. A label follows a text prompt after one space.",
        f"- *time per item*: a mode's wall time over the set / its items, the best of "
        f"{args.repeats} passes (the modes in turn, reversed every other pass), each from an "
        "empty prefix cache; greedy, so every pass gives the same answers.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
