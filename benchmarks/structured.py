"""Constrained vs unconstrained JSON extraction on the bundled model.

Each item is a held-out ``key: value`` record (name, city, age) to write as a JSON object,
with a hybrid prompt (the curriculum's held-out instruction and two worked examples). Both
modes decode greedily with the same prompts:

- *unconstrained*: plain generation up to a newline;
- *constrained*: ``constraint=json_schema(Person)`` (the logits mask of promptcraft.structured).

Reported: the parse-success rate of both (strict: the whole output is JSON valid under the
schema; lenient: the first JSON value found in the output, as generate_structured's prompted
mode reads it), the share of records copied exactly, the per-token decode time of both
(prefill excluded: (time for n tokens - time for 1 token) / (n - 1), with the prompt cache
cleared before every call, best of interleaved repeats), the masking work per step measured
alone, and the cold compile time of the schema for vocabularies of 2k, 50k and 100k tokens.

    python benchmarks/structured.py            # full run (a few minutes)
    python benchmarks/structured.py --quick    # fewer items, for a smoke test

Writes the table to benchmarks/results/structured.md as well.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

import torch
from machine import cpu_name
from pydantic import BaseModel, Field

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import promptcraft as pc  # noqa: E402
from promptcraft.backends import LocalBackend  # noqa: E402
from promptcraft.structured import compile_constraint, json_schema  # noqa: E402
from promptcraft.tokenizers.files import load_tokenizer_dir  # noqa: E402
from promptcraft.tokenizers.tokenizer import Tokenizer, get_tokenizer  # noqa: E402
from recipes.pc_tiny.words import CITIES, NAMES  # noqa: E402

MAX_TOKENS = 48
INSTRUCTION = "Express this data as a JSON object."  # a held-out wording of the curriculum
EXAMPLES = [
    {
        "input": "name: Ana; city: Oslo; age: 31",
        "output": '{"name": "Ana", "city": "Oslo", "age": 31}',
    },
    {
        "input": "name: Ben; city: Rome; age: 58",
        "output": '{"name": "Ben", "city": "Rome", "age": 58}',
    },
]


class Person(BaseModel):
    name: str = Field(max_length=20)
    city: str = Field(max_length=20)
    age: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 items, 1 repeat")
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/structured.md")
    args = parser.parse_args()
    if args.quick:
        args.items, args.repeats = 8, 1
    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    started = time.time()

    backend = LocalBackend.load("pc-tiny", threads=args.threads)
    constraint = json_schema(Person)
    records = _records(args.items)
    template = pc.HybridPrompt(instruction=INSTRUCTION, examples=EXAMPLES)
    prompts = [template.render(input=_record_text(r)) for r in records]

    outputs = {mode: [_generate(backend, p, mode, constraint) for p in prompts] for mode in MODES}
    quality = {mode: _quality(outputs[mode], records) for mode in MODES}
    decode = _decode_times(backend, prompts, constraint, args.repeats)
    mask_us = _mask_cost(backend, outputs["constrained"], constraint)
    compiles = _compile_times(backend, constraint)

    rows = _rows(quality, decode, mask_us, compiles, args.items)
    report = _markdown(rows, args, load, time.time() - started, backend)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # benchmarks/extraction.py writes its own section at the end: keep it.
    previous = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
    kept = previous[previous.index(EXTRACTION) :] if EXTRACTION in previous else ""
    args.out.write_text(report + ("\n" + kept if kept else ""), encoding="utf-8")


MODES = ("unconstrained", "constrained")
EXTRACTION = "## Schema outline in the prompt"  # the section of benchmarks/extraction.py


def _records(n: int) -> list[dict[str, object]]:
    rng = random.Random(20261128)  # not the curriculum's seeds: records it never trained on
    return [
        {"name": rng.choice(NAMES), "city": rng.choice(CITIES), "age": rng.randint(18, 89)}
        for _ in range(n)
    ]


def _record_text(record: dict[str, object]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in record.items())


def _generate(backend: LocalBackend, prompt: str, mode: str, constraint: object) -> pc.Completion:
    if mode == "constrained":
        return backend.generate(prompt, max_tokens=MAX_TOKENS, temperature=0, constraint=constraint)
    return backend.generate(prompt, max_tokens=MAX_TOKENS, temperature=0, stop=["\n"])


def _quality(outs: list[pc.Completion], records: list[dict[str, object]]) -> dict[str, float]:
    strict = lenient = exact = 0
    constraint = json_schema(Person)
    for out, record in zip(outs, records, strict=True):
        try:
            Person.model_validate(json.loads(out.text.strip()))
            strict += 1
        except ValueError:
            pass
        try:
            person = constraint.parse(out.text)
        except ValueError:
            continue
        lenient += 1
        exact += person.model_dump() == record
    n = len(records)
    tokens = sum(o.usage.completion_tokens for o in outs) / n
    return {"strict": strict / n, "lenient": lenient / n, "exact": exact / n, "tokens": tokens}


def _decode_times(
    backend: LocalBackend, prompts: list[str], constraint: object, repeats: int
) -> dict[str, float]:
    """Seconds per decoded token (prefill excluded). Each prompt's times are the best of
    ``repeats`` runs with the modes interleaved, so a burst of load elsewhere on the machine
    costs one repeat, not the result."""
    gen = backend.generator
    first = [float("inf")] * len(prompts)
    whole = {mode: [float("inf")] * len(prompts) for mode in MODES}
    tokens = {mode: [0] * len(prompts) for mode in MODES}
    for _ in range(repeats):
        for i, prompt in enumerate(prompts):
            gen.reset_cache()
            start = time.perf_counter()
            backend.generate(prompt, max_tokens=1, temperature=0)
            first[i] = min(first[i], time.perf_counter() - start)
            for mode in MODES:
                gen.reset_cache()
                start = time.perf_counter()
                out = _generate(backend, prompt, mode, constraint)
                whole[mode][i] = min(whole[mode][i], time.perf_counter() - start)
                tokens[mode][i] = out.usage.completion_tokens
    per_token = {}
    for mode in MODES:
        rows = [i for i in range(len(prompts)) if tokens[mode][i] > 1]
        spent = sum(whole[mode][i] - first[i] for i in rows)
        per_token[mode] = spent / max(sum(tokens[mode][i] - 1 for i in rows), 1)
    return per_token


def _mask_cost(backend: LocalBackend, outs: list[pc.Completion], constraint: object) -> float:
    """Microseconds of constraint work per step alone: mask lookup, logits fill, advance."""
    automaton = compile_constraint(
        constraint,  # type: ignore[arg-type]
        backend.tokenizer,
        vocab_size=backend.decoder.config.vocab_size,
        eos_ids=sorted(backend.generator.eos_ids),
    )
    ids = [backend.tokenizer.encode(out.text) for out in outs]
    logits = torch.randn(1, backend.decoder.config.vocab_size)
    steps = 0
    start = time.perf_counter()
    for _ in range(5):
        for sequence in ids:
            state = automaton.start
            for i, token in enumerate(sequence):
                allowed = automaton.allowed(state, MAX_TOKENS - i).unsqueeze(0)
                logits.masked_fill(~allowed, float("-inf"))
                try:
                    state = automaton.advance(state, token)
                except ValueError:  # re-encoding may split the text differently: stop there
                    break
                steps += 1
    return (time.perf_counter() - start) / max(steps, 1) * 1e6


def _compile_times(backend: LocalBackend, constraint: object) -> list[tuple[str, float, int]]:
    """Cold compile (vocabulary + index) of the schema: (vocabulary, seconds, states)."""
    from promptcraft.nn.catalog import resolve_model

    cl100k = get_tokenizer("cl100k_base")
    first_50k = {b: r for b, r in cl100k.mergeable_ranks.items() if r < 50256}
    tokenizers = [
        (
            f"bundled model ({backend.decoder.config.vocab_size} tokens)",
            load_tokenizer_dir(resolve_model("pc-tiny")),
            backend.decoder.config.vocab_size,
        ),
        (
            "cl100k_base, first 50k tokens",
            Tokenizer.from_ranks(
                first_50k,
                pattern=cl100k.pattern,
                special_tokens={"<|endoftext|>": 50256},
                name="cl100k-50k",
            ),
            50257,
        ),
        (f"cl100k_base ({cl100k.n_vocab} tokens)", get_tokenizer("cl100k_base"), cl100k.n_vocab),
    ]
    rows = []
    for label, tokenizer, vocab in tokenizers:
        eos = [vocab - 1]
        start = time.perf_counter()
        automaton = compile_constraint(constraint, tokenizer, vocab_size=vocab, eos_ids=eos)  # type: ignore[arg-type]
        rows.append((label, time.perf_counter() - start, automaton.num_states))
    return rows


def _rows(
    quality: dict[str, dict[str, float]],
    decode: dict[str, float],
    mask_us: float,
    compiles: list[tuple[str, float, int]],
    items: int,
) -> list[tuple[str, str, str]]:
    u, c = quality["unconstrained"], quality["constrained"]
    slower = decode["constrained"] / decode["unconstrained"] - 1
    rows = [
        (
            f"parse success, strict (whole output valid), {items} records",
            f"{u['strict']:.0%}",
            f"{c['strict']:.0%}",
        ),
        (
            "parse success, lenient (first JSON value in the output)",
            f"{u['lenient']:.0%}",
            f"{c['lenient']:.0%}",
        ),
        ("records copied exactly (all three fields)", f"{u['exact']:.0%}", f"{c['exact']:.0%}"),
        ("mean completion tokens", f"{u['tokens']:.1f}", f"{c['tokens']:.1f}"),
        (
            "decode time per token (prefill excluded)",
            f"{decode['unconstrained'] * 1e3:.2f} ms",
            f"{decode['constrained'] * 1e3:.2f} ms ({slower:+.1%}; goal < +20%)",
        ),
        ("constraint work per step alone (mask, fill, advance)", "", f"{mask_us:.1f} µs"),
    ]
    rows += [
        (f"cold compile of the schema: {label}", "", f"{seconds * 1e3:.0f} ms, {states} states")
        for label, seconds, states in compiles
    ]
    return rows


def _markdown(
    rows: list[tuple[str, str, str]],
    args: argparse.Namespace,
    load: float,
    seconds: float,
    backend: LocalBackend,
) -> str:
    from importlib.metadata import version

    cpu = cpu_name()
    lines = [
        "# Structured output benchmark",
        "",
        f"{datetime.date.today()} · {cpu}, {os.cpu_count()} cores · torch {torch.__version__}"
        f" · outlines-core {version('outlines-core')} · {args.threads} threads"
        f" · model {backend.model} · {'quick' if args.quick else 'full'} run in {seconds:.0f} s"
        f" · load average {load:.1f} at start",
        "",
        f"JSON extraction of {args.items} held-out records (name, city, age) with a hybrid prompt, "
        f"greedy, at most {MAX_TOKENS} tokens. Unconstrained output stops at a newline; "
        "constrained output follows `json_schema(Person)`. Shared machine: other processes may "
        "have been running.",
        "",
        "| measurement | unconstrained | constrained |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {name} | {u} | {c} |" for name, u, c in rows]
    lines += [
        "",
        "- *strict*: `Person.model_validate(json.loads(output))` succeeds; *lenient*: the first "
        "JSON value in the output validates (what `generate_structured` accepts from a remote "
        "model without constrained decoding).",
        "- *decode time per token*: (time for the whole output - time for one token) / (tokens - "
        "1), summed over the records; the prompt cache cleared before each call; each record's "
        "times the best of interleaved repeats.",
        "- *constraint work per step alone*: the automaton's mask lookup for the state and the "
        "remaining budget, the masked fill of a [1, vocab] logits row, and the state advance, "
        "replayed over the constrained outputs' tokens.",
        "- *cold compile*: a tokenizer not seen before: its outlines-core Vocabulary, then the "
        "Index (a DFA over whole tokens) for the schema's regex; later uses hit the cache.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
