"""The bundled template library on the default model (SmolLM2-135M-Instruct): every template
on its own held-out set, `templates/evals/<name>.jsonl`, run as a user runs it.

Each row goes through `template.run(backend, **inputs)` with the template's own defaults
(what `run()` returns: the parsed value for a template with `output:`, else the completion's
text) and is scored by the template's metric. The metrics are promptcraft's (`exact`,
`contains`, ...) or the functions below, which `promptcraft eval` imports as
`--metric python:benchmarks.templates:<function>` (run it from the repository root). For the
templates where another layout was compared, the same rows also go through that variant: the
template's own front matter and examples with another kind and body (`Suite.variants`). For
question_from_answer, the round trip: the question it writes is asked to the `assistant`
template, and the reply must give back the answer without the question giving it away.

    python benchmarks/templates.py                        # all ten, variants, round trip
    python benchmarks/templates.py sentiment translate --no-variants
    python benchmarks/templates.py --backend pc-tiny --out /tmp/pc-tiny.md
    python benchmarks/templates.py summarize --out /tmp/b/templates.md   # in parallel, then
    python benchmarks/templates.py --merge /tmp/b/templates.json       # into the report

Each measurement is kept in benchmarks/results/templates.json (its outputs, scores and the
run it came from), so a run of some templates replaces theirs and keeps the others; the
report, benchmarks/results/templates.md (a table per measurement, and every miss), is
written from all of them.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import promptcraft as pc  # noqa: E402
from promptcraft.agents.arithmetic import calculate  # noqa: E402
from promptcraft.evaluation.dataset import DataRow, load_dataset  # noqa: E402
from promptcraft.evaluation.json_output import find_json  # noqa: E402
from promptcraft.evaluation.metrics import ScoringContext, parse_metric  # noqa: E402
from promptcraft.evaluation.stats import wilson_interval  # noqa: E402

EVALS = ROOT / "templates" / "evals"
TEMPLATES = ROOT / "templates"
OUT = ROOT / "benchmarks" / "results" / "templates.md"
STORE = OUT.with_suffix(".json")


# --- metrics that need more than promptcraft's own (also for `promptcraft eval`) ----------------


def all_fields(output: str, expected: Mapping[str, Any]) -> bool:
    """extract_json: the output is a JSON object and every expected field equals its value."""
    try:
        value = find_json(output)
    except ValueError:
        return False
    return isinstance(value, dict) and all(value.get(k) == v for k, v in expected.items())


def fields_right(output: str, expected: Mapping[str, Any]) -> float:
    """extract_json, per field: the share of the expected fields the output gets right."""
    try:
        value = find_json(output)
    except ValueError:
        return 0.0
    if not isinstance(value, dict) or not expected:
        return 0.0
    return sum(value.get(k) == v for k, v in expected.items()) / len(expected)


def math_answer(output: str, expected: float) -> bool:
    """math_reasoning: the expression the output gives (the `expression` of its JSON, else
    the text after the last `Expression:` or `Answer:`), computed by promptcraft's safe
    calculator, equals the expected number."""
    try:
        value = find_json(output)
        expression = str(value["expression"]) if isinstance(value, dict) else str(value)
    except (ValueError, KeyError):
        expression = output
        for cue in ("Expression:", "Answer:"):
            expression = expression.rsplit(cue, 1)[-1]
    try:
        return abs(float(calculate(expression.strip().replace(",", ""))) - float(expected)) < 1e-6
    except (ValueError, ZeroDivisionError):
        return False


def within_word_limit(output: str, expected: Any, inputs: Mapping[str, Any]) -> bool:
    """summarize: the summary is no longer than the words asked for (default 60)."""
    return 0 < len(output.split()) <= int(inputs.get("words", 60))


def instruction_topic(output: str, expected: list[str], inputs: Mapping[str, Any]) -> bool:
    """instruction_backtranslation: the instruction names the response's topic (one of the
    expected terms, ignoring case) and is not a copy of the response: no stretch of the
    response of 30 characters or more makes up more than half of it (naming the topic, as
    in "What is a black hole?", is not copying)."""
    text = output.strip()
    if not text or not any(term.casefold() in text.casefold() for term in expected):
        return False
    response = str(inputs.get("response", ""))
    match = difflib.SequenceMatcher(None, text.casefold(), response.casefold(), autojunk=False)
    longest = match.find_longest_match(0, len(text), 0, len(response)).size
    return longest < 30 or longest <= len(text) / 2


def _sentence(text: str) -> str:
    """A sentence as proofread compares it: whitespace collapsed, typographic apostrophes and
    quotes made plain, wrapping quotes and the final . ! or ? dropped, case folded."""
    text = " ".join(text.replace("\u2019", "'").replace("\u201c", '"').split())
    text = text.replace("\u201d", '"').strip().strip('"').strip()
    return text.rstrip(".!?").strip().casefold()


def corrected(output: str, expected: str) -> bool:
    """proofread: the output is the expected sentence, ignoring whitespace, case, wrapping
    quotes and the final punctuation mark."""
    return _sentence(output) == _sentence(expected)


def _words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[\w']+", _sentence(text)))


def edits_right(output: str, expected: str, inputs: Mapping[str, Any]) -> float:
    """proofread, softer: how far the output's word edits are the correction's. The edits are
    the words added to the input and the words taken out of it (counted, ignoring case and
    punctuation); the score is the edits both make over the edits either makes (Jaccard), so
    a fix scores, a missed fix and a change the sentence did not need cost. A row with
    nothing to correct scores 1 only when the output leaves it as it is."""
    source, wanted, got = _words(str(inputs.get("text", ""))), _words(expected), _words(output)
    needed = [wanted - source, source - wanted]  # added, removed
    made = [got - source, source - got]
    both = sum(sum((n & m).values()) for n, m in zip(needed, made, strict=True))
    either = sum(sum((n | m).values()) for n, m in zip(needed, made, strict=True))
    return both / either if either else 1.0


# --- what each template is measured with ---------------------------------------------------------


@dataclass(frozen=True)
class Suite:
    name: str
    metric: str  # a parse_metric spec, or python:benchmarks.templates:<function>
    layout: str  # the layout the template uses, for the table
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    also: str | None = None  # a second metric, reported as its mean

    @property
    def command(self) -> str:
        return (
            f"promptcraft eval {self.name} --data templates/evals/{self.name}.jsonl "
            f"--metric {self.metric}"
        )


def _chat_examples(user: str, assistant: str, condition: str = "") -> str:
    """A chat body: the examples as user and assistant turns (Jinja sources per turn)."""
    loop = f"{{% for example in examples{condition} %}}"
    return (
        f"{{% block examples %}}\n{loop}\n"
        f'{{% message "user" %}}{user}{{% endmessage %}}\n'
        f'{{% message "assistant" %}}{assistant}{{% endmessage %}}\n'
        "{% endfor %}\n{% endblock %}\n"
    )


def _block(name: str, source: str) -> str:
    return f"{{% block {name} %}}\n{source}\n{{% endblock %}}\n"


SENTIMENT_INSTRUCTION = (
    'Label the sentiment of the user\'s text as one of: {{ labels|join(", ") }}. Answer with the '
    'label only.{% if "neutral" in labels %} A text that gives no opinion, only facts, is '
    "neutral.{% endif %}"
)
INTENTS = ["book_flight", "cancel_booking", "flight_status", "refund", "baggage", "other"]
SUMMARY_INSTRUCTION = (
    "Summarize the text below in at most {{ words }} words. Keep the facts, names and numbers "
    "that matter; do not add anything the text does not say.{%- if focus %} Focus on "
    "{{ focus }}.{% endif %}"
)
PROOFREAD_INSTRUCTION = (
    "Correct the spelling and grammar of the user's sentence. Keep its meaning and wording "
    "otherwise. Answer with the corrected sentence only."
)
BACKTRANSLATION_REQUEST = "Response:\n{}\n\nWrite the instruction this response follows."

SUITES = [
    Suite(
        "sentiment",
        "exact:ignore_case",
        "few_shot (completion)",
        {
            "chat": {
                "kind": "chat",
                "layout": None,
                "body": _block("instruction", SENTIMENT_INSTRUCTION)
                + _chat_examples(
                    "{{ example.text }}", "{{ example.label }}", " if example.label in labels"
                )
                + _block("query", '{% message "user" %}{{ text }}{% endmessage %}'),
            },
            "choices, generate": {"output": {"choices": ["positive", "negative", "neutral"]}},
            "choices, rank": {
                "output": {"choices": ["positive", "negative", "neutral"], "mode": "rank"}
            },
        },
    ),
    Suite(
        "classify_intent",
        "exact",
        "few_shot (completion), constrained choices",
        {
            "chat": {
                "kind": "chat",
                "layout": {"input_key": "message", "output_key": "intent"},
                "body": _block(
                    "instruction",
                    "Classify the customer's message as one of: " + ", ".join(INTENTS) + ". "
                    "Answer with the intent only.",
                )
                + _chat_examples("{{ example.message }}", "{{ example.intent }}", "|reverse"),
            },
            "choices, rank": {"output": {"choices": INTENTS, "mode": "rank"}},
        },
    ),
    Suite(
        "extract_json",
        "python:benchmarks.templates:all_fields",
        "hybrid (completion), constrained JSON",
        {
            "chat": {
                "kind": "chat",
                "body": _block(
                    "instruction",
                    "Extract the contact details from the user's text as one JSON object with "
                    "the keys name, email and company. Copy each value exactly as the text "
                    "writes it; use null for anything the text does not give.",
                )
                + _chat_examples("{{ example.text }}", "{{ example.json|json }}")
                + _block("query", '{% message "user" %}{{ text }}{% endmessage %}'),
            }
        },
        also="python:benchmarks.templates:fields_right",
    ),
    Suite(
        "math_reasoning",
        "python:benchmarks.templates:math_answer",
        "hybrid (completion), constrained JSON",
        {
            "chat": {
                "kind": "chat",
                "body": _block(
                    "instruction",
                    "Write the user's word problem as one arithmetic expression that computes "
                    "its answer. First list the numbers the problem gives, then write the "
                    "expression with + - * / and parentheses.",
                )
                + _chat_examples(
                    "{{ example.problem }}",
                    '{{ {"numbers": example.numbers, "expression": example.expression}|json }}',
                )
                + _block("query", '{% message "user" %}{{ problem }}{% endmessage %}'),
            }
        },
    ),
    Suite(
        "translate",
        "contains:ignore_case",
        "hybrid (completion)",
        {
            "chat": {
                "kind": "chat",
                "body": _block(
                    "instruction",
                    "Translate the user's {{ source }} text into {{ target }}. Answer with the "
                    "translation only.",
                )
                + _chat_examples(
                    "{{ example.text }}",
                    "{{ example.translation }}",
                    ' if example.target == target and source == "English"',
                )
                + _block("query", '{% message "user" %}{{ text }}{% endmessage %}'),
            }
        },
    ),
    Suite(
        "summarize",
        "contains:ignore_case",
        "chat",
        {
            "completion": {
                "kind": "prefix",
                "defaults": {"max_tokens": 120, "temperature": 0, "stop": ["\n\n", "\nText:"]},
                "body": _block("instruction", SUMMARY_INSTRUCTION)
                + _block("query", "Text:\n{{ text }}\n\nSummary:"),
            }
        },
        also="python:benchmarks.templates:within_word_limit",
    ),
    Suite(
        "question_from_answer",
        "contains:ignore_case",
        "chat (reverse: answer as the user turn)",
        {
            "completion": {
                "kind": "reverse",
                "layout": {
                    "input_key": "question",
                    "output_key": "answer",
                    "input_label": "Question",
                    "output_label": "Answer",
                    "example_separator": "\n\n###\n\n",
                },
                "body": _block(
                    "instruction",
                    "Each answer below is followed by the question it answers. The question "
                    "asks about the answer's subject without giving the answer away. Write the "
                    "question for the last answer.",
                ),
            }
        },
    ),
    Suite(
        "instruction_backtranslation",
        "python:benchmarks.templates:instruction_topic",
        "reverse (completion)",
        {
            "chat": {
                "kind": "chat",
                "layout": None,
                "body": _block(
                    "instruction",
                    "You write the instruction that a given response follows: one or two "
                    "sentences, in the voice of a user asking for it.",
                )
                + _chat_examples(
                    BACKTRANSLATION_REQUEST.format("{{ example.response }}"),
                    "{{ example.instruction }}",
                )
                + _block(
                    "query",
                    '{% message "user" %}'
                    + BACKTRANSLATION_REQUEST.format("{{ response }}")
                    + "{% endmessage %}",
                ),
            }
        },
    ),
    Suite(
        "assistant",
        "contains:ignore_case",
        "chat",
        {
            "completion": {
                "kind": "prefix",
                "defaults": {"max_tokens": 200, "temperature": 0, "stop": ["\nQuestion:"]},
                "body": _block(
                    "instruction",
                    "You are {{ persona }}. Answer accurately and briefly; say so when you do "
                    "not know.{% if context %}\n\nAnswer from this context only:\n"
                    "{{ context }}{% endif %}",
                )
                + _block("query", "Question: {{ message }}\nAnswer:"),
            }
        },
    ),
    Suite(
        "proofread",
        "python:benchmarks.templates:corrected",
        "prefix (completion)",
        {
            "chat": {
                "kind": "chat",
                "layout": None,
                "body": _block("instruction", PROOFREAD_INSTRUCTION)
                + _block("query", '{% message "user" %}{{ text }}{% endmessage %}'),
            }
        },
        also="python:benchmarks.templates:edits_right",
    ),
]


# --- running -------------------------------------------------------------------------------


@dataclass
class Result:
    label: str  # "sentiment" or "sentiment (chat)"
    outputs: list[str]
    scores: list[bool]
    rows: list[DataRow]
    seconds: float
    errors: int = 0
    also: list[float] = field(default_factory=list)  # the suite's second metric, per row
    run: str = ""  # the backend, machine and threads it ran on
    leaks: int | None = None  # round trips: the questions that already held the answer

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if k != "rows"}
        return {**data, "rows": [row.model_dump(mode="json") for row in self.rows]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        rows = [DataRow.model_validate(row) for row in data["rows"]]
        return cls(**{**data, "rows": rows})

    @property
    def right(self) -> int:
        return sum(self.scores)

    def cell(self) -> str:
        n = len(self.scores)
        low, high = wilson_interval(self.right, n)
        return f"{self.right}/{n} = {self.right / n:.0%} [{low:.0%}, {high:.0%}]"


def as_text(value: Any) -> str:
    """What run() returned, as the text a metric reads: a Completion's text, a string, or
    the JSON of a parsed value."""
    if hasattr(value, "text"):
        return str(value.text)
    if isinstance(value, str):
        return value
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    return json.dumps(value, ensure_ascii=False)


def variant(name: str, label: str, overrides: Mapping[str, Any], folder: Path) -> Any:
    """The template's own file with front-matter keys replaced (a None value removes the key)
    and, with `body`, another body; loaded from a file in `folder`."""
    text = (TEMPLATES / f"{name}.prompt").read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    data = yaml.safe_load(front)
    for key, value in overrides.items():
        if key == "body":
            body = value
        elif value is None:
            data.pop(key, None)
        else:
            data[key] = value
    data["name"] = f"{name}_{label.replace(', ', '_').replace(' ', '_')}"
    path = folder / f"{data['name']}.prompt"
    front_text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(f"---\n{front_text}---\n{body}", encoding="utf-8")
    return pc.load_prompt(path)


def run_suite(
    template: Any, label: str, rows: list[DataRow], metrics: list[Any], backend: Any
) -> Result:
    """Every row through ``template.run``; ``metrics``: the suite's metric, then its second."""
    metric, *also = metrics
    started = time.perf_counter()
    result = Result(label, [], [], rows, 0.0)
    for row in rows:
        try:
            output = as_text(template.run(backend, **row.inputs))
        except pc.PromptcraftError as exc:  # counted as a miss, and said
            output, result.errors = f"[{type(exc).__name__}: {exc}]", result.errors + 1
        context = ScoringContext(inputs=row.inputs, output_spec=template.output)
        score = metric.score(output, row.expected, context).score
        result.also += [m.score(output, row.expected, context).score for m in also]
        result.outputs.append(output)
        result.scores.append(score == 1.0)
        print(f"{'ok  ' if score == 1.0 else 'MISS'} {label:<36} {output[:90]!r}", flush=True)
    result.seconds = time.perf_counter() - started
    return result


