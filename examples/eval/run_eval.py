"""Prompt engineering on SmolLM2-135M-Instruct, the default local model: which kind of
prompt, how many examples, which examples, and how the answer is read, measured on three
classification tasks of 120 hand-written rows each (``sentiment/``, ``intent/``, ``topic/``;
the prompts are in ``tasks.py``).

Three evaluations per task, each with a 95% interval per variant:

1. **kinds**: prefix (zero-shot), few-shot, hybrid (instruction + examples) and chat (the
   instruction as the system message, the examples as turns) at k = 0, 1, 2, 4, 8 examples
   (the first k of the pool), the answer constrained to the label set;
2. **selection**: the few-shot and the hybrid prompts with their k examples chosen three
   ways: the first k, k at random (seeds 0, 1, 2) and the k most similar to the input (BM25);
3. **output**: the same prompts read four ways: free text that must be exactly a label
   (``exact``), free text from which a label is picked out (``choice``), generation
   constrained to the labels (``choices``), and ranking each label by its probability
   (``rank``).

Writes ``results/<task>_<evaluation>.json`` and ``.png`` (the reports and their charts),
``results/results.md`` (every variant: score, interval, tokens, seconds) and, through
``summary.py``, ``results/summary.md`` and ``results/summary_*.png`` (the three tasks side
by side)::

    python examples/eval/run_eval.py --threads 1 --cache eval.sqlite     # the whole study
    python examples/eval/run_eval.py --limit 4 --tasks intent --out /tmp/eval   # reduced
    python examples/eval/run_eval.py --limit 2 --backend pc-tiny --out /tmp/eval  # plumbing

The whole study is 20,456 distinct requests: 6,232 s (about 1 h 45 min) of generation on a
2-core x86 machine shared with other jobs. With ``--cache``, an interrupted run started again
with the same file picks up where it stopped (every answer is stored as it is generated;
results/ was made that way, in three runs sharing one cache). ``summary.md`` gives each
answer's generation seconds, whichever run generated it.

``pc_tiny/`` holds the same study of our 2.8M curriculum model on counting words.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # tasks.py and summary.py, when run from anywhere

from summary import write_summary  # noqa: E402
from tasks import TASKS, Task, prompts, task_named  # noqa: E402

import promptcraft as pc  # noqa: E402
from promptcraft.evaluation import EvalReport, ResponseCache, evaluate  # noqa: E402

K_VALUES = "0,1,2,4,8"
SEEDS = (0, 1, 2)
# The output evaluation reads these prompts four ways: zero-shot and with the first 4 examples.
OUTPUT_SELECT = "first_k,0,4"
OUTPUT_KINDS = ("prefix", "few_shot", "hybrid", "chat")
SELECTION_KINDS = ("few_shot", "hybrid")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="evaluate the first N rows of each task")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="output folder")
    parser.add_argument("--cache", help="a response cache file (default: one for this run)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--tasks", default=",".join(t.name for t in TASKS), help="comma-separated task names"
    )
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument(
        "--backend", help="a load_backend spec such as pc-tiny (default: the default model)"
    )
    parser.add_argument(
        "--items", action="store_true", help="keep every item's prompt and output in the JSON"
    )
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    tasks = [task_named(name.strip()) for name in args.tasks.split(",") if name.strip()]
    # SmolLM2-135M-Instruct unless --backend says otherwise, loaded once for every evaluation
    backend = pc.load_backend(args.backend, threads=args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        # One cache for the whole run: the evaluations share many requests (the first-k
        # variants of "selection", the constrained ones of "output"), generated once.
        cache = ResponseCache(args.cache or Path(scratch) / "cache.sqlite")
        try:
            sections = []
            for task in tasks:
                run = TaskRun(task, backend, cache, args.limit, not args.quiet)
                reports = {
                    "kinds": run.kinds(),
                    "selection": run.selection(),
                    "output": run.output(),
                }
                for study, report in reports.items():
                    _write(report, args.out / f"{task.name}_{study}", task, study, args.items)
                sections.append(_section(task, reports))
        finally:
            cache.close()
    header = (
        f"# Prompt kinds, examples and output modes on {backend.model}\n\n"
        "Greedy decoding; 95% Wilson intervals; seconds are generation time on the machine "
        "that ran it (see summary.md).\n"
    )
    (args.out / "results.md").write_text("\n".join([header, *sections]), encoding="utf-8")
    write_summary(args.out, [t.name for t in tasks])
    print(f"wrote {args.out}/results.md, summary.md and the charts")


class TaskRun:
    """The three evaluations of one task, sharing the backend and the response cache."""

    def __init__(
        self, task: Task, backend: pc.Backend, cache: ResponseCache, limit: int | None, bar: bool
    ) -> None:
        self.task = task
        self.common = {
            "data": task.data,
            "backend": backend,
            "limit": limit,
            "cache": cache,
            "progress": bar,
        }

    def kinds(self) -> EvalReport:
        """Each kind at k = 0, 1, 2, 4, 8 (prefix has no examples: one variant)."""
        return evaluate(
            prompts(self.task), metric="choice", select=f"first_k,{K_VALUES}", **self.common
        )

    def selection(self) -> EvalReport:
        """The example prompts' examples chosen first, at random and by similarity."""
        ks = K_VALUES.removeprefix("0,")
        return evaluate(
            prompts(self.task, kinds=SELECTION_KINDS),
            metric="choice",
            select=[f"first_k,{ks}", f"random_k,{ks}", f"similar_k,{ks}"],
            seeds=SEEDS,
            **self.common,
        )

    def output(self) -> EvalReport:
        """Free text read strictly and leniently, constrained choices, and ranking: one
        evaluation per way, since each has its own metric."""
        labels = ",".join(self.task.labels)
        ways = [
            ("text, exact", "text", "exact:ignore_case,ignore_punctuation"),
            ("text, choice", "text", f"choice:{labels}"),
            ("choices", "choices", "choice"),
            ("rank", "rank", "choice"),
        ]
        reports = [
            evaluate(
                prompts(self.task, mode, OUTPUT_KINDS, label=label),
                metric=metric,
                select=OUTPUT_SELECT,
                **self.common,
            )
            for label, mode, metric in ways
        ]
        return merge_reports(reports, metric="per variant: see its name")


def merge_reports(reports: list[EvalReport], *, metric: str) -> EvalReport:
    """One report of several runs over the same rows (their variant names must differ)."""
    first = reports[0]
    return EvalReport(
        metric=metric,
        data=first.data,
        rows=first.rows,
        variants=[v for r in reports for v in r.variants],
        items=[i for r in reports for i in r.items],
        wall_seconds=sum(r.wall_seconds for r in reports),
        generated=sum(r.generated for r in reports),
        cache_hits=sum(r.cache_hits for r in reports),
    )


def _write(report: EvalReport, stem: Path, task: Task, study: str, items: bool) -> None:
    report.save_json(stem.with_suffix(".json"), items=items)
    try:
        report.save_chart(stem.with_suffix(".png"), title=f"{task.title}: {study}")
    except pc.PromptcraftError as exc:  # matplotlib missing: the JSON still has everything
        print(f"no chart: {exc}")


def _section(task: Task, reports: dict[str, EvalReport]) -> str:
    parts = [f"## {task.title} ({task.name}/, {reports['kinds'].rows} rows)\n"]
    for study, report in reports.items():
        generated = f"{report.generated} generated, {report.cache_hits} from the cache"
        parts.append(f"### {study}: {report.wall_seconds:.0f} s ({generated})\n")
        parts.append(report.markdown_table())
    return "\n".join(parts)


if __name__ == "__main__":
    main()
