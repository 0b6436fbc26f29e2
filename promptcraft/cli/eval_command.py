"""``promptcraft eval``: compare prompt variants on a dataset, from the shell."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import EvaluationError
from .generate_commands import (
    add_backend_options,
    backend_options,
    check_backend_spec,
    local_options,
)
from .option_types import TEMPERATURE_MAX, positive_int, temperature

__all__ = ["register"]

_DESCRIPTION = """\
Run every variant of a grid over a dataset and score it: templates × example selections ×
backends. Prints a table (score with its 95% confidence interval, errors, prompt and
completion tokens, generation time per variant) and writes the per-item results.

The dataset is JSONL, one row per line: the template's inputs and the expected answer, such
as {"text": "I loved it", "expected": "positive"} (or {"inputs": {...}, "expected": ...}).
A row missing an input a template needs is an error naming its file and line, before any
generation.

A template with output: is scored on what run() returns: constrained to its choices, regex
or schema, or its choices ranked (mode: rank), then parsed. Completions are cached in a
SQLite file (--cache), keyed by backend, rendered prompt, parameters and output spec:
running the same command again is free, and an interrupted run resumes.

An item whose prompt cannot be rendered or whose generation fails (a server that does not
answer) scores 0; each such failure is summed up on stderr, and the command exits 1, as it
does when a variant's metric could score none of its items."""

