"""``promptcraft demo``: one prompt of each kind from the bundled library."""

from __future__ import annotations

import argparse

__all__ = ["register"]

# (library template, inputs): one per kind, shown in this order.
DEMO_PROMPTS: list[tuple[str, dict[str, object]]] = [
    ("summarize", {"text": "The meeting moved to Thursday at 3 pm because the room was booked."}),
    ("sentiment", {"text": "Setup took two minutes and it just works."}),
    ("extract_json", {"text": "Order 1182 from Ana Ruiz, ships to Lisbon on 4 May."}),
    ("question_from_answer", {"answer": "Water boils at 100 degrees Celsius at sea level."}),
    ("assistant", {"message": "How do I reverse a list in Python?"}),
]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser(
        "demo",
        help="render one prompt of each kind (offline)",
        description="Render one prompt of each kind from the bundled template library.",
    )
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from ..prompts import PromptLibrary

    library = PromptLibrary()
    for name, inputs in DEMO_PROMPTS:
        template = library.get(name)
        _rule(f"{name}  ({template.kind})")
        if template.kind == "chat":
            for message in template.render_messages(**inputs):
                print(f"[{message.role}] {message.content}")
        else:
            print(template.render(**inputs))
    return 0


def _rule(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 70 - len(title)))
