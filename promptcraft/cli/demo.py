"""``promptcraft demo``: one prompt of each kind, rendered and answered offline by the
bundled model, then a tool-protocol exchange with a real calculator."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from ..errors import ModelLoadError

__all__ = ["register", "run_demo"]

WORDS = [
    {"input": "lamp tree boat", "output": "boat tree lamp"},
    {"input": "cat dog", "output": "dog cat"},
]
# A letter shift by 2, shown only by the examples.
SHIFTED = [
    {"input": "c a t", "output": "e c v"},
    {"input": "d o g", "output": "f q i"},
    {"input": "s u n", "output": "u w p"},
    {"input": "h a t", "output": "j c v"},
]
CAPITALS = [{"input": "cat", "output": "CAT"}, {"input": "moon", "output": "MOON"}]


def _demo_prompts() -> list[tuple[str, Any, dict[str, Any]]]:
    """(title, template, inputs): each kind, on task families and wordings the bundled model
    was trained on (its card shows how far it is from generalising beyond them)."""
    from ..prompts import ChatPrompt, FewShotPrompt, HybridPrompt, PrefixPrompt

    return [
        (
            "prefix: an instruction, then the input",
            PrefixPrompt(
                "Reverse the order of the words.", input_label="Input", output_label="Output"
            ),
            {"input": "lamp tree boat"},
        ),
        (
            "few-shot: a letter shift shown only by the examples",
            FewShotPrompt(SHIFTED),
            {"input": "b e d"},
        ),
        (
            "hybrid: an instruction plus examples",
            HybridPrompt("Reverse the order of the words.", WORDS),
            {"input": "sun moon star"},
        ),
        (
            "reverse: shown an output, asked for its input",
            HybridPrompt("Convert to upper case.", CAPITALS).reverse("Convert back to lower case."),
            {"output": "SHIP"},
        ),
        (
            "chat: role-tagged messages through the model's chat template",
            ChatPrompt("Count the words."),
            {"input": "lamp tree boat owl"},
        ),
    ]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser(
        "demo",
        help="answer one prompt of each kind with the bundled model (offline)",
        description=(
            "Render one prompt of each kind (prefix, few-shot, hybrid, reverse, chat), answer it "
            "with the bundled local model, and run a tool-protocol exchange with a calculator. "
            "Runs offline."
        ),
    )
    demo.add_argument(
        "--model", default=None, metavar="PATH", help="a model directory (default: the bundled one)"
    )
    demo.add_argument(
        "--render-only", action="store_true", help="only render the prompts, load no model"
    )
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from ..backends import load_backend

    backend = None
    if not args.render_only:
        try:
            backend = load_backend(f"local:{args.model}" if args.model else None)
        except ModelLoadError as exc:
            if args.model:  # the user's own path: a mistake to report, not to work around
                raise
            print(f"(no model: {exc}; showing the rendered prompts only)\n")
        else:
            print(
                f"model: {backend!r}\n"
                "A 2.8M-parameter model trained in under an hour on a CPU: it answers the task "
                "families and wordings it was trained on, shown here, and fewer (about 60%) of "
                "the wordings it never saw; models/pc-tiny/MODEL_CARD.md measures both."
            )
    for title, template, inputs in _demo_prompts():
        _rule(title)
        if template.kind == "chat":
            messages = template.render_messages(**inputs)
            for message in messages:
                print(f"[{message.role}] {message.content}")
            if backend is not None:
                _answer(lambda m=messages: backend.chat(m, max_tokens=32, temperature=0))
        else:
            prompt = template.render(**inputs)
            print(prompt, end="" if prompt.endswith("\n") else "\n")
            if backend is not None:
                _answer(
                    lambda p=prompt: backend.generate(p, max_tokens=32, stop=["\n"], temperature=0)
                )
    if backend is not None:
        _tool_exchange(backend)
    return 0


def _answer(call: Any) -> None:
    start = time.perf_counter()
    completion = call()
    seconds = time.perf_counter() - start
    tokens = completion.usage.completion_tokens
    print(f">>> {completion.text.strip()}    [{tokens} tokens, {tokens / seconds:.0f} tok/s]")


def _tool_exchange(backend: Any) -> None:
    from ..curriculum.tool_protocol import run_tool_episode
    from ..prompts import PromptLibrary

    _rule("tool protocol: the model calls a calculator, reads each result, then answers")
    template = PromptLibrary().get("tool_protocol")
    inputs = {
        "question": "A box holds 14 apples. Mia buys 3 boxes and gives away 9 apples. How many "
        "apples does Mia have left?",
        "tools": [
            {
                "name": "calculator",
                "description": "evaluate an arithmetic expression",
                "args": {"expression": "string"},
            },
        ],
    }

    def generate(prompt: str) -> str:
        return str(backend.generate(prompt, **template.defaults).text)

    episode = run_tool_episode(generate, template, inputs, table={})
    print(template.render(**inputs), end="")
    for step in episode.steps:
        action = step["action"]
        shown = action if isinstance(action, str) else json.dumps(action)
        print(f"Action: {shown}\nObservation: {step['observation']}   <- the real tool")
    print(f"Answer: {episode.answer}")


def _rule(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 70 - len(title)))