def round_trip(questions: Result, backend: Any, library: Any) -> Result:
    """Ask each written question to the assistant template; right when the reply gives the
    answer back (one of the row's answer_terms) and the question did not already hold it."""
    lines = (EVALS / "question_from_answer.jsonl").read_text(encoding="utf-8").splitlines()
    raw = [json.loads(line) for line in lines][: len(questions.outputs)]
    assistant = library.get("assistant")
    started = time.perf_counter()
    result = Result(f"{questions.label}: round trip", [], [], questions.rows, 0.0, leaks=0)
    for row, question in zip(raw, questions.outputs, strict=True):
        terms = [t.casefold() for t in row["answer_terms"]]
        leaked = any(t in question.casefold() for t in terms)
        result.leaks = (result.leaks or 0) + leaked
        reply = assistant.run(backend, params={"max_tokens": 60}, message=question.strip()).text
        right = not leaked and any(t in reply.casefold() for t in terms)
        result.outputs.append(f"{question.strip()} -> {reply.strip()}")
        result.scores.append(right)
        mark = "ok  " if right else "MISS"
        print(f"{mark} round trip {question.strip()[:50]!r} -> {reply[:50]!r}", flush=True)
    result.seconds = time.perf_counter() - started
    return result


def measure(
    suite: Suite, backend: Any, library: Any, *, variants: bool, limit: int | None, folder: Path
) -> list[Result]:
    """The suite's template on its set, then each variant; with its round trips."""
    rows = load_dataset(EVALS / f"{suite.name}.jsonl", limit=limit)
    metrics = [parse_metric(m) for m in (suite.metric, suite.also) if m]
    templates = [(suite.name, library.get(suite.name))]
    for label, overrides in suite.variants.items() if variants else ():
        templates.append((f"{suite.name} ({label})", variant(suite.name, label, overrides, folder)))
    results = []
    for label, template in templates:
        results.append(run_suite(template, label, rows, metrics, backend))
        if suite.name == "question_from_answer":
            results.append(round_trip(results[-1], backend, library))
    return results