_EPILOG = """\
metrics:
  exact[:ignore_case,ignore_punctuation,ignore_whitespace]   equal after stripping
  contains[:ignore_case]       the expected text occurs in the output
  choice[:A,B,...]             the choice the output picks (default: the template's
                               `output: {choices: [...]}`)
  regex:PATTERN                with a group: group 1 equals expected; without: matches
  json_schema[:FILE.json]      valid JSON for the schema (default: the template's
                               `output: {schema: ...}`), and the fraction of expected fields
  python:module:function       function(output, expected[, inputs]) -> bool | float in [0, 1]

selections (--select, repeatable; only for templates that have examples):
  first_k,K[,K...]             the first K examples; K=0 is zero-shot
  random_k,K[,K...]            K random examples, one variant per --seeds seed
  similar_k,K[,K...]           the K examples most similar to the query (BM25)
  within_budget,TOKENS[,...]   as many examples as fit in TOKENS prompt tokens
  all                          every example

examples:
  promptcraft eval prefix.prompt fewshot.prompt --data data.jsonl
  promptcraft eval fewshot.prompt --data data.jsonl --select first_k,0,1,2,4,8 \\
      --select similar_k,4 --select random_k,4 --seeds 0,1,2 --out results.json \\
      --out chart.png
  promptcraft eval qa.prompt --data qa.jsonl --backend local \\
      --backend http://localhost:8000/v1 --model-name llama3 --metric contains:ignore_case"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "eval",
        help="compare prompt variants, example selections and backends on a dataset",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "templates", nargs="+", metavar="TEMPLATE", help=".prompt files or library names"
    )
    parser.add_argument("--data", required=True, metavar="FILE.jsonl", help="the dataset")
    parser.add_argument(
        "--expected-key",
        default="expected",
        metavar="FIELD",
        help="the field holding the expected answer (default: expected)",
    )
    parser.add_argument("--limit", type=positive_int, metavar="N", help="use the first N rows only")
    add_backend_options(parser, repeatable=True)
    parser.add_argument(
        "--metric", default="exact", help="how to score an output (see below; default: exact)"
    )
    parser.add_argument(
        "--select",
        action="append",
        metavar="STRATEGY,K",
        help="an example selection to compare (repeatable; see below); default: each "
        "template's own",
    )
    parser.add_argument(
        "--seeds",
        default="0",
        metavar="S[,S...]",
        help="seeds of random_k selections (default: 0)",
    )
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=1,
        metavar="N",
        help="run each row N times with seeds seed..seed+N-1 (use with --temperature > 0)",
    )
    parser.add_argument(
        "--max-tokens", type=positive_int, metavar="N", help="most tokens per completion"
    )
    parser.add_argument(
        "--temperature",
        type=temperature,
        metavar="T",
        help=f"from 0 to {TEMPERATURE_MAX:g}; default 0 (greedy)",
    )
    parser.add_argument("--seed", type=int, metavar="N", help="sampling seed")
    parser.add_argument(
        "--stop",
        action="append",
        metavar="TEXT",
        help="stop at this text (repeatable; \\n is a newline)",
    )
    parser.add_argument(
        "--out",
        action="append",
        metavar="FILE",
        help="write the report: .json (every item's prompt, output, score), .csv (the "
        "items) or .png (the chart; needs matplotlib); repeatable",
    )
    parser.add_argument(
        "--cache",
        default=os.path.join(".promptcraft-cache", "eval.sqlite"),
        metavar="FILE",
        help="the response cache (default: .promptcraft-cache/eval.sqlite)",
    )
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write a cache")
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=8,
        metavar="N",
        help="prompts per batch on the local model (default: 8)",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=8,
        metavar="N",
        help="requests in flight on a server (default: 8)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=_eval)


def _eval(args: argparse.Namespace) -> int:
    from ..evaluation.run import evaluate

    _check_outputs(args)  # before the run: a typo must not cost the whole evaluation
    if args.metric.startswith("python:") and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # python:my_metrics:score finds ./my_metrics.py
    report = evaluate(
        args.templates,
        data=args.data,
        backends=_backends(args),
        metric=args.metric,
        select=args.select,
        seeds=_seeds(args.seeds),
        repeat=args.repeat,
        params=_params(args),
        expected_key=args.expected_key,
        limit=args.limit,
        cache=None if args.no_cache else args.cache,
        batch_size=args.batch_size,
        concurrency=args.concurrency,
        progress=not args.quiet,
    )
    report.print_table()
    for path in args.out or []:
        written = report.save(path)
        print(f"wrote {written}", file=sys.stderr)
    return 1 if _report_failures(report) else 0


_REPORT_SUFFIXES = (".json", ".csv", ".png")


def _check_outputs(args: argparse.Namespace) -> None:
    for path in args.out or []:
        suffix = Path(path).suffix.lower()
        if suffix not in _REPORT_SUFFIXES:
            kind = f"a {suffix!r} file" if suffix else "a file without a suffix"
            raise EvaluationError(
                f"--out {path}: cannot write the report as {kind}; use .json, .csv or .png"
            )
    if not args.no_cache and Path(args.cache).is_dir():
        raise EvaluationError(f"--cache {args.cache} is a folder; give a file such as eval.sqlite")


def _report_failures(report: Any) -> bool:
    """One stderr line per variant whose items failed, with the first failure; True when an
    item could not be rendered or generated, or a variant has no score at all (the run did
    not measure what was asked)."""
    failed = False
    for variant in report.variants:
        errors = [item for item in report.items_of(variant.name) if item.error is not None]
        if not errors:
            continue
        failed = failed or variant.score.mean is None
        failed = failed or any(item.error_stage in ("render", "generate") for item in errors)
        first = errors[0]
        print(
            f"promptcraft eval: {variant.name}: {len(errors)} of {variant.items} items failed; "
            f"first at {first.where} ({first.error_stage}): {first.error}",
            file=sys.stderr,
        )
    return failed


def _backends(args: argparse.Namespace) -> list[Any]:
    """The specs, with the server ones loaded with --model-name and --api-key-env."""
    from ..backends.spec import load_backend, parse_backend_spec

    specs = args.backend or [None]
    options = backend_options(args)
    servers = [spec for spec in specs if parse_backend_spec(spec).kind == "openai"]
    if not servers:
        check_backend_spec(specs[0], options)  # options without a server: say so
    for spec in servers:
        check_backend_spec(spec, options)
    local = local_options(args)
    return [
        load_backend(spec, **options)
        if spec in servers
        else load_backend(spec, **local)
        if local
        else spec
        for spec in specs
    ]


def _seeds(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise EvaluationError(
            f"--seeds takes whole numbers separated by commas, not {text!r}"
        ) from None


def _params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "seed": args.seed,
        "stop": [s.replace("\\n", "\n") for s in args.stop] if args.stop else None,
    }
    return {key: value for key, value in params.items() if value is not None}
