"""``promptcraft demo``: one prompt of each kind, rendered and answered offline.

On the default model, SmolLM2-135M-Instruct, the prompts are ordinary tasks (spelling,
capitals, translation) in the layouts a base or instruct model completes best. On our
curriculum model (``--model pc-tiny``) they are the task families and wordings it was
trained on, followed by ``pc.Agent`` calling a real calculator in the tool protocol it learned."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from ..errors import ModelLoadError
from ..nn.catalog import DEFAULT_MODEL
from .model_option import add_local_options, add_model_option, local_model_options, local_spec

__all__ = ["register", "run_demo"]

COUNTRIES = [
    {"input": "France", "output": "Paris"},
    {"input": "Japan", "output": "Tokyo"},
    {"input": "Italy", "output": "Rome"},
]
ENGLISH_FRENCH = [{"input": "cat", "output": "chat"}, {"input": "house", "output": "maison"}]

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


def _demo_prompts(model: str) -> list[tuple[str, Any, dict[str, Any]]]:
    """(title, template, inputs): each kind, for ``model``."""
    return _pc_tiny_prompts() if model == "pc-tiny" else _real_model_prompts()


def _real_model_prompts() -> list[tuple[str, Any, dict[str, Any]]]:
    """Ordinary tasks a small instruct model gets right, each in the layout it answers best
    (measured: completion layouts for the text kinds, the chat template for chat)."""
    from ..prompts import ChatPrompt, FewShotPrompt, HybridPrompt, PrefixPrompt

    capitals = FewShotPrompt(COUNTRIES, input_label="Country", output_label="Capital")
    return [
        (
            "prefix: an instruction, then the input",
            PrefixPrompt("Correct the spelling.", input_label="Text", output_label="Corrected"),
            {"input": "I beleive the parcel was recieved."},
        ),
        ("few-shot: demonstrations, then the query", capitals, {"input": "Germany"}),
        (
            "hybrid: an instruction plus demonstrations",
            HybridPrompt(
                "Translate the English word into French.",
                ENGLISH_FRENCH,
                input_label="English",
                output_label="French",
            ),
            {"input": "water"},
        ),
        (
            "reverse: shown an output (a capital), asked for its input",
            capitals.reverse(),
            {"output": "Madrid"},
        ),
        (
            "chat: role-tagged messages through the model's chat template",
            ChatPrompt("You are a helpful assistant."),
            {"input": "What is the capital of France?"},
        ),
    ]


def _pc_tiny_prompts() -> list[tuple[str, Any, dict[str, Any]]]:
    """Task families and wordings pc-tiny was trained on (its card shows how far it is from
    generalising beyond them)."""
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
        help="answer one prompt of each kind with a local model (offline)",
        description=(
            "Render one prompt of each kind (prefix, few-shot, hybrid, reverse, chat) and answer "
            "it with a local model, offline: SmolLM2-135M-Instruct by default. With --model "
            "pc-tiny, our curriculum model answers the tasks it was trained on, then an agent "
            "(pc.Agent) on it calls a calculator."
        ),
        epilog=(
            "examples:\n  promptcraft demo                  SmolLM2-135M-Instruct, the default"
            "\n  promptcraft demo --model pc-tiny  our curriculum model, and an agent on it"
            "\n  promptcraft demo --render-only    the prompts only, no model"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_model_option(demo)
    add_local_options(demo)
    demo.add_argument(
        "--render-only", action="store_true", help="only render the prompts, load no model"
    )
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from ..backends import load_backend

    backend = None
    model = args.model or DEFAULT_MODEL
    if not args.render_only:
        try:
            backend = load_backend(local_spec(model), **local_model_options(args))
        except ModelLoadError as exc:
            if args.model:  # the user's own choice: a mistake to report, not to work around
                raise
            print(f"(no model: {exc}; showing the rendered prompts only)\n")
        else:
            print(f"model: {backend!r}\n{_ABOUT.get(model, '')}".rstrip())
    for title, template, inputs in _demo_prompts(model):
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
    if backend is not None and model == "pc-tiny":
        _tool_exchange(backend)
    return 0


_ABOUT = {
    "smollm2": (
        "SmolLM2-135M-Instruct (HuggingFaceTB, Apache-2.0) from llama.cpp's Q4_1 GGUF file, on "
        "promptcraft's own decoder: greedy answers, no hub, no key."
    ),
    "pc-tiny": (
        "A 2.8M-parameter model trained in under an hour on a CPU: it answers the task "
        "families and wordings it was trained on, shown here, and fewer (about 60%) of "
        "the wordings it never saw; models/pc-tiny/MODEL_CARD.md measures both."
    ),
}


def _answer(call: Any) -> None:
    start = time.perf_counter()
    completion = call()
    seconds = time.perf_counter() - start
    tokens = completion.usage.completion_tokens
    print(f">>> {completion.text.strip()}    [{tokens} tokens, {tokens / seconds:.0f} tok/s]")


def _tool_exchange(backend: Any) -> None:
    from ..agents import Agent, AgentResult, calculator

    _rule("agent: the model calls a calculator, reads each result, then answers")
    question = (
        "A box holds 14 apples. Mia buys 3 boxes and gives away 9 apples. How many apples "
        "does Mia have left?"
    )
    print(f"pc.Agent(backend, tools=[pc.calculator]).run({question!r})")
    result: AgentResult[str] = Agent(backend, tools=[calculator]).run(question)
    for step in result.steps:
        for call, outcome in zip(step.tool_calls, step.tool_results, strict=True):
            shown = json.dumps({"tool": call.name, "args": call.arguments})
            print(f"Action: {shown}\nObservation: {outcome.content}   <- the real tool")
    print(f"Answer: {result.output}")


def _rule(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 70 - len(title)))
