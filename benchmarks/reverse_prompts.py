"""Reverse prompts on the default model (SmolLM2-135M-Instruct): write the question for an
answer, and measure how good the questions are.

The data, ``benchmarks/data/reverse_prompts.jsonl``, is 48 hand-written rows: an answer, the
question a person would ask for it (the reference) and the answer's key terms. Its facts are
not those of the ``question_from_answer`` template's examples nor of its tuning set,
``templates/evals/question_from_answer.jsonl``. Four prompts write a question for each
answer, greedily, through the public API (``template.run(backend, answer=...)``):

- ``zero-shot, text``: a prefix prompt, the instruction then ``Answer: ...`` and ``Question:``;
- ``zero-shot, chat``: the same instruction as the system message, the answer as the user's;
- ``reverse few-shot, text``: the library template's question-answer examples as a forward
  few-shot prompt, turned around by ``FewShotPrompt.reverse()`` (kind ``reverse``: each
  example shown answer first, then the answer, and the model writes the question);
- ``question_from_answer``: the library template as it ships (the report names its kind and
  the sha256 of the file it was loaded from).

Each question is scored automatically:

- **question-shaped**: one line that ends with ``?``;
- **leaks the answer**: it holds one of the key terms (a question that gives its answer away
  is no use for a quiz);
- **round trip**: the question is asked to the same model in a chat turn with no other
  context, and right when the reply holds a key term and the question did not. The
  reference questions go through the same round trip: their score is the ceiling, what the
  model can answer when a person writes the question;
- **points to its answer**: the same chat turn, nothing generated: of two replies, the row's
  answer and another row's (a fixed distractor on another subject), the model ranks the one
  it finds more probable (``pc.choices([...], mode="rank", rank_by="mean")``); right when it
  is the row's answer and the question did not leak it. This one does not need the model to
  know the fact, only to see which answer the question asks for. Chance is 50%; the floor is
  the same ranking after a question that asks for nothing ("Tell me something."), which
  measures how much the model prefers one answer anyway;
- **token F1 with the reference**: the overlap of words with the question a person wrote
  (SQuAD's F1; higher is closer in wording, not necessarily better).

    python benchmarks/reverse_prompts.py    # about 20 minutes on 1 thread of a shared 2-core CPU
    python benchmarks/reverse_prompts.py --limit 5 --out /tmp/reverse.md

Writes ``benchmarks/results/reverse_prompts.md``: the tables, then every question written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import promptcraft as pc  # noqa: E402
from promptcraft.evaluation.stats import wilson_interval  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "reverse_prompts.jsonl"
OUT = ROOT / "benchmarks" / "results" / "reverse_prompts.md"
TEMPLATE = "question_from_answer"
INSTRUCTION = (
    "Write the question that the answer below responds to. The question asks about the "
    "answer's subject without giving the answer away."
)
REVERSE_INSTRUCTION = (
    "Each answer below is followed by the question it answers. The question asks about the "
    "answer's subject without giving the answer away. Write the question for the last answer."
)
QUESTION_DEFAULTS: dict[str, Any] = {"max_tokens": 40, "temperature": 0, "stop": ["\n"]}
# The round trip: a plain chat turn, greedy; 32 tokens hold a one-sentence reply.
ANSWER_PARAMS: dict[str, Any] = {"max_tokens": 32, "temperature": 0}
# A question that asks for nothing: the floor of "points to its answer".
NO_QUESTION = "Tell me something."


@dataclass(frozen=True)
class Row:
    answer: str
    question: str  # the reference, written by a person
    key: tuple[str, ...]  # the answer's key terms: one in a reply makes it right


@dataclass
class Scored:
    """One prompt's questions (or the references), each with its round-trip reply."""

    label: str
    questions: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    right: list[bool] = field(default_factory=list)
    leaked: list[bool] = field(default_factory=list)
    shaped: list[bool] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    points: list[bool] = field(default_factory=list)  # ranks its own answer over a distractor
    seconds: float = 0.0  # writing the questions (the round trip not counted)


def load_rows(path: Path = DATA) -> list[Row]:
    lines = path.read_text(encoding="utf-8").splitlines()
    raw = [json.loads(line) for line in lines if line.strip()]
    return [Row(r["answer"], r["question"], tuple(r["key"])) for r in raw]


def holds_key(text: str, key: tuple[str, ...]) -> bool:
    """Whether ``text`` holds one of the key terms as a word or the start of one ("bat" in
    "bats", not in "combat"; "6" not in "64")."""
    return any(
        re.search(rf"(?<!\w){re.escape(term)}(?!\d)", text, flags=re.IGNORECASE) for term in key
    )


