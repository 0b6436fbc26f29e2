"""Field extraction on the default model, with and without the schema's outline in the prompt.

Constrained decoding makes any output valid JSON for the schema, but the model never sees
the schema: it does not know what the fields are for. ``generate_structured`` now puts a
compact outline of the schema in the prompt (field names and types, such as
``{"day": string, "time": string}``). This measures what that does on a small extraction set
written for it (``benchmarks/data/extraction.jsonl``: 36 sentences, 12 each about a person
(name, age, city), an order (item, quantity) and a meeting (day, time)), greedy:

- *before*: ``backend.chat/generate(prompt, constraint=json_schema(Model))``, the constrained
  call ``generate_structured`` made before (no outline);
- *after*: ``pc.generate_structured(backend, prompt, Model)`` (constrained, with the outline);
- *copy*: the same with ``json_schema(Model, copy_from=text)``: every string field is a run
  of whole words of the sentence, verbatim (:mod:`promptcraft.constraints.spans`).

Each row is asked as one chat message and as a text prompt. Reported: exact-field accuracy
(the fraction of fields equal to the expected value after light normalisation: case and
spacing, a plural ``s``, an article before an item, and times read as 24-hour ``HH:MM``),
the rows with every field right, and the time per item.

    python benchmarks/extraction.py            # 36 rows x 2 prompt forms x 3 modes
    python benchmarks/extraction.py --limit 6

Writes its table into benchmarks/results/structured.md, as the section
"Schema outline in the prompt" (the rest of the file is left as it is).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import torch
from machine import cpu_name
from pydantic import BaseModel
from record_models import Meeting, Order, Person

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import promptcraft as pc  # noqa: E402
from promptcraft.structured import json_schema  # noqa: E402

SECTION = "## Schema outline in the prompt: SmolLM2 extraction"
MAX_TOKENS = 60


MODELS: dict[str, type[BaseModel]] = {"person": Person, "order": Order, "meeting": Meeting}
MODES = ("before", "after", "copy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/structured.md")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    started = time.time()
    backend = pc.load_backend(threads=args.threads)
    path = ROOT / "benchmarks" / "data" / "extraction.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    rows = rows[: args.limit] if args.limit else rows

    table = []
    examples: dict[tuple[str, str], list[str]] = {}
    for form in ("chat", "text"):
        for mode in MODES:
            fields = right = whole = 0
            spent = 0.0
            shown = examples.setdefault((form, mode), [])
            for row in rows:
                began = time.perf_counter()
                value = _extract(backend, row, form, mode)
                spent += time.perf_counter() - began
                scores = _field_scores(value, row["expected"])
                fields += len(scores)
                right += sum(scores)
                whole += all(scores)
                if row["kind"] == "meeting" and len(shown) < 3:
                    shown.append(json.dumps(value))
            table.append((form, mode, right, fields, whole, len(rows), 1000 * spent / len(rows)))
            print(f"{form:5} {mode:6} fields {right}/{fields}  rows {whole}/{len(rows)}")
    section = _markdown(table, examples, args, backend, load, time.time() - started)
    print(section)
    _write_section(args.out, section)


def _prompt(row: dict[str, Any], form: str) -> Any:
    ask = f"Extract the {row['kind']} from this text.\n\nText: {row['text']}"
    return [{"role": "user", "content": ask}] if form == "chat" else f"{ask}\nJSON:"


def _extract(backend: Any, row: dict[str, Any], form: str, mode: str) -> dict[str, Any] | None:
    model = MODELS[row["kind"]]
    prompt = _prompt(row, form)
    params = {"temperature": 0, "max_tokens": MAX_TOKENS}
    try:
        if mode == "after":
            return pc.generate_structured(backend, prompt, model, **params).model_dump()
        if mode == "copy":
            spans = json_schema(model, copy_from=row["text"])
            return pc.generate_structured(backend, prompt, spans, **params).model_dump()
        call = backend.chat if form == "chat" else backend.generate
        completion = call(prompt, constraint=json_schema(model), **params)
        return json_schema(model).parse(completion.text).model_dump()
    except Exception:  # a cut-off output: every field wrong
        return None


def _field_scores(value: dict[str, Any] | None, expected: dict[str, Any]) -> list[bool]:
    if value is None:
        return [False] * len(expected)
    return [_same(name, value.get(name), want) for name, want in expected.items()]


def _same(name: str, got: Any, want: Any) -> bool:
    if isinstance(want, int):
        return str(got).strip() == str(want)
    if name == "time":
        return _clock(str(got)) == want
    a, b = _words(str(got)), _words(str(want))
    if name == "item":
        a, b = re.sub(r"^(a|an|the) ", "", a), re.sub(r"^(a|an|the) ", "", b)
        return a.rstrip("s") == b.rstrip("s")
    return a == b


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s'-]", " ", text.casefold()).split())


def _clock(text: str) -> str | None:
    """A time as 24-hour HH:MM ("3 pm" -> "15:00", "noon" -> "12:00"); None if unreadable."""
    text = text.casefold().replace(".", "")
    if "noon" in text:
        return "12:00"
    found = re.search(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text)
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if found.group(3) == "pm" and hour < 12:
        hour += 12
    if found.group(3) == "am" and hour == 12:
        hour = 0
    return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None


def _markdown(
    table: list[tuple[Any, ...]],
    examples: dict[tuple[str, str], list[str]],
    args: argparse.Namespace,
    backend: Any,
    load: float,
    wall: float,
) -> str:
    n = table[0][5]
    lines = [
        SECTION,
        "",
        f"{datetime.date.today()} · {cpu_name()} · torch {torch.__version__} · "
        f"{args.threads} thread(s) · model {backend.model} · run in {wall:.0f} s · load "
        f"average {load:.1f} at start",
        "",
        f"{n} sentences (`benchmarks/data/extraction.jsonl`: people with name/age/city, orders "
        "with item/quantity, meetings with day/time), constrained decoding, greedy, at most "
        f"{MAX_TOKENS} tokens (`python benchmarks/extraction.py`). *before*: the constrained "
        "call alone (the model never sees the schema); *after*: `generate_structured`, which "
        "adds the schema's outline to the prompt; *copy*: the same, with "
        "`json_schema(Model, copy_from=text)`, so string fields are copied from the sentence.",
        "",
        "| prompt | mode | exact fields | rows all right | time per item |",
        "| --- | --- | --- | --- | --- |",
    ]
    for form, mode, right, fields, whole, rows, ms in table:
        label = {"before": "constraint alone", "after": "+ outline", "copy": "+ copied spans"}[mode]
        lines.append(
            f"| {form} | {label} | {right}/{fields} = {right / fields:.0%} | "
            f"{whole}/{rows} = {whole / rows:.0%} | {ms:.0f} ms |"
        )
    lines += ["", "First meetings answered (chat prompt):", ""]
    for mode in MODES:
        shown = "; ".join(f"`{e}`" for e in examples.get(("chat", mode), []))
        lines.append(f"- {mode}: {shown}")
    return "\n".join(lines) + "\n"


def _write_section(path: Path, section: str) -> None:
    """Replace this benchmark's section of ``path`` (or add it), keeping the rest."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    kept = text.split(SECTION)[0].rstrip()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((kept + "\n\n" if kept else "") + section, encoding="utf-8")


if __name__ == "__main__":
    main()