# --- the report ----------------------------------------------------------------------------------


def report(results: Mapping[str, Result]) -> str:
    """The report of every stored measurement, in the order of SUITES."""
    runs = sorted({result.run for result in results.values()})
    lines = [
        "# The template library on the default model",
        "",
        "`python benchmarks/templates.py` (each template's rows through `template.run()` with "
        "its own defaults, greedy; data: `templates/evals/<name>.jsonl`, written for this "
        "benchmark and held out from the templates' design). Shared machine: timings are "
        "indicative. Ran on: " + "; ".join(runs) + ".",
        "",
        "| template | layout | rows | metric | accuracy [95% Wilson] | also | time |",
        "| --- | --- | ---: | --- | --- | --- | ---: |",
    ]
    compared, trips, shown = [], [], []
    for suite in SUITES:
        own = results.get(suite.name)
        if own is not None:
            metric = _short(suite.metric)
            also = f"{_short(suite.also)}: {_mean(own.also):.0%}" if suite.also else ""
            lines.append(
                f"| {suite.name} | {suite.layout} | {len(own.scores)} | {metric} | "
                f"{own.cell()} | {also} | {own.seconds:.0f} s |"
            )
            shown.append(own)
        for label in suite.variants:
            other = results.get(f"{suite.name} ({label})")
            if other is not None:
                compared.append((suite.name, label, other, own.cell() if own else ""))
                shown.append(other)
        for result in results.values():
            if result.leaks is not None and result.label.startswith(f"{suite.name}"):
                trips.append(result)
    if compared:
        lines += ["", "## Other layouts on the same rows", ""]
        lines += ["| template | variant | accuracy [95% Wilson] | the template's own |"]
        lines += ["| --- | --- | --- | --- |"]
        for name, label, result, mine in compared:
            lines.append(f"| {name} | {label} | {result.cell()} | {mine} |")
    if trips:
        lines += ["", "## Round trip: question_from_answer, then assistant", ""]
        lines += [
            "| questions from | round trip right [95% Wilson] | questions holding the answer |"
        ]
        lines += ["| --- | --- | ---: |"]
        for result in trips:
            lines.append(f"| {result.label.split(':')[0]} | {result.cell()} | {result.leaks} |")
    lines += ["", "## Misses", ""]
    for result in shown + trips:
        marked = zip(result.rows, result.outputs, result.scores, strict=True)
        misses = [(row, out) for row, out, ok in marked if not ok]
        if not misses:
            continue
        lines += [f"### {result.label}", "", "| inputs | expected | got |", "| --- | --- | --- |"]
        for row, out in misses:
            inputs = json.dumps(row.inputs, ensure_ascii=False)[:110]
            wanted = json.dumps(row.expected, ensure_ascii=False)
            lines.append(f"| {_cell(inputs)} | {_cell(wanted)} | {_cell(out[:140])} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _short(metric: str | None) -> str:
    return str(metric).replace("python:benchmarks.templates:", "")


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "\\n")


