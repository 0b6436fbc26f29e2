"""Instruction-following families over numbers and small records: digit arithmetic,
extracting a field, looking a key up in a table, and writing a record as JSON."""

from __future__ import annotations

import json
import random
from typing import Any

from .family import Family, Wordings
from .words import COLORS, FIELD_VALUES, FRUITS

__all__ = ["Arithmetic", "ExtractField", "LookupValue", "ToJson", "record_text"]

_EXAMPLE_KINDS = frozenset({"prefix", "hybrid", "chat"})
_FIELDS = (*FIELD_VALUES, "age")


def _field_value(rng: random.Random, name: str) -> str:
    if name == "age":
        return str(rng.randint(18, 89))
    return rng.choice(FIELD_VALUES[name])


def record_text(pairs: list[tuple[str, str]], style: int = 0) -> str:
    """``name: Ana; age: 31`` (style 0) or ``name=Ana, age=31`` (style 1)."""
    if style == 0:
        return "; ".join(f"{k}: {v}" for k, v in pairs)
    return ", ".join(f"{k}={v}" for k, v in pairs)


def _digits(rng: random.Random) -> int:
    """A number of 1 to 3 digits, longer ones more likely."""
    n = rng.choices((1, 2, 3), weights=(1, 2, 2))[0]
    return rng.randint(0 if n == 1 else 10 ** (n - 1), 10**n - 1)


class Arithmetic(Family):
    """2-3 digit addition and subtraction, 1-digit multiplication."""

    name = "arithmetic"
    kinds = _EXAMPLE_KINDS | {"few_shot"}
    instructions = Wordings(
        train=(
            "Compute the result.",
            "Solve the arithmetic problem.",
            "Calculate the answer.",
            "Work out the value.",
            "Give the result of the calculation.",
            "Do the arithmetic.",
            "Calculate.",
            "What is the result?",
            "Compute the value of the expression.",
        ),
        heldout=("Evaluate the expression.", "What number does this come to?"),
    )
    _styles = ("{a}{op}{b}", "{a} {op} {b}", "What is {a} {op} {b}?", "{a} {op} {b} =")

    def params(self, rng: random.Random) -> dict[str, Any]:
        return {
            "op": rng.choices("+-*", weights=(2, 2, 1))[0],
            "style": rng.randrange(len(self._styles)),
        }

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        op = params["op"]
        if op == "*":
            a, b = rng.randint(1, 9), rng.randint(1, 9)
            result = a * b
        else:
            a, b = _digits(rng), _digits(rng)
            if op == "-" and b > a:
                a, b = b, a
            result = a + b if op == "+" else a - b
        text = self._styles[params["style"]].format(a=a, op=op, b=b)
        return text, str(result)


class ExtractField(Family):
    """One field of a three-field record; as a few-shot task the field is shown only by the
    demonstrations."""

    name = "extract_field"
    kinds = _EXAMPLE_KINDS | {"few_shot"}
    instructions = Wordings(
        train=(
            "What is the {{ field }}?",
            "Give the value of {{ field }}.",
            "Extract the {{ field }} from the record.",
            "Copy the {{ field }} field.",
            "Find the {{ field }}.",
            "Give the {{ field }}.",
            "Write the {{ field }} from the record.",
            "Which {{ field }} is listed?",
        ),
        heldout=("Read off the {{ field }}.", "Which {{ field }} does the record give?"),
    )

    def params(self, rng: random.Random) -> dict[str, Any]:
        return {"field": rng.choice(_FIELDS), "style": rng.randrange(2)}

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        target = params["field"]
        others = rng.sample([f for f in _FIELDS if f != target], 2)
        names = [target, *others]
        rng.shuffle(names)
        pairs = [(name, _field_value(rng, name)) for name in names]
        return record_text(pairs, params["style"]), dict(pairs)[target]

    def variables(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"field": params["field"]}


class LookupValue(Family):
    """A key's value in a small table; the key to find is part of the input."""

    name = "lookup_value"
    kinds = _EXAMPLE_KINDS
    instructions = Wordings(
        train=(
            "Look up the key in the table and give its value.",
            "Find the value for the key.",
            "Give the number the table lists for the key.",
            "Use the table to answer: what is the key's value?",
            "Return the value stored under the key.",
            "Look the key up.",
            "Give the value of the key from the table.",
            "Find the key in the table and write its value.",
        ),
        heldout=("Which value does the table hold for this key?", "Read the key's entry."),
    )

    def params(self, rng: random.Random) -> dict[str, Any]:
        return {"keys": rng.choice(("fruits", "colors")), "style": rng.randrange(2)}

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        pool = FRUITS if params["keys"] == "fruits" else COLORS
        keys = rng.sample(pool, rng.randint(3, 5))
        values = [str(rng.randint(1, 99)) for _ in keys]
        if params["style"] == 0:
            table = ", ".join(f"{k} = {v}" for k, v in zip(keys, values, strict=True))
        else:
            table = "\n".join(f"{k}: {v}" for k, v in zip(keys, values, strict=True))
        i = rng.randrange(len(keys))
        return f"{table}\nKey: {keys[i]}", values[i]


class ToJson(Family):
    """A ``key: value`` record as one JSON object (ages as numbers)."""

    name = "to_json"
    kinds = _EXAMPLE_KINDS | {"reverse"}
    instructions = Wordings(
        train=(
            "Write the record as a JSON object.",
            "Convert to JSON.",
            "Format the fields as one JSON object.",
            "Turn the key-value pairs into JSON.",
            "Give the record in JSON.",
        ),
        heldout=(
            "Express this data as a JSON object.",
            "Output JSON with the same keys and values.",
        ),
    )
    reverse_instructions = Wordings(
        train=(
            "Each output is a record in JSON. Give it as key: value pairs.",
            "Convert the JSON back into key: value pairs separated by semicolons.",
        ),
        heldout=("Undo the JSON formatting.",),
    )

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        names = rng.sample(_FIELDS, rng.randint(2, 3))
        pairs = [(name, _field_value(rng, name)) for name in names]
        obj = {k: int(v) if k == "age" else v for k, v in pairs}
        return record_text(pairs), json.dumps(obj)
