"""``promptcraft tune``: teach the local model a task from examples; save an adapter."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import PromptcraftError
from .model_option import MODEL_HELP, add_model_option
from .option_types import fraction, positive_float, positive_int

__all__ = ["register"]

_METHODS = ("prompt", "prefix", "ffn", "top_layers", "full")

_DESCRIPTION = """\
Tune the local model on JSONL examples ({"input": ..., "output": ...} per line) rendered
through a .prompt template, and save the result as an adapter file. Serve it with
`promptcraft serve --adapter FILE` or pc.load_backend("local", adapter=FILE).

methods (what is trained; everything else stays frozen):
  prompt      virtual-token embeddings before every prompt (smallest adapter)
  prefix      keys/values of every layer, through a small MLP (only the keys/values are saved)
  ffn         the MLP (feed-forward) weights of every block
  top_layers  every weight of the top --top-layers blocks
  full        every weight (the adapter is as large as the model)

The loss covers output tokens only. A seeded --val-fraction of the data is held out for
early stopping (--patience evaluations without a better validation loss) and for the exact
match reported at the end. --compare runs every method on the same data and prints a table
(trained parameters, train time, held-out exact match, adapter size); --plot draws it."""

_EPILOG = """\
examples:
  promptcraft tune data.jsonl --max-steps 200
  promptcraft tune data.jsonl --method ffn --template my_task.prompt --out adapters/ffn.safetensors
  promptcraft tune data.jsonl --test test.jsonl --compare --plot methods.png
  promptcraft serve --adapter adapters/ffn.safetensors"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tune = sub.add_parser(
        "tune",
        help="tune the local model on examples (prompt, prefix, ffn, top_layers, full)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tune.add_argument("data", metavar="DATA.jsonl", help='examples: {"input": .., "output": ..}')
    tune.add_argument("--method", choices=_METHODS, default="prompt", help="(default: prompt)")
    tune.add_argument(
        "--template",
        metavar="FILE_OR_NAME",
        help="the .prompt file or library name the app renders (default: 'Input: ..\\nOutput:')",
    )
    add_model_option(tune, help="the base model: " + MODEL_HELP)
    tune.add_argument(
        "--out",
        metavar="FILE",
        help="adapter file (default: adapters/<template>-<method>.safetensors); with "
        "--compare, a directory (default: adapters/compare)",
    )
    tune.add_argument("--test", metavar="FILE.jsonl", help="held-out examples to score")
    tune.add_argument("--compare", action="store_true", help="run every method; print a table")
    tune.add_argument("--plot", metavar="PNG", help="with --compare: draw the table (matplotlib)")
    group = tune.add_argument_group("training")
    group.add_argument(
        "--virtual-tokens",
        default=16,
        help="prompt/prefix length (16)",
        type=positive_int,
        metavar="N",
    )
    group.add_argument(
        "--top-layers",
        default=2,
        help="blocks top_layers trains (2)",
        type=positive_int,
        metavar="N",
    )
    group.add_argument(
        "--lr", type=positive_float, metavar="LR", help="peak learning rate (default: per method)"
    )
    group.add_argument(
        "--batch-size", default=16, help="examples per step (16)", type=positive_int, metavar="N"
    )
    group.add_argument(
        "--epochs", default=30, help="most epochs (30)", type=positive_int, metavar="N"
    )
    group.add_argument("--max-steps", help="most optimizer steps", type=positive_int, metavar="N")
    group.add_argument(
        "--max-seconds", type=positive_float, metavar="S", help="wall-clock budget per method"
    )
    group.add_argument(
        "--val-fraction", type=fraction, default=0.1, metavar="F", help="held out, 0-1 (0.1)"
    )
    group.add_argument(
        "--patience", default=4, help="evaluations without gain (4)", type=positive_int, metavar="N"
    )
    group.add_argument("--seed", type=int, default=0, metavar="N", help="split, init and order (0)")
    group.add_argument(
        "--init-text", metavar="TEXT", help="text whose tokens start the virtual tokens"
    )
    group.add_argument(
        "--threads", help="CPU threads (torch default)", type=positive_int, metavar="N"
    )
    group.add_argument("--quiet", action="store_true", help="no progress bar")
    tune.set_defaults(handler=_tune)


def _tune(args: argparse.Namespace) -> int:
    import torch

    from ..tuning import compare_methods, comparison_table, plot_comparison, run_tuning

    if args.plot and not args.compare:
        raise PromptcraftError("--plot needs --compare")
    if args.out and not args.compare and Path(args.out).is_dir():
        raise PromptcraftError(
            f"--out {args.out} is a folder; give the adapter file, such as "
            f"{Path(args.out) / (args.method + '.safetensors')}"
        )
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    options: dict[str, Any] = {
        "virtual_tokens": args.virtual_tokens,
        "top_layers": args.top_layers,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "max_epochs": args.epochs,
        "max_steps": args.max_steps,
        "max_seconds": args.max_seconds,
        "val_fraction": args.val_fraction,
        "patience": args.patience,
        "seed": args.seed,
        "init_text": args.init_text,
        "progress": not args.quiet,
    }
    common: dict[str, Any] = {
        "data": args.data,
        "template": args.template,
        "model": args.model,
        "test_data": args.test,
    }
    if args.compare:
        out_dir = Path(args.out or "adapters/compare")
        reports = compare_methods(
            out_dir=out_dir, on_report=lambda r: print(_summary(r), flush=True), **common, **options
        )
        print()
        print(comparison_table(reports))
        if args.plot:
            print(f"plot: {plot_comparison(reports, args.plot)}")
        return 0
    report = run_tuning(args.method, out=args.out, **common, **options)
    print(_summary(report))
    return 0


def _summary(report: Any) -> str:
    info, outcome = report.info, report.outcome
    early = ", stopped early" if outcome.stopped_early else ""
    lines = [
        f"{info.method}: adapter {report.adapter} ({report.adapter_bytes:,} bytes)",
        f"  trained {info.trained_params:,} of {info.total_params:,} parameters; "
        f"{outcome.steps} steps in {outcome.train_seconds:.1f} s "
        f"({outcome.tokens_per_s:.0f} tokens/s){early}",
        f"  validation loss {outcome.first_val_loss:.3f} -> {outcome.best_val_loss:.3f}; "
        f"exact match {_pct(info.val_exact_match_before)} -> {_pct(info.val_exact_match)} "
        f"({info.val_examples} examples)",
    ]
    if report.test_examples:
        lines.append(
            f"  test exact match {_pct(report.test_exact_match_before)} -> "
            f"{_pct(report.test_exact_match)} ({report.test_examples} examples)"
        )
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"