def question_shaped(text: str) -> bool:
    return bool(text) and "\n" not in text and text.endswith("?")


def token_f1(candidate: str, reference: str) -> float:
    """SQuAD's F1 over lowercased words, punctuation dropped."""
    a, b = (re.findall(r"\w+", s.casefold()) for s in (candidate, reference))
    common = sum((Counter(a) & Counter(b)).values())
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def prompts(library_template: pc.PromptTemplate) -> dict[str, pc.PromptTemplate]:
    """The four ways of asking for the question, each rendered from ``answer=...``."""
    forward = pc.FewShotPrompt(
        list(library_template.examples),
        input_key="question",
        output_key="answer",
        input_label="Question",
        output_label="Answer",
        defaults=QUESTION_DEFAULTS,
        name="question_answer",
    )
    return {
        "zero-shot, text": pc.PrefixPrompt(
            INSTRUCTION,
            input_key="answer",
            input_label="Answer",
            output_label="Question",
            defaults=QUESTION_DEFAULTS,
            name="zero_shot_text",
        ),
        "zero-shot, chat": pc.ChatPrompt(
            INSTRUCTION, input_key="answer", defaults=QUESTION_DEFAULTS, name="zero_shot_chat"
        ),
        # reverse() keeps the examples and the layout, not the generation defaults: give them.
        "reverse few-shot, text": forward.reverse(REVERSE_INSTRUCTION),
        TEMPLATE: library_template,
    }


def write_questions(
    label: str, template: pc.PromptTemplate, backend: pc.Backend, rows: list[Row]
) -> Scored:
    scored = Scored(label)
    started = time.perf_counter()
    # The library template runs with its own defaults; the prompts built here with these.
    params = None if template.name == TEMPLATE else QUESTION_DEFAULTS
    for row in rows:
        completion = template.run(backend, params=params, answer=row.answer)
        scored.questions.append(completion.text.strip())
    scored.seconds = time.perf_counter() - started
    return scored