def load_store(path: Path) -> dict[str, Result]:
    if not path.exists():
        return {}
    stored = json.loads(path.read_text(encoding="utf-8"))
    return {label: Result.from_json(data) for label, data in stored.items()}


def current_labels() -> set[str]:
    """The labels the suites measure now (a variant since removed is dropped from the store)."""
    labels = {s.name for s in SUITES} | {f"{s.name} ({v})" for s in SUITES for v in s.variants}
    return labels | {f"{label}: round trip" for label in labels}


def save(store: Mapping[str, Result], store_path: Path, out: Path) -> None:
    store = {label: result for label, result in store.items() if label in current_labels()}
    data = {label: result.to_json() for label, result in store.items()}
    store_path.parent.mkdir(parents=True, exist_ok=True)
    store_path.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    out.write_text(report(store), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    names = [suite.name for suite in SUITES]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("templates", nargs="*", metavar="TEMPLATE", help=f"default: all of {names}")
    parser.add_argument("--backend", default=None, help="a backend spec (default model)")
    parser.add_argument("--no-variants", action="store_true", help="the templates only")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--limit", type=int, default=None, help="the first N rows of each set")
    parser.add_argument(
        "--out", type=Path, default=OUT, help="the report; its measurements go next to it (.json)"
    )
    parser.add_argument(
        "--merge",
        type=Path,
        metavar="FILE.json",
        help="run nothing: add the measurements of another run (made in parallel with --out)",
    )
    args = parser.parse_args(argv)
    store_path = args.out.with_suffix(".json")
    if args.merge:
        store = {**load_store(store_path), **load_store(args.merge)}
        save(store, store_path, args.out)
        print(f"{args.merge} merged into {store_path}, and {args.out} written")
        return
    unknown = sorted(set(args.templates) - set(names))
    if unknown:
        parser.error(f"no benchmark for {', '.join(unknown)}; choose from {', '.join(names)}")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from machine import cpu_name

    backend = pc.load_backend(args.backend, threads=args.threads)
    library = pc.PromptLibrary()
    run = f"{backend!r}, {cpu_name()}, {torch.get_num_threads()} torch thread(s)"
    store = load_store(store_path)
    with tempfile.TemporaryDirectory() as folder:
        for suite in [s for s in SUITES if not args.templates or s.name in args.templates]:
            results = measure(
                suite,
                backend,
                library,
                variants=not args.no_variants,
                limit=args.limit,
                folder=Path(folder),
            )
            for result in results:
                result.run = run
                store[result.label] = result
            save(store, store_path, args.out)  # after each template: a stopped run keeps it
    print(report(store))
    print(f"written to {args.out} and {store_path}")


if __name__ == "__main__":
    main()
