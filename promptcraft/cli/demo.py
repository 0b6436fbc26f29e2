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
    {"input": "red blue green", "output": "green blue red"},
    {"input": "cat dog", "output": "dog cat"},
]
LOOKUP = [
    {"input": "sky", "output": "tea"},
    {"input": "rock", "output": "lamp"},
    {"input": "fish", "output": "door"},
    {"input": "moon", "output": "ship"},
]


def _demo_prompts() -> list[tuple[str, Any, dict[str, Any]]]:
    """(title, template, inputs): each kind, on tasks the bundled model was trained for."""
    from ..prompts import ChatPrompt, FewShotPrompt, HybridPrompt, PrefixPrompt

    hybrid = HybridPrompt("Reverse the order of the words.", WORDS)
    return [
        (
            "prefix: an instruction, then the input",
            PrefixPrompt(
                "Sort the words alphabetically.", input_label="Input", output_label="Output"
            ),
            {"input": "pear apple mango kiwi"},
        ),
        (
            "few-shot: a word mapping shown only by the examples",
            FewShotPrompt(LOOKUP),
            {"input": "rock"},
        ),
        (
            "hybrid: an instruction plus examples",
            hybrid,
            {"input": "sun moon star"},
        ),
        (
            "reverse: shown an output, asked for its input",
            hybrid.reverse("Give the words before they were reversed."),
            {"output": "star moon sun"},
        ),
        (
            "chat: role-tagged messages through the model's chat template",
            ChatPrompt("Capitalize every letter."),
            {"input": "hello world"},
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
    demo.add_argument("--model", default=None, help="a model directory (default: the bundled one)")
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
            print(f"(no model: {exc}; showing the rendered prompts only)\n")
        else:
            print(
                f"model: {backend!r}\n"
                "An early bundled model: it follows the tool protocol reliably; for what it does "
                "and does not yet do on each prompt kind, see models/pc-tiny/MODEL_CARD.md."
            )
    for title, template, inputs in _demo_prompts():
        _rule(title)
        if template.kind == "chat":
            messages = template.render_messages(**inputs)
            for message in messages:
                print(f"[{message.role}] {message.content}")
            if backend is not None:
                _answer(lambda m=messages: backend.chat(m, max_tokens=32))
        else:
            prompt = template.render(**inputs)
            print(prompt, end="" if prompt.endswith("\n") else "\n")
            if backend is not None:
                _answer(lambda p=prompt: backend.generate(p, max_tokens=32, stop=["\n"]))
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
        "question": "A shelf holds 14 books. Mia adds 3 shelves of books and gives away 9 "
        "books. How many books does Mia have now?",
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
