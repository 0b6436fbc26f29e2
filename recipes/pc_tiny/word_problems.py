"""Questions for the tool protocol, each with the tool calls that solve it.

Two families: ``tool_arithmetic`` (two-step word problems solved with the calculator) and
``tool_lookup`` (prices and ages that only the lookup tool knows, often followed by a
calculation). Each question template is written once with placeholders; names, objects and
numbers vary. The calls are planned as *templates* over the question's numbers and the
earlier results (``{r1}``), so the plan is executed against the real tools.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .family import Split
from .words import NAMES

__all__ = ["ToolProblem", "draw_tool_problem"]

Numbers = Callable[[random.Random], dict[str, int]]

# (objects, container, containers)
_OBJECTS = (
    ("apples", "box", "boxes"),
    ("eggs", "carton", "cartons"),
    ("pencils", "pack", "packs"),
    ("cookies", "jar", "jars"),
    ("marbles", "bag", "bags"),
    ("stickers", "sheet", "sheets"),
    ("cards", "deck", "decks"),
    ("shells", "bucket", "buckets"),
    ("candles", "case", "cases"),
    ("buttons", "tin", "tins"),
    ("oranges", "crate", "crates"),
    ("balloons", "pack", "packs"),
)
# priced items; the plural is the key plus "s"
_ITEMS = ("pen", "cup", "hat", "book", "lamp", "kite", "ball", "card", "mug", "sock", "bowl")


@dataclass(frozen=True)
class _Template:
    text: str
    calls: tuple[tuple[str, str], ...]  # (tool, argument template)
    numbers: Numbers


@dataclass
class ToolProblem:
    """A question, the tools it offers, what ``lookup`` knows, and the planned calls (tool,
    argument template over ``values`` and the earlier results ``{r1}``, ``{r2}``); the last
    call's result is the answer."""

    family: str
    question: str
    tools: list[str]
    table: dict[str, str]
    calls: list[tuple[str, str]]
    values: dict[str, Any]


def _mul_sub(rng: random.Random) -> dict[str, int]:
    a, b = rng.randint(2, 12), rng.randint(2, 9)
    return {"a": a, "b": b, "c": rng.randint(1, a * b - 1)}


def _add_sub(rng: random.Random) -> dict[str, int]:
    a, b = rng.randint(5, 60), rng.randint(2, 40)
    return {"a": a, "b": b, "c": rng.randint(1, a + b - 1)}


def _add_mul(rng: random.Random) -> dict[str, int]:
    return {"a": rng.randint(1, 30), "b": rng.randint(2, 9), "c": rng.randint(2, 12)}


def _div_add(rng: random.Random) -> dict[str, int]:
    b, q = rng.randint(2, 9), rng.randint(2, 12)
    return {"a": b * q, "b": b, "c": rng.randint(1, 20)}


def _add_rest(rng: random.Random) -> dict[str, int]:
    a, b = rng.randint(5, 60), rng.randint(5, 60)
    return {"a": a, "b": b, "c": rng.randint(a + b + 1, a + b + 150)}


def _mul_change(rng: random.Random) -> dict[str, int]:
    a, b = rng.randint(2, 9), rng.randint(2, 15)
    return {"a": a, "b": b, "c": a * b + rng.randint(0, 60)}


def _sub_add(rng: random.Random) -> dict[str, int]:
    a = rng.randint(10, 90)
    return {"a": a, "b": rng.randint(1, a - 1), "c": rng.randint(1, 40)}


def _mul_add(rng: random.Random) -> dict[str, int]:
    return {"a": rng.randint(2, 12), "b": rng.randint(2, 9), "c": rng.randint(1, 30)}


