"""The bundled model's recipe: curriculum → tokenizer → Llama-style decoder → HF directory.

::

    python -m recipes.pc_tiny --out models/pc-tiny --minutes 48 --seed 0
    python -m recipes.pc_tiny --out models/pc-tiny --minutes 48 --resume
    python -m recipes.pc_tiny --out models/pc-tiny --finish-from STAGE1_DIR

Steps: generate the curriculum's train split; learn a 2048-token BPE on its text (single
digits, the chat markers and ``<|endoftext|>`` as special tokens); tokenize every sample with
loss weights (completion and eos 1, prompt ``--prompt-weight``); pack them into rows; train
under a wall-clock budget (:mod:`recipes.pc_tiny.train`); then the finishing stage
(:class:`FinishStage`: fresh samples of a shifted mixture, a fresh optimizer, its own
budget); score greedy exact match on held-out samples; write the model with
:func:`~promptcraft.nn.save_model`, plus ``training_log.json`` and ``loss_curve.png``.

The work directory (``checkpoints/<name>`` by default, gitignored) keeps the tokenizer, the
packed data and the training checkpoints, so ``--resume`` continues the same run.
``--finish-from`` runs only the finishing stage, on a first-stage model directory that the
recipe wrote with ``--finish-minutes 0``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field

from promptcraft.nn import Decoder, Generator, ModelConfig, load_model, save_model
from promptcraft.tokenizers.files import load_tokenizer_dir
from promptcraft.tokenizers.tokenizer import Tokenizer
from promptcraft.tokenizers.writers import save_tiktoken

from .chat_format import CHAT_TEMPLATE, END_OF_TURN, EOS_TOKEN
from .generate import generate_samples
from .mixture import DEFAULT_MIXTURE, Mixture
from .packing import PackedRows, pack_samples
from .sample import Sample
from .tool_protocol import OBSERVATION_STOP
from .train import CHECKPOINT_FILE, TrainConfig, Trainer
from .training_data import to_training_sample, train_curriculum_tokenizer

__all__ = [
    "FinishStage",
    "ModelShape",
    "Recipe",
    "finish_model",
    "first_stage_log",
    "greedy_exact_match",
    "main",
    "model_config",
    "pack_curriculum",
    "run_recipe",
]


class ModelShape(BaseModel):
    """The decoder's size. The default, about 2.8M parameters (d192 x 6 layers), trains at
    ~11.6k tokens/s on two cores of the build machine (benchmarks/train_throughput.py); at
    equal compute it beat d192 x 8 on every pilot suite (MODEL_CARD.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dim: int = 192
    n_layers: int = 6
    n_heads: int = 6
    n_kv_heads: int = 3  # grouped-query attention, 2 query heads per kv head
    hidden_dim: int = 512  # SwiGLU width, ~2.7x dim
    context: int = 512


class FinishStage(BaseModel):
    """A short second stage from the first stage's weights: new samples of a mixture
    shifted towards what the first stage leaves unlearned, word dropout in the paraphrased
    wordings (:func:`~.paraphrase.drop_word`), and a fresh optimizer whose warmup and cosine
    start again at a peak of half the first stage's.

    Measured (MODEL_CARD.md): on the seventh run's weights (4-shot in-context 66.8%, the
    cipher at 0-2%), about 1,600 steps of this lifted the cipher to 92-96% and the 4-shot
    target to 90.0%; the same at a peak of 4e-4 reached 84.8%. The retrieval circuit the
    first stage forms is what the cipher builds on: weighting the cipher up from the start
    (runs 8 and 9) cost the circuit itself."""

    model_config = ConfigDict(extra="forbid")

    samples: int = Field(default=70_000, description="Fresh samples of the shifted mixture.")
    family_weights: dict[str, float] = Field(
        default={"icl_cipher": 4.0, "icl_transform": 3.0},
        description="Family weights that replace the default mixture's.",
    )
    word_dropout: float = Field(default=0.3, ge=0, le=1)
    train: TrainConfig = TrainConfig(
        batch_rows=16, lr=1e-3, warmup_steps=50, time_budget_s=10 * 60, bf16=True,
        eval_every=250, eval_rows=64, checkpoint_every_s=300,
    )  # fmt: skip

    def mixture(self) -> Mixture:
        """The default mixture with this stage's family weights and word dropout."""
        families = {**DEFAULT_MIXTURE.families, **self.family_weights}
        update = {"families": families, "word_dropout": self.word_dropout}
        return Mixture(**{**DEFAULT_MIXTURE.model_dump(), **update})


class Recipe(BaseModel):
    """Everything that determines the bundled model, given the curriculum's code."""

    model_config = ConfigDict(extra="forbid")

    name: str = "pc-tiny"
    seed: int = 0
    vocab_size: int = 2048
    tokenizer_samples: int = Field(default=10_000, description="Samples the BPE learns from.")
    train_samples: int = 540_000
    heldout_samples: int = 1_000
    # Measured (MODEL_CARD.md): weight 0 wins a 6-minute pilot on held-out loss, but over a
    # full run weight 1 lifts prefix exact match from 42% to 83%: the loss on demonstrations
    # (outputs that copy or transform text earlier in the context) forms the copying circuit
    # that the list and in-context tasks build on.
    prompt_weight: float = Field(
        default=1.0, description="Loss weight of prompt tokens (completion and eos: 1)."
    )
    row_len: int = Field(
        default=257, description="Packed row length: 256 inputs and the shifted target."
    )
    shape: ModelShape = ModelShape()
    train: TrainConfig = TrainConfig(
        batch_rows=16, lr=2e-3, warmup_steps=200, time_budget_s=48 * 60, bf16=True,
        eval_every=250, eval_rows=64, checkpoint_every_s=300,
    )  # fmt: skip
    finish: FinishStage | None = FinishStage()


def model_config(shape: ModelShape, tokenizer: Tokenizer) -> ModelConfig:
    """The Llama-style config for ``shape``, with the tokenizer's special tokens."""
    eos = [tokenizer.token_id(EOS_TOKEN), tokenizer.token_id(END_OF_TURN)]
    return ModelConfig(
        family="llama",
        # Rounded up to a multiple of 64: the spare rows are never produced by the tokenizer,
        # and aligned matrix shapes run faster.
        vocab_size=-(-tokenizer.n_vocab // 64) * 64,
        dim=shape.dim,
        n_layers=shape.n_layers,
        n_heads=shape.n_heads,
        n_kv_heads=shape.n_kv_heads,
        head_dim=shape.dim // shape.n_heads,
        hidden_dim=shape.hidden_dim,
        max_seq_len=shape.context,
        norm_eps=1e-5,
        activation="silu",
        rope_theta=10000.0,
        tie_word_embeddings=True,
        eos_token_ids=eos,
        pad_token_id=eos[0],
        chat_template=CHAT_TEMPLATE,
    )


# --- data --------------------------------------------------------------------------------------


def prepare_data(
    recipe: Recipe, work_dir: Path, *, log: Any = print
) -> tuple[Tokenizer, PackedRows, PackedRows, list[Sample]]:
    """Tokenizer, packed train rows, packed held-out rows and the held-out samples; cached
    in ``work_dir`` so a resumed run trains on exactly the same rows."""
    cache = work_dir / "data.pt"
    heldout = list(generate_samples(recipe.heldout_samples, seed=recipe.seed, split="heldout"))
    if cache.is_file() and (work_dir / "tokenizer").is_dir():
        tokenizer = load_tokenizer_dir(work_dir / "tokenizer")
        tokenizer.eos_token_id = tokenizer.pad_token_id = tokenizer.token_id(EOS_TOKEN)
        saved = torch.load(cache, weights_only=True)
        if saved["recipe"] != recipe.model_dump_json(exclude={"train", "finish"}):
            raise ValueError(f"{cache} was prepared by a different recipe; remove {work_dir}")
        return tokenizer, PackedRows(*saved["train"]), PackedRows(*saved["heldout"]), heldout

    start = time.perf_counter()
    tokenizer = train_curriculum_tokenizer(
        recipe.vocab_size,
        corpus_samples=recipe.tokenizer_samples,
        seed=recipe.seed + 1,  # not the training stream itself
        name=recipe.name,
    )
    log(f"tokenizer: {tokenizer.n_vocab} tokens in {time.perf_counter() - start:.0f}s")
    start = time.perf_counter()
    train_rows = pack_curriculum(
        generate_samples(recipe.train_samples, seed=recipe.seed, split="train"),
        tokenizer,
        recipe.row_len,
        prompt_weight=recipe.prompt_weight,
        seed=recipe.seed,
        log=log,
    )
    log(f"curriculum: {recipe.train_samples} train samples in {time.perf_counter() - start:.0f}s")
    held_rows = pack_curriculum(heldout, tokenizer, recipe.row_len, seed=0)
    log(
        f"packed: {len(train_rows)} rows of {recipe.row_len} tokens, "
        f"{train_rows.fill_ratio():.1%} filled, {train_rows.trained_tokens} completion tokens"
    )
    work_dir.mkdir(parents=True, exist_ok=True)
    save_tiktoken(tokenizer, work_dir / "tokenizer")
    torch.save(
        {
            "recipe": recipe.model_dump_json(exclude={"train", "finish"}),
            "train": [train_rows.tokens, train_rows.weights, train_rows.documents],
            "heldout": [held_rows.tokens, held_rows.weights, held_rows.documents],
        },
        cache,
    )
    return tokenizer, train_rows, held_rows, heldout


def pack_curriculum(
    samples: Iterable[Sample],
    tokenizer: Tokenizer,
    row_len: int,
    *,
    prompt_weight: float = 0.0,
    seed: int,
    log: Callable[[str], object] | None = None,
) -> PackedRows:
    """``samples`` tokenized with loss weights and packed whole into rows of ``row_len``.
    The held-out rows keep ``prompt_weight`` 0: only completions carry loss, so the held-out
    loss compares across prompt weights."""
    trained = [to_training_sample(s, tokenizer, prompt_weight=prompt_weight) for s in samples]
    # Drop the rare sample longer than a row instead of cutting it (see pack_samples).
    fits = [s for s in trained if len(s.tokens) <= row_len]
    if log is not None and len(fits) < len(trained):
        log(f"dropped {len(trained) - len(fits)} samples longer than {row_len} tokens")
    return pack_samples(fits, row_len, pad_id=tokenizer.token_id(EOS_TOKEN), seed=seed)


def finish_model(
    model: Decoder,
    tokenizer: Tokenizer,
    stage: FinishStage,
    *,
    seed: int,
    row_len: int,
    prompt_weight: float,
    first_sample: int,
    heldout: PackedRows | None = None,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
) -> Trainer:
    """Train ``model`` in place through ``stage`` and return its trainer (steps, tokens,
    history). The samples start at index ``first_sample`` of the train stream, past the
    first stage's, so none repeats one."""
    samples = generate_samples(
        stage.samples, seed=seed, split="train", mixture=stage.mixture(), start=first_sample
    )
    rows = pack_curriculum(samples, tokenizer, row_len, prompt_weight=prompt_weight, seed=seed)
    trainer = Trainer(
        model,
        rows,
        stage.train.model_copy(update={"seed": seed}),
        heldout=heldout,
        checkpoint_dir=checkpoint_dir,
    )
    can_resume = checkpoint_dir is not None and (checkpoint_dir / CHECKPOINT_FILE).is_file()
    trainer.train(resume=resume and can_resume)
    return trainer


# --- quick greedy evaluation -------------------------------------------------------------------


def greedy_exact_match(
    generator: Generator, samples: Sequence[Sample], *, max_tokens: int = 48
) -> dict[str, dict[str, float]]:
    """Greedy exact match of each sample's completion, by ``kind/family``.

    A tool sample is scored on its first step (the first ``Action`` line): the full
    protocol, with tool results fed back, is :mod:`recipes.pc_tiny.evaluate`'s job.
    """
    hits: defaultdict[str, list[bool]] = defaultdict(list)
    for sample in samples:
        if sample.kind == "tool":
            prompt, expected = sample.segments[0].text, sample.segments[1].text
            expected = expected.removesuffix(OBSERVATION_STOP)
            stop = [OBSERVATION_STOP]
        else:
            prompt, expected = sample.prompt, sample.completion.removesuffix(END_OF_TURN)
            stop = ["\n"]
        ids = generator.tokenizer.encode(prompt, allow_special=True)
        out = generator.generate(ids, max_tokens=max_tokens, temperature=0.0, stop=stop)
        hits[f"{sample.kind}/{sample.family}"].append(out.text.strip() == expected.strip())
    table = {key: {"n": len(v), "exact_match": sum(v) / len(v)} for key, v in sorted(hits.items())}
    return table


# --- the run -----------------------------------------------------------------------------------


def run_recipe(
    recipe: Recipe,
    out: Path,
    *,
    work_dir: Path,
    resume: bool = False,
    eval_samples: int = 400,
    finish_from: Path | None = None,
) -> dict[str, Any]:
    """Train the model of ``recipe`` and write it to ``out``; returns the run summary.
    With ``finish_from`` (a first-stage model directory this function wrote), only the
    finishing stage runs, and the first stage's log is carried over."""
    started = time.time()
    if finish_from is None:
        tokenizer, train_rows, held_rows, heldout = prepare_data(recipe, work_dir)
        torch.manual_seed(recipe.seed)
        model = Decoder(model_config(recipe.shape, tokenizer))
        print(f"model: {_parameters(model) / 1e6:.2f}M parameters")
        train_config = recipe.train.model_copy(update={"seed": recipe.seed})
        trainer = Trainer(
            model, train_rows, train_config, heldout=held_rows, checkpoint_dir=work_dir / "train"
        )
        trainer.train(resume=resume)
        stages = [_stage_log("first", trainer, len(train_rows))]
        earlier_wall_s = 0.0
    else:
        first = first_stage_log(finish_from)
        model, tokenizer = load_model(finish_from)
        tokenizer.eos_token_id = tokenizer.pad_token_id = tokenizer.token_id(EOS_TOKEN)
        recipe = Recipe(**{**first["recipe"], "name": recipe.name, "finish": recipe.finish})
        heldout = list(generate_samples(recipe.heldout_samples, seed=recipe.seed, split="heldout"))
        held_rows = pack_curriculum(heldout, tokenizer, recipe.row_len, seed=0)
        stages, earlier_wall_s = _first_stages(first), first["wall_seconds"]
    if recipe.finish is not None:
        finisher = finish_model(
            model,
            tokenizer,
            recipe.finish,
            seed=recipe.seed,
            row_len=recipe.row_len,
            prompt_weight=recipe.prompt_weight,
            first_sample=recipe.train_samples,
            heldout=held_rows,
            checkpoint_dir=work_dir / "finish",
            resume=resume,
        )
        stages.append(_stage_log("finish", finisher, len(finisher.train_rows)))
    save_model(model, tokenizer, out)

    generator = Generator(model, tokenizer)
    summary = {
        "name": recipe.name,
        "parameters": _parameters(model),
        **{key: sum(stage[key] for stage in stages) for key in _ADDED_UP},
        "wall_seconds": round(earlier_wall_s + time.time() - started, 1),
        "final_eval_loss": stages[-1]["final_eval_loss"],
        "stages": [{k: v for k, v in stage.items() if k != "history"} for stage in stages],
        "heldout_greedy": greedy_exact_match(generator, heldout[:eval_samples]),
        "threads": torch.get_num_threads(),
        "machine": f"{platform.processor() or platform.machine()}, torch {torch.__version__}",
        "recipe": recipe.model_dump(),
    }
    log = {**summary, "history": _joined_history(stages)}
    (out / "training_log.json").write_text(json.dumps(log, indent=1) + "\n", encoding="utf-8")
    plot_loss_curve(
        log["history"],
        out / "loss_curve.png",
        title=f"{recipe.name}: {summary['parameters'] / 1e6:.1f}M",
        stage_starts=[offset["tokens"] for offset in _offsets(stages)[1:]],
    )
    return summary


def first_stage_log(model_dir: Path) -> dict[str, Any]:
    """The training log of a first-stage model directory, or a ValueError saying why
    ``model_dir`` is not one."""
    path = model_dir / "training_log.json"
    if not path.is_file():
        raise ValueError(
            f"{path} not found: --finish-from needs a model directory this recipe wrote"
        )
    log: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if log.get("recipe", {}).get("finish") is not None:
        raise ValueError(f"{model_dir} has had its finishing stage already (see {path})")
    return log


# Summed over the stages for the run's totals.
_ADDED_UP = ("steps", "tokens_seen", "loss_tokens_seen", "train_seconds")


def _parameters(model: Decoder) -> int:
    return sum(p.numel() for p in model.parameters())


def _stage_log(name: str, trainer: Trainer, n_rows: int) -> dict[str, Any]:
    return {
        "name": name,
        "steps": trainer.step,
        "tokens_seen": trainer.tokens,
        "loss_tokens_seen": trainer.trained_tokens,  # tokens with a nonzero loss weight
        "train_seconds": round(trainer.elapsed_s, 1),
        "epochs": round(trainer.step * trainer.config.batch_rows / n_rows, 3),
        "final_eval_loss": trainer.evaluate(),
        "history": [r.model_dump() for r in trainer.history],
    }


def _first_stages(log: dict[str, Any]) -> list[dict[str, Any]]:
    """The stages of a log written with no finishing stage (one stage; older logs kept its
    figures at the top level)."""
    if "stages" in log:
        (first,) = log["stages"]
        return [{**first, "history": log["history"]}]
    keys = (*_ADDED_UP, "epochs", "final_eval_loss", "history")
    return [{"name": "first", **{key: log[key] for key in keys}}]


def _offsets(stages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Where each stage starts in the whole run (steps, tokens, trained tokens, seconds)."""
    offsets, at = [], dict.fromkeys(("steps", "tokens", "trained_tokens", "elapsed_s"), 0.0)
    for stage in stages:
        offsets.append(at)
        at = {
            "steps": at["steps"] + stage["steps"],
            "tokens": at["tokens"] + stage["tokens_seen"],
            "trained_tokens": at["trained_tokens"] + stage["loss_tokens_seen"],
            "elapsed_s": at["elapsed_s"] + stage["train_seconds"],
        }
    return offsets


def _joined_history(stages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every stage's log records on one axis: steps, tokens and seconds run on across stages."""
    joined = []
    for stage, offset in zip(stages, _offsets(stages), strict=True):
        for record in stage["history"]:
            shifted = {
                "step": record["step"] + int(offset["steps"]),
                "tokens": record["tokens"] + int(offset["tokens"]),
                "trained_tokens": record["trained_tokens"] + int(offset["trained_tokens"]),
                "elapsed_s": round(record["elapsed_s"] + offset["elapsed_s"], 2),
            }
            joined.append({**record, **shifted, "stage": stage["name"]})
    return joined


def plot_loss_curve(
    history: Sequence[dict[str, Any]],
    path: Path,
    *,
    title: str,
    stage_starts: Sequence[float] = (),
) -> None:
    """Training and held-out loss against tokens seen; a dashed line where a stage starts."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    train = [(r["tokens"] / 1e6, r["loss"]) for r in history if r["loss"] is not None]
    held = [(r["tokens"] / 1e6, r["eval_loss"]) for r in history if r["eval_loss"] is not None]
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    ax.plot(*zip(*train, strict=True), label="train (weighted)", linewidth=0.8)
    if held:
        ax.plot(*zip(*held, strict=True), "o-", label="held-out wordings", markersize=3)
    for start in stage_starts:
        ax.axvline(start / 1e6, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("tokens seen (millions)")
    ax.set_ylabel("loss (nats/token)")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


_DESCRIPTION = """\
Train pc-tiny, the bundled model (models/pc-tiny), from nothing, and write it to --out.

Stages: generate the curriculum's train split; learn a 2048-token BPE on its text; tokenize
and pack the samples into 257-token rows; pretrain a Llama-style decoder for --minutes (the
first stage); then the finishing stage (fresh samples of a shifted mixture, a fresh optimizer)
for --finish-minutes; score greedy exact match on held-out samples. --out receives a Hugging
Face model directory plus training_log.json and loss_curve.png; --work-dir keeps the
tokenizer, the packed data and the checkpoints, so --resume continues the same run.

The data, the tokenizer, the initialisation and the batch order follow --seed and reproduce
exactly; a wall-clock budget does not (a busier machine trains fewer steps), a step budget
(--minutes 0 --steps N) does, to the bit. Run it from the repository root: recipes/ is not
part of the promptcraft wheel. The loss-curve plot needs the train extra
(pip install -e ".[train]")."""

_EPILOG = """\
examples:
  python -m recipes.pc_tiny --out models/pc-tiny --minutes 48 --finish-minutes 10 --seed 0 \\
        --threads 2
      the shipped pc-tiny, as models/pc-tiny/MODEL_CARD.md reproduces it (the defaults)
  python -m recipes.pc_tiny --out models/pc-tiny --resume
      continue an interrupted run from checkpoints/pc-tiny (with the options it started with)
  python -m recipes.pc_tiny --out models/pc-tiny --finish-from DIR
      only the finishing stage, on a first-stage model directory (written with --finish-minutes 0)
  python -m recipes.pc_tiny --out /tmp/pilot --minutes 0 --steps 300 --finish-minutes 0
      a short first stage only, bit-for-bit reproducible

then: python -m recipes.pc_tiny.evaluate, .wording_coverage and .model_card (MODEL_CARD.md)"""


def _parser() -> argparse.ArgumentParser:
    recipe = Recipe()
    parser = argparse.ArgumentParser(
        prog="python -m recipes.pc_tiny",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, required=True, help="model directory to write")
    parser.add_argument(
        "--minutes",
        type=float,
        default=48.0,
        help="first stage's time budget (default %(default)s; 0: --steps only)",
    )
    parser.add_argument("--steps", type=int, default=None, help="first stage's step budget")
    parser.add_argument(
        "--finish-minutes",
        type=float,
        default=10.0,
        help="finishing stage's time budget (default %(default)s; 0: --finish-steps only, "
        "or no finishing stage)",
    )
    parser.add_argument(
        "--finish-steps", type=int, default=None, help="finishing stage's step budget"
    )
    parser.add_argument(
        "--finish-from",
        type=Path,
        default=None,
        metavar="DIR",
        help="run only the finishing stage, on this first-stage model directory",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the data, tokenizer, initialisation and batch order (default %(default)s)",
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="torch CPU threads (default %(default)s)"
    )
    parser.add_argument("--resume", action="store_true", help="continue the run in --work-dir")
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="default checkpoints/NAME (NAME: --out's)"
    )
    parser.add_argument(
        "--train-samples",
        type=int,
        default=None,
        help=f"first stage's curriculum samples (default {recipe.train_samples:,})",
    )
    parser.add_argument(
        "--prompt-weight",
        type=float,
        default=None,
        help=f"loss weight of prompt tokens (default {recipe.prompt_weight})",
    )
    parser.add_argument(
        "--dim", type=int, default=None, help=f"model width (default {recipe.shape.dim})"
    )
    parser.add_argument(
        "--layers", type=int, default=None, help=f"layers (default {recipe.shape.n_layers})"
    )
    parser.add_argument(
        "--warmup-steps",
        type=int,
        default=None,
        help=f"first stage's warmup steps (default {recipe.train.warmup_steps})",
    )
    parser.add_argument(
        "--eval-samples",
        type=int,
        default=400,
        help="held-out samples scored by greedy exact match (default %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m recipes.pc_tiny`` (also ``python -m recipes.pc_tiny.recipe``)."""
    parser = _parser()
    args = parser.parse_args(argv)
    recipe = Recipe(seed=args.seed, name=args.out.name)
    budget = {"time_budget_s": args.minutes * 60 if args.minutes > 0 else None}
    if args.steps is not None:
        budget["max_steps"] = args.steps
    if args.warmup_steps is not None:
        budget["warmup_steps"] = args.warmup_steps
    recipe.train = TrainConfig(**{**recipe.train.model_dump(), **budget})
    recipe.finish = _finish_stage(args.finish_minutes, args.finish_steps)
    if args.train_samples is not None:
        recipe.train_samples = args.train_samples
    if args.prompt_weight is not None:
        recipe.prompt_weight = args.prompt_weight
    shape = {"dim": args.dim, "n_layers": args.layers}
    recipe.shape = recipe.shape.model_copy(update={k: v for k, v in shape.items() if v})
    work_dir = args.work_dir or Path("checkpoints") / recipe.name
    if args.finish_from is not None:
        if recipe.finish is None:
            parser.error(
                "--finish-from needs a finishing stage: --finish-minutes or --finish-steps"
            )
        try:
            first_stage_log(args.finish_from)
        except ValueError as exc:
            parser.error(str(exc))
    torch.set_num_threads(args.threads)
    summary = run_recipe(
        recipe,
        args.out,
        work_dir=work_dir,
        resume=args.resume,
        eval_samples=args.eval_samples,
        finish_from=args.finish_from,
    )
    brief = {k: v for k, v in summary.items() if k not in ("recipe", "heldout_greedy")}
    print(json.dumps(brief, indent=1))
    for key, score in summary["heldout_greedy"].items():
        print(f"{key:32s} {score['exact_match']:6.1%}  (n={score['n']})")


def _finish_stage(minutes: float, steps: int | None) -> FinishStage | None:
    if minutes <= 0 and steps is None:
        return None
    stage = FinishStage()
    budget = {"time_budget_s": minutes * 60 if minutes > 0 else None, "max_steps": steps}
    stage.train = TrainConfig(**{**stage.train.model_dump(), **budget})
    return stage


if __name__ == "__main__":
    main()