def distractor(rows: list[Row], i: int) -> Row:
    """Row ``i``'s distractor: the row half the set away, on another subject."""
    return rows[(i + len(rows) // 2) % len(rows)]


def points_to_answer(question: str, answer: str, other: str, backend: pc.Backend) -> bool:
    """Whether the model, replying to ``question``, finds ``answer`` more probable than
    ``other`` (mean log-probability per token, so a long answer is not penalised)."""
    ranked = pc.generate_structured(
        backend,
        [{"role": "user", "content": question}],
        schema=pc.choices([answer, other], mode="rank", rank_by="mean"),
    )
    return bool(ranked == answer)


def round_trip(scored: Scored, backend: pc.Backend, rows: list[Row]) -> Scored:
    for i, (row, question) in enumerate(zip(rows, scored.questions, strict=True)):
        reply = backend.chat([{"role": "user", "content": question}], ANSWER_PARAMS).text.strip()
        leaked = holds_key(question, row.key)
        scored.replies.append(reply)
        scored.leaked.append(leaked)
        scored.shaped.append(question_shaped(question))
        scored.right.append(not leaked and holds_key(reply, row.key))
        scored.f1.append(token_f1(question, row.question))
        points = points_to_answer(question, row.answer, distractor(rows, i).answer, backend)
        scored.points.append(not leaked and points)
        mark = "ok  " if scored.right[-1] else "MISS"
        print(f"{mark} {scored.label:<18} {question[:60]!r} -> {reply[:50]!r}", flush=True)
    return scored


def no_question_floor(backend: pc.Backend, rows: list[Row]) -> list[bool]:
    """ "Points to its answer" after a question that asks for nothing."""
    return [
        points_to_answer(NO_QUESTION, row.answer, distractor(rows, i).answer, backend)
        for i, row in enumerate(rows)
    ]


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test on the discordant pairs: the chance of a split at least this
    uneven if both prompts were equally good."""
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(wins, losses) + 1)) / 2**n
    return min(1.0, 2 * tail)


def _pct(values: list[bool]) -> str:
    return f"{sum(values)}/{len(values)}"


def _with_interval(values: list[bool]) -> str:
    low, high = wilson_interval(sum(values), len(values))
    return f"{sum(values) / len(values):.0%} [{low:.0%}, {high:.0%}] ({_pct(values)})"


def report(
    template: str,
    model: str,
    results: list[Scored],
    reference: Scored,
    floor: list[bool],
    rows: list[Row],
    command: str,
    wall: float,
) -> str:
    answerable = reference.right  # the rows whose reference question makes the round trip
    lines = [
        f"# Reverse prompts on {model}: the question for an answer",
        "",
        f"`{command}`: {len(rows)} hand-written rows (`benchmarks/data/reverse_prompts.jsonl`), "
        f"greedy, {wall / 60:.1f} min in all on {torch.get_num_threads()} CPU thread(s) "
        f"({platform.processor() or platform.machine()}, shared with other processes). "
        f"{template}; the zero-shot instruction: "
        f'"{INSTRUCTION}"',
        "",
        "- **round trip**: the question is asked to the same model in a plain chat turn; right "
        "when the reply holds one of the answer's key terms and the question does not. The "
        "reference questions, written by a person, give the ceiling: the model does not know "
        f"every fact. *Where the reference's is right* counts the {sum(answerable)} rows "
        "whose reference question makes the round trip.",
        "- **points to its answer**: replying to the question, the model ranks the row's answer "
        "above another row's (mean log-probability per token; chance 50%), and the question "
        f'does not hold the answer. Floor: the same ranking after "{NO_QUESTION}"',
        "- 95% Wilson intervals.",
        "",
        "| questions from | round trip | where the reference's is right "
        "| points to its answer | question-shaped | leak the answer "
        "| token F1 with the reference | seconds to write |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for scored in [*results, reference]:
        f1 = sum(scored.f1) / len(scored.f1)
        seconds = f"{scored.seconds:.0f}" if scored is not reference else "–"
        kept = [r for r, a in zip(scored.right, answerable, strict=True) if a]
        lines.append(
            f"| {scored.label} | {_with_interval(scored.right)} | {_pct(kept)} "
            f"| {_with_interval(scored.points)} | {_pct(scored.shaped)} "
            f"| {_pct(scored.leaked)} | {f1:.2f} | {seconds} |"
        )
    lines.append(f'| no question ("{NO_QUESTION}") | | | {_with_interval(floor)} | | | | |')
    zero_shot, few_shot = results[:2], results[2:]
    lines += ["", "## Few-shot against zero-shot, row by row", ""]
    lines += [
        "Rows where only one of the two is right, and the two-sided exact sign test on them.",
        "",
        "| measure | few-shot | against | only the few-shot right | only the other right "
        "| sign test p |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for measure, name in (("right", "round trip"), ("points", "points to its answer")):
        for mine in few_shot:
            for other in zero_shot:
                a, b = getattr(mine, measure), getattr(other, measure)
                wins = sum(x and not y for x, y in zip(a, b, strict=True))
                losses = sum(y and not x for x, y in zip(a, b, strict=True))
                lines.append(
                    f"| {name} | {mine.label} | {other.label} | {wins} | {losses} "
                    f"| {sign_test(wins, losses):.3f} |"
                )
    lines += ["", "## Every question written", ""]
    lines += [
        "Each question, then its marks: round trip / points to its answer (✓ right, ✗ not); "
        "(leak): the question holds the answer.",
        "",
    ]
    head = " | ".join(s.label for s in [reference, *results])
    lines += [f"| answer | {head} |", "| --- |" + " --- |" * (len(results) + 1)]
    for i, row in enumerate(rows):
        cells = []
        for scored in [reference, *results]:
            marks = "/".join("✓" if ok else "✗" for ok in (scored.right[i], scored.points[i]))
            leak = " (leak)" if scored.leaked[i] else ""
            cells.append(f"{_cell(scored.questions[i])} {marks}{leak}")
        lines.append(f"| {_cell(row.answer)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="the first N rows only")
    parser.add_argument("--out", type=Path, default=OUT, help="the Markdown report")
    parser.add_argument("--backend", help="a load_backend spec (default: the default model)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    rows = load_rows()[: args.limit]
    backend = pc.load_backend(args.backend, threads=args.threads)
    # The library template as it is now: its file's digest names the version measured.
    path = ROOT / "templates" / f"{TEMPLATE}.prompt"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    library_template = pc.load_prompt(path)
    template = f"`templates/{TEMPLATE}.prompt` (kind {library_template.kind}, sha256 {digest}…)"
    results = [
        round_trip(write_questions(label, prompt, backend, rows), backend, rows)
        for label, prompt in prompts(library_template).items()
    ]
    reference = Scored("reference (a person)", questions=[row.question for row in rows])
    round_trip(reference, backend, rows)
    floor = no_question_floor(backend, rows)
    command = "python " + " ".join(
        [Path(sys.argv[0]).as_posix().removeprefix(f"{ROOT.as_posix()}/"), *sys.argv[1:]]
    )
    wall = time.perf_counter() - started
    text = report(template, backend.model, results, reference, floor, rows, command, wall)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text.split("\n## Every")[0])


if __name__ == "__main__":
    main()