_ARITHMETIC: dict[Split, tuple[_Template, ...]] = {
    "train": (
        _Template(
            "A {container} holds {a} {objs}. {name} buys {b} {containers} and gives away {c} "
            "{objs}. How many {objs} does {name} have left?",
            (("calculator", "{a}*{b}"), ("calculator", "{r1}-{c}")),
            _mul_sub,
        ),
        _Template(
            "{name} has {a} {objs}. {name2} gives {name} {b} more, and then {name} loses {c}. "
            "How many {objs} does {name} have now?",
            (("calculator", "{a}+{b}"), ("calculator", "{r1}-{c}")),
            _add_sub,
        ),
        _Template(
            "{name} has {a} {objs} and buys {b} {containers} with {c} {objs} in each. How many "
            "{objs} does {name} have now?",
            (("calculator", "{b}*{c}"), ("calculator", "{a}+{r1}")),
            _add_mul,
        ),
        _Template(
            "{name} earns {a} dollars a day for {b} days and then spends {c} dollars. How many "
            "dollars does {name} have left?",
            (("calculator", "{a}*{b}"), ("calculator", "{r1}-{c}")),
            _mul_sub,
        ),
        _Template(
            "{name} shares {a} {objs} equally among {b} friends. Then each friend gets {c} "
            "more. How many {objs} does each friend have?",
            (("calculator", "{a}/{b}"), ("calculator", "{r1}+{c}")),
            _div_add,
        ),
        _Template(
            "{name} reads {a} pages on Monday and {b} pages on Tuesday. The book has {c} "
            "pages. How many pages are left?",
            (("calculator", "{a}+{b}"), ("calculator", "{c}-{r1}")),
            _add_rest,
        ),
        _Template(
            "A shelf has {a} rows with {b} {objs} in each row. {name} takes {c} {objs} away. "
            "How many {objs} are on the shelf now?",
            (("calculator", "{a}*{b}"), ("calculator", "{r1}-{c}")),
            _mul_sub,
        ),
        _Template(
            "{name} buys {a} {objs} for {b} dollars each and pays with {c} dollars. How much "
            "change does {name} get?",
            (("calculator", "{a}*{b}"), ("calculator", "{c}-{r1}")),
            _mul_change,
        ),
        _Template(
            "{name} had {a} {objs}, gave {b} to {name2}, and then found {c} more. How many "
            "{objs} does {name} have now?",
            (("calculator", "{a}-{b}"), ("calculator", "{r1}+{c}")),
            _sub_add,
        ),
        _Template(
            "There are {b} {containers} with {a} {objs} in each. {name} adds {c} more {objs}. "
            "How many {objs} are there in all?",
            (("calculator", "{b}*{a}"), ("calculator", "{r1}+{c}")),
            _mul_add,
        ),
    ),
    "heldout": (
        _Template(
            "{name} saves {a} dollars every week for {b} weeks and then spends {c} dollars on "
            "a gift. How many dollars are left?",
            (("calculator", "{a}*{b}"), ("calculator", "{r1}-{c}")),
            _mul_sub,
        ),
        _Template(
            "{name} picks {a} {objs} in the morning and {b} in the afternoon, then gives {c} "
            "to {name2}. How many {objs} does {name} keep?",
            (("calculator", "{a}+{b}"), ("calculator", "{r1}-{c}")),
            _add_sub,
        ),
        _Template(
            "{a} {objs} are packed equally into {b} {containers}, and {c} more {objs} are "
            "added to each. How many {objs} are in each {container}?",
            (("calculator", "{a}/{b}"), ("calculator", "{r1}+{c}")),
            _div_add,
        ),
    ),
}


def _count(rng: random.Random) -> dict[str, int]:
    return {"a": rng.randint(2, 9), "n": rng.randint(1, 30)}


_LOOKUP: dict[Split, tuple[_Template, ...]] = {
    "train": (
        _Template(
            "How much do {a} {item}s cost?",
            (("lookup", "{item}"), ("calculator", "{a}*{r1}")),
            _count,
        ),
        _Template(
            "{name} buys {a} {item}s. How much does {name} pay?",
            (("lookup", "{item}"), ("calculator", "{a}*{r1}")),
            _count,
        ),
        _Template("What is the price of one {item}?", (("lookup", "{item}"),), _count),
        _Template("How much does one {item} cost?", (("lookup", "{item}"),), _count),
        _Template(
            "How old will {name} be in {n} years?",
            (("lookup", "{name}"), ("calculator", "{r1}+{n}")),
            _count,
        ),
        _Template("How old is {name}?", (("lookup", "{name}"),), _count),
        _Template(
            "How many years older is {name} than {name2}?",
            (("lookup", "{name}"), ("lookup", "{name2}"), ("calculator", "{r1}-{r2}")),
            _count,
        ),
    ),
    "heldout": (
        _Template(
            "What do {a} {item}s cost in total?",
            (("lookup", "{item}"), ("calculator", "{a}*{r1}")),
            _count,
        ),
        _Template(
            "In {n} years, what age will {name} be?",
            (("lookup", "{name}"), ("calculator", "{r1}+{n}")),
            _count,
        ),
        _Template(
            "By how many years is {name} older than {name2}?",
            (("lookup", "{name}"), ("lookup", "{name2}"), ("calculator", "{r1}-{r2}")),
            _count,
        ),
    ),
}

TOOL_FAMILIES = ("tool_arithmetic", "tool_lookup")


def draw_tool_problem(family: str, rng: random.Random, split: Split) -> ToolProblem:
    """A question of ``family`` (``tool_arithmetic`` or ``tool_lookup``) from the templates
    of ``split``."""
    objs, container, containers = rng.choice(_OBJECTS)
    name, name2 = rng.sample(NAMES, 2)
    items = rng.sample(_ITEMS, rng.randint(3, 5))
    values: dict[str, Any] = {
        "name": name,
        "name2": name2,
        "objs": objs,
        "container": container,
        "containers": containers,
        "item": items[0],
    }
    if family == "tool_arithmetic":
        template = rng.choice(_ARITHMETIC[split])
        table: dict[str, str] = {}
        tools = ["calculator", "lookup"] if rng.random() < 0.4 else ["calculator"]
    elif family == "tool_lookup":
        template = rng.choice(_LOOKUP[split])
        # ages differ, so "older than" is positive whichever pair is asked
        people = [name, name2, *rng.sample([n for n in NAMES if n not in (name, name2)], 2)]
        ages = sorted(rng.sample(range(5, 90), len(people)), reverse=True)
        table = {item: str(rng.randint(1, 20)) for item in items}
        table.update(zip(people, map(str, ages), strict=True))
        rows = list(table.items())
        rng.shuffle(rows)
        table = dict(rows)
        tools = ["calculator", "lookup"]
        rng.shuffle(tools)
    else:
        raise ValueError(f"unknown tool family {family!r}; expected one of {TOOL_FAMILIES}")
    values.update(template.numbers(rng))
    return ToolProblem(
        family=family,
        question=template.text.format(**values),
        tools=tools,
        table=table,
        calls=list(template.calls),
        values=values,
    )
