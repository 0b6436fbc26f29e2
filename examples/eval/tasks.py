"""The three tasks of this example, and the same task written as each kind of prompt.

Each task is a folder: ``data.jsonl`` holds the rows evaluated (``{"input", "expected"}``),
``pool.jsonl`` the examples few-shot prompts choose from (``{"input", "output"}``; no row of
one is in the other). The pool lists its labels in turn, so the first k examples of a
6-label task show k different labels, up to 6.

:func:`prompts` writes one task four ways, with one instruction and one pair of labels
(``Text:`` / ``Sentiment:``) shared by every kind, so that a difference in score comes from the
kind alone:

- ``prefix``: the instruction, then the input (zero-shot);
- ``few_shot``: examples, then the input, and no instruction;
- ``hybrid``: the instruction, examples, then the input;
- ``chat``: the instruction as the system message, each example as a user turn and an
  assistant turn, then the input as a user message, formatted by the model's chat template.

and in three output modes: ``text`` (free generation, scored on the text), ``choices`` (the
answer is constrained to the label set) and ``rank`` (nothing is generated: each label is scored
by the model's probability of it, and the most probable one is the answer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import promptcraft as pc

HERE = Path(__file__).resolve().parent

OutputMode = Literal["text", "choices", "rank"]
KINDS = ("prefix", "few_shot", "hybrid", "chat")
# Greedy, one line; 6 tokens hold the longest label ("technical problem") with room to spare.
DEFAULTS: dict[str, Any] = {"max_tokens": 6, "temperature": 0, "stop": ["\n"]}


@dataclass(frozen=True)
class Task:
    """One classification task: its labels, its instruction and the labels of its layout."""

    name: str  # its folder under examples/eval/
    title: str
    labels: tuple[str, ...]
    instruction: str
    input_label: str
    output_label: str

    @property
    def data(self) -> Path:
        return HERE / self.name / "data.jsonl"

    @property
    def pool(self) -> Path:
        return HERE / self.name / "pool.jsonl"

    def examples(self) -> list[dict[str, str]]:
        lines = self.pool.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


TASKS = (
    Task(
        name="sentiment",
        title="Sentiment of reviews and messages",
        labels=("positive", "negative", "neutral"),
        instruction=(
            "Classify the sentiment of the text. Answer with one word: positive, negative or "
            "neutral."
        ),
        input_label="Text",
        output_label="Sentiment",
    ),
    Task(
        name="intent",
        title="Intent of customer-support messages",
        labels=(
            "refund",
            "delivery status",
            "cancel order",
            "change address",
            "technical problem",
            "billing question",
        ),
        instruction=(
            "Classify the intent of the customer's message. Answer with one of: refund, "
            "delivery status, cancel order, change address, technical problem, billing question."
        ),
        input_label="Message",
        output_label="Intent",
    ),
    Task(
        name="topic",
        title="Topic of news sentences",
        labels=("sports", "politics", "technology", "health", "business", "science"),
        instruction=(
            "Classify the topic of the news sentence. Answer with one word: sports, politics, "
            "technology, health, business or science."
        ),
        input_label="Text",
        output_label="Topic",
    ),
)


def task_named(name: str) -> Task:
    for task in TASKS:
        if task.name == name:
            return task
    raise KeyError(f"no task {name!r}; tasks: {', '.join(t.name for t in TASKS)}")


def output_spec(task: Task, mode: OutputMode) -> dict[str, Any] | str:
    """The ``output:`` setting of a mode, as a .prompt file's front matter would write it."""
    if mode == "text":
        return "text"
    if mode == "choices":
        return {"choices": list(task.labels)}
    return {"choices": list(task.labels), "mode": "rank"}


def prompts(
    task: Task,
    mode: OutputMode = "choices",
    kinds: tuple[str, ...] = KINDS,
    *,
    label: str | None = None,
) -> list[pc.PromptTemplate]:
    """The task as each of ``kinds``, in one output mode. Every template but ``prefix`` holds
    the whole pool; the evaluation's ``select`` decides which k examples it shows. Each is
    named for its kind, plus `` (label)`` when a label is given."""
    suffix = f" ({label})" if label else ""
    common: dict[str, Any] = {"defaults": DEFAULTS, "output": output_spec(task, mode)}
    labels = {"input_label": task.input_label, "output_label": task.output_label}
    pool = task.examples()
    build = {
        "prefix": lambda name: pc.PrefixPrompt(task.instruction, name=name, **labels, **common),
        "few_shot": lambda name: pc.FewShotPrompt(pool, name=name, **labels, **common),
        "hybrid": lambda name: pc.HybridPrompt(
            task.instruction, pool, name=name, **labels, **common
        ),
        "chat": lambda name: pc.ChatPrompt(task.instruction, examples=pool, name=name, **common),
    }
    return [build[kind](kind + suffix) for kind in kinds]
