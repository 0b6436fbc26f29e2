"""A real evaluation on pc-tiny, our curriculum model: one task (count the words of a list)
as a prefix prompt, a few-shot prompt and a hybrid prompt, at k = 0, 1, 2, 4, 8 examples; then the
few-shot prompt with three ways of choosing its examples (first_k, random_k over three seeds,
similar_k). Writes the charts, the reports (JSON; every item's prompt and output too with
``--items``) and a Markdown summary to ``results/``.

    python examples/eval/pc_tiny/run_eval.py          # 100 rows, about a minute on 2 cores
    python examples/eval/pc_tiny/run_eval.py --limit 5 --out /tmp/eval   # a quick reduced run

The same two evaluations from the shell::

    promptcraft eval examples/eval/pc_tiny/prefix.prompt examples/eval/pc_tiny/few_shot.prompt \\
        examples/eval/pc_tiny/hybrid.prompt --data examples/eval/pc_tiny/data.jsonl \\
        --backend pc-tiny --select first_k,0,1,2,4,8 --out kinds.png

``examples/eval/run_eval.py`` asks the same questions of SmolLM2, the default model, on three
real-language classification tasks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import promptcraft as pc
from promptcraft.evaluation import EvalReport, evaluate

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="evaluate the first N rows only")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="output folder")
    parser.add_argument("--cache", help="a response cache file (default: none)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--items", action="store_true", help="keep every item's prompt and output in the JSON"
    )
    args = parser.parse_args()

    backend = pc.load_backend("pc-tiny")  # loaded once for both evaluations
    common = {
        "data": HERE / "data.jsonl",
        "backend": backend,
        "metric": "exact",
        "limit": args.limit,
        "cache": args.cache,
        "progress": not args.quiet,
    }
    kinds = evaluate(
        [HERE / "prefix.prompt", HERE / "few_shot.prompt", HERE / "hybrid.prompt"],
        select="first_k,0,1,2,4,8",
        **common,
    )
    selection = evaluate(
        HERE / "few_shot.prompt",
        select=["first_k,1,2,4,8", "random_k,1,2,4,8", "similar_k,1,2,4,8"],
        seeds=[0, 1, 2],
        **common,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    _write(kinds, args.out / "kinds", "Count the words: prefix vs few-shot vs hybrid", args.items)
    _write(selection, args.out / "selection", "Count the words: which examples", args.items)
    summary = [
        f"# Counting words with {backend.model}: {kinds.rows} rows, exact match\n",
        "## Prompt kinds and k\n",
        kinds.markdown_table(),
        "## Example selection (few-shot)\n",
        selection.markdown_table(),
    ]
    (args.out / "results.md").write_text("\n".join(summary), encoding="utf-8")
    kinds.print_table()
    selection.print_table()


def _write(report: EvalReport, stem: Path, title: str, items: bool) -> None:
    report.save_json(stem.with_suffix(".json"), items=items)
    try:
        report.save_chart(stem.with_suffix(".png"), title=title)
    except pc.PromptcraftError as exc:  # matplotlib missing: the JSON still has everything
        print(f"no chart: {exc}")


if __name__ == "__main__":
    main()
