"""Median µs per render of an 8-example few-shot prompt: promptcraft vs LangChain.

All three render the same text (checked before timing), so only the engines differ:
- promptcraft ``FewShotPrompt`` through the public API (inputs validated, sandboxed Jinja);
- langchain-core ``FewShotPromptTemplate`` with ``template_format="f-string"``;
- langchain-core ``FewShotPromptTemplate`` with ``template_format="jinja2"``.

Run: ``python benchmarks/render.py`` (needs the ``bench`` extra: ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import promptcraft as pc

EXAMPLES = [
    {"input": "The food was cold and the waiter was rude.", "output": "negative"},
    {"input": "Absolutely loved the atmosphere!", "output": "positive"},
    {"input": "It was fine, nothing special.", "output": "neutral"},
    {"input": "Best pasta I've had in years.", "output": "positive"},
    {"input": "We waited an hour for a table.", "output": "negative"},
    {"input": "The menu is short but good.", "output": "positive"},
    {"input": "Prices are average for the area.", "output": "neutral"},
    {"input": "My soup had a hair in it.", "output": "negative"},
]
QUERY = "The dessert was wonderful but the coffee was burnt."


def median_us(fn: Callable[[], object], *, number: int, repeat: int) -> float:
    """Median over ``repeat`` batches of the mean µs per call in a batch of ``number``."""
    fn()  # warm caches (and compile, where an engine compiles once)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(samples)


def build_promptcraft() -> Callable[[], str]:
    prompt = pc.FewShotPrompt(examples=EXAMPLES)
    return lambda: prompt.render(input=QUERY)


def build_langchain(template_format: str) -> Callable[[], str]:
    from langchain_core.prompts import FewShotPromptTemplate, PromptTemplate

    if template_format == "jinja2":
        example = "Input: {{ input }}\nOutput: {{ output }}"
        suffix = "Input: {{ query }}\nOutput:"
    else:
        example = "Input: {input}\nOutput: {output}"
        suffix = "Input: {query}\nOutput:"
    example_prompt = PromptTemplate.from_template(example, template_format=template_format)
    few_shot = FewShotPromptTemplate(
        examples=EXAMPLES,
        example_prompt=example_prompt,
        suffix=suffix,
        input_variables=["query"],
        example_separator="\n\n",
        template_format=template_format,
    )
    return lambda: few_shot.format(query=QUERY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "render.md")
    args = parser.parse_args()

    ours = build_promptcraft()
    peers = {
        "langchain-core FewShotPromptTemplate (f-string)": build_langchain("f-string"),
        "langchain-core FewShotPromptTemplate (jinja2)": build_langchain("jinja2"),
    }
    reference = ours().rstrip("\n")
    for name, fn in peers.items():
        assert fn().rstrip("\n") == reference, f"{name} renders different text"

    # LangChain's jinja2 path recompiles on every call, so it gets fewer calls per batch.
    calls = {"promptcraft FewShotPrompt.render": 2000, **{name: 2000 for name in peers}}
    calls[next(name for name in peers if "jinja2" in name)] = 50
    engines = {"promptcraft FewShotPrompt.render": ours, **peers}
    rows = [
        (name, median_us(fn, number=calls[name], repeat=args.repeat))
        for name, fn in engines.items()
    ]

    import langchain_core

    ours_us = rows[0][1]
    lines = [
        "8-example few-shot render, median µs per call "
        f"({platform.machine()}, Python {platform.python_version()}, "
        f"langchain-core {langchain_core.__version__})",
        "",
        "| engine | median µs/render | vs promptcraft |",
        "| --- | ---: | ---: |",
    ]
    for name, us in rows:
        lines.append(f"| {name} | {us:.1f} | {us / ours_us:.1f}× |")
    table = "\n".join(lines)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
