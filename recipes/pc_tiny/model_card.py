"""Write a curriculum model's ``MODEL_CARD.md`` from its measured files.

::

    python -m recipes.pc_tiny.model_card models/pc-tiny

Every figure on the card comes from a file the recipe or the evaluation wrote next to the
weights: ``config.json`` (shape), ``training_log.json`` (the run), ``eval.json`` (the
targets and every suite), ``wordings.json`` (the held-out wordings one by one, when
:mod:`~.wording_coverage` has written it) and the weights file (size). The prose is fixed
here; where it names a result, it reads it from those files too, so the card cannot drift
from them (a test re-renders the bundled card and compares).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from .catalog import is_drill

__all__ = ["CardFacts", "load_facts", "main", "render_model_card"]

_KINDS = ("prefix", "few_shot", "hybrid", "reverse", "chat")
_KIND_NAMES = {"few_shot": "few-shot (all k)"}


class CardFacts(BaseModel):
    """What the card reports, read from a model directory."""

    model_config = ConfigDict(frozen=True)

    name: str
    config: dict[str, Any]
    log: dict[str, Any]
    report: dict[str, Any]
    wordings: dict[str, Any] | None = None
    weights_mb: float
    directory_mb: float


def load_facts(model_dir: Path) -> CardFacts:
    """Read the files the recipe and the evaluation wrote into ``model_dir``."""
    files = [p for p in model_dir.iterdir() if p.is_file() and p.name != "MODEL_CARD.md"]
    wordings = model_dir / "wordings.json"
    return CardFacts(
        name=model_dir.name,
        config=json.loads((model_dir / "config.json").read_text()),
        log=json.loads((model_dir / "training_log.json").read_text()),
        report=json.loads((model_dir / "eval.json").read_text()),
        wordings=json.loads(wordings.read_text()) if wordings.is_file() else None,
        weights_mb=(model_dir / "model.safetensors").stat().st_size / 1e6,
        directory_mb=sum(p.stat().st_size for p in files) / 1e6,
    )


def render_model_card(facts: CardFacts) -> str:
    """The card's Markdown."""
    return "\n".join(
        [
            *_header(facts),
            *_architecture(facts),
            *_recipe(facts),
            *_evaluation(facts),
            *_misses(facts),
            *_choices(),
            *_reproduce(facts),
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m recipes.pc_tiny.model_card",
        description="Write MODEL_CARD.md of a curriculum-trained model from its training log "
        "and evaluation report.",
    )
    parser.add_argument("model", type=Path, help="model directory (recipe + evaluate output)")
    args = parser.parse_args(argv)
    card = render_model_card(load_facts(args.model))
    (args.model / "MODEL_CARD.md").write_text(card)
    print(f"wrote {args.model / 'MODEL_CARD.md'}")


# --- sections ----------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _pct0(value: float) -> str:
    return f"{100 * value:.0f}%"


def _targets(facts: CardFacts) -> list[dict[str, Any]]:
    return list(facts.report["targets"])


def _target(facts: CardFacts, ending: str) -> dict[str, Any]:
    (found,) = [t for t in _targets(facts) if t["target"].endswith(ending)]
    return found


def _suite(facts: CardFacts, family: str, kind: str, k: int, wording: str) -> str:
    """One suite's exact match, as a whole percentage."""
    (found,) = [
        s
        for s in _suites(facts)
        if (s["family"], s["kind"], s["k"], s["wording"]) == (family, kind, k, wording)
    ]
    return _pct0(found["exact_match"])


def _header(facts: CardFacts) -> list[str]:
    log = facts.log
    met = [t for t in _targets(facts) if t["passed"]]
    graded = [t for t in _targets(facts) if t["passed"] is not None]
    unseen = _target(facts, "held-out instruction wordings")["value"]
    return [
        f"# {facts.name}",
        "",
        "promptcraft's bundled offline model: a "
        f"{log['parameters'] / 1e6:.2f}M-parameter Llama-style decoder trained from scratch in "
        f"{log['train_seconds'] / 60:.0f} minutes on {log['threads']} CPU cores, on a generated "
        "curriculum written in promptcraft's own prompt formats (prefix, few-shot, hybrid, "
        "reverse, chat) and its text tool protocol.",
        "",
        f"It meets {len(met)} of its {len(graded)} graded targets (table below). It is a demo "
        "and test model for the prompt kinds and the agent protocol, not a useful assistant: "
        "it follows the formats and the task families it was trained on, on new instances, "
        f"and {_pct0(unseen)} of prefix prompts worded in ways it never saw (mostly those that "
        "share words with trained wordings).",
        "",
    ]


def _architecture(facts: CardFacts) -> list[str]:
    c, log = facts.config, facts.log
    eos = ", ".join(str(i) for i in c["eos_token_id"])
    shape = log["recipe"]["shape"]
    return [
        "## Architecture",
        "",
        "| | |",
        "| --- | --- |",
        "| family | Llama (`LlamaForCausalLM` in `config.json`): RMSNorm, RoPE "
        f"(θ = {c['rope_theta']:g}), SwiGLU, grouped-query attention |",
        f"| parameters | {log['parameters']:,} (tied input and output embeddings) |",
        f"| shape | d = {c['hidden_size']}, {c['num_hidden_layers']} layers, "
        f"{c['num_attention_heads']} query heads and {c['num_key_value_heads']} key/value heads "
        f"(head_dim {c['head_dim']}), SwiGLU width {c['intermediate_size']} |",
        f"| context | {c['max_position_embeddings']} positions; training rows were "
        f"{log['recipe']['row_len'] - 1} tokens, so longer prompts are outside what it saw "
        f"(shape default context {shape['context']}) |",
        f"| vocabulary | {c['vocab_size']}: a byte-level BPE learned by "
        "`recipes.pc_tiny.bpe_training` on curriculum text "
        f"({log['recipe']['tokenizer_samples']:,} samples), digits split one per token, plus "
        "the special tokens `<|endoftext|>`, `<|system|>`, `<|user|>`, `<|assistant|>`, "
        "`<|tool|>` and `<|end|>` |",
        f"| stop tokens | ids {eos} (`<|endoftext|>`, `<|end|>`), also in "
        "`generation_config.json` |",
        "| chat format | `<|role|>\\n content <|end|>\\n` per message, in `chat_template.jinja` "
        "and `tokenizer_config.json` |",
        f"| weights | float32 safetensors, {facts.weights_mb:.1f} MB; the directory is "
        f"{facts.directory_mb:.1f} MB |",
        "",
    ]


def _recipe(facts: CardFacts) -> list[str]:
    log = facts.log
    recipe, train = log["recipe"], log["recipe"]["train"]
    tokens_per_s = log["tokens_seen"] / log["train_seconds"]
    first, *finishing = log["stages"]
    return [
        "## Training recipe",
        "",
        "`recipes/pc_tiny/recipe.py` (trainer: `recipes/pc_tiny/train.py`, packing: "
        "`recipes/pc_tiny/packing.py`).",
        "",
        f"- **Data.** {recipe['train_samples']:,} samples of the curriculum's train split "
        f"(seed {recipe['seed']}), drawn from `recipes/pc_tiny/mixture.py`'s default "
        "mixture, tokenized and packed whole into rows (never split across rows).",
        _loss_line(recipe["prompt_weight"]),
        "- **Packing.** A block-diagonal causal mask keeps packed samples from seeing each "
        "other and positions restart at 0 per sample, so each sample is learned as it is used: "
        "alone at the start of the context.",
        f"- **Optimizer.** AdamW, betas {tuple(train['betas'])}, weight decay "
        f"{train['weight_decay']:g} on matrices; peak learning rate {train['lr']:g} after "
        f"{train['warmup_steps']} warmup steps, cosine to {train['lr'] * train['min_lr_ratio']:g}"
        f"; gradients clipped at {train['grad_clip']:g}; batches of {train['batch_rows']} rows "
        f"× {recipe['row_len'] - 1} tokens; bfloat16 autocast "
        f"{'on' if train['bf16'] else 'off'} with float32 master weights.",
        f"- **Budget.** Wall clock, {train['time_budget_s'] / 60:.0f} minutes for the first "
        "stage: the learning "
        "rate follows elapsed time, so the cosine reaches its floor whatever throughput the "
        "shared machine gives.",
        f"- **First stage.** {_stage_line(first)}",
        *_finish_lines(recipe["finish"], finishing),
        f"- **Run.** {log['steps']:,} steps, {log['tokens_seen'] / 1e6:.1f}M tokens seen "
        f"({log['loss_tokens_seen'] / 1e6:.2f}M carrying loss), "
        f"{log['train_seconds']:,.0f} s of training ({log['wall_seconds']:,.0f} s for the whole "
        f"recipe), {tokens_per_s / 1000:.1f}k tokens/s on {log['threads']} threads "
        f"({log['machine']}). Final held-out completion loss {log['final_eval_loss']:.3f}.",
        "- **Logs.** `training_log.json`: the run summary and every log record (step, tokens, "
        "loss, held-out loss, learning rate, tokens/s).",
        "",
        "![loss curve](loss_curve.png)",
        "",
    ]


def _stage_line(stage: dict[str, Any]) -> str:
    return (
        f"{stage['steps']:,} steps, {stage['tokens_seen'] / 1e6:.1f}M tokens, "
        f"{stage['epochs']:.2f} epochs of its samples, {stage['train_seconds']:,.0f} s; "
        f"held-out loss at its end {stage['final_eval_loss']:.3f}."
    )


def _finish_lines(finish: dict[str, Any] | None, stages: list[dict[str, Any]]) -> list[str]:
    if finish is None or not stages:
        return []
    train = finish["train"]
    weights = ", ".join(f"`{name}` {weight:g}" for name, weight in finish["family_weights"].items())
    return [
        f"- **Finishing stage.** From the first stage's weights, with a fresh AdamW: "
        f"{finish['samples']:,} new samples of the default mixture with {weights}, and word "
        f"dropout {finish['word_dropout']:g} (a paraphrased training wording has one word "
        f"replaced by 3-9 random letters, `recipes/pc_tiny/paraphrase.py`); peak "
        f"learning rate {train['lr']:g} after {train['warmup_steps']} warmup steps, cosine to "
        f"{train['lr'] * train['min_lr_ratio']:g}, {train['time_budget_s'] / 60:.0f} minutes. "
        + _stage_line(stages[0])
    ]


def _loss_line(prompt_weight: float) -> str:
    if prompt_weight == 0:
        return (
            "- **Loss.** Completion tokens and the appended end token only (prompt weight 0); "
            "in tool transcripts that is the `Action:` lines and the final answer (observations "
            "and the deliberately failed calls weigh 0)."
        )
    return (
        "- **Loss.** Every token: the prompt (instruction, demonstrations, input; in tool "
        f"transcripts also the observations and the deliberately failed calls) at weight "
        f"{prompt_weight:g}, the completion and the end token at 1, averaged over the weights. "
        "The held-out loss counts completion tokens only."
    )


def _suites(facts: CardFacts) -> list[dict[str, Any]]:
    return list(facts.report["suites"])


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _evaluation(facts: CardFacts) -> list[str]:
    report = facts.report
    lines = [
        "## Evaluation",
        "",
        f"{report['n_per_suite']} held-out items per suite (family × kind × shots × wording "
        'split), greedy, through the public API: `pc.load_backend("local:PATH")` and '
        "`tmpl.run(backend, ...)`; tool questions run the text protocol with the real tools' "
        f"results fed back. The evaluation took {report['seconds']:.0f} s.",
        "",
        "- *held-out instances*: new draws (their own seed), training wordings;",
        "- *held-out wordings*: instruction wordings, labels, system prompts and tool question "
        "templates that training never saw.",
        "",
        "| target | goal | measured | n | |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in _targets(facts):
        goal = "report" if t["threshold"] is None else f"≥ {_pct0(t['threshold'])}"
        verdict = ""
        if t["passed"] is True:
            verdict = "met"
        elif t["passed"] is False:
            verdict = f"missed by {100 * (t['threshold'] - t['value']):.0f} points"
        lines.append(f"| {t['target']} | {goal} | {_pct(t['value'])} | {t['n']} | {verdict} |")
    lines += ["", "By prompt kind and wording split (exact match, mean over suites):", ""]
    lines += ["| kind | training wordings | held-out wordings |", "| --- | --- | --- |"]
    by_kind: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
    for s in _suites(facts):
        by_kind[(s["kind"], s["wording"])].append(s["exact_match"])
    for kind in (*_KINDS, "tool"):
        train, held = _mean(by_kind[(kind, "train")]), _mean(by_kind[(kind, "heldout")])
        lines.append(f"| {_KIND_NAMES.get(kind, kind)} | {_pct(train)} | {_pct(held)} |")
    lines += ["", *_family_table(facts), "", *_drills(facts)]
    lines += [
        "`eval.md` (next to this card) holds every suite's score; `eval.json` holds the same "
        "with a few failures per suite to read.",
        "",
    ]
    return lines


def _drills(facts: CardFacts) -> list[str]:
    """Drills are training practice, not targets: the recipe's own greedy check on held-out
    samples of the training mixture (``training_log.json``) is their only score."""
    shown = [
        f"`{family}` {kind} {_pct0(score['exact_match'])} (n={score['n']})"
        for key, score in facts.log.get("heldout_greedy", {}).items()
        for kind, family in [key.split("/", 1)]
        if is_drill(family)
    ]
    if not shown:
        return []
    return [
        "Drills (training practice for a skill the targets need, not targets themselves; "
        "`icl_recall` asks for keys of earlier demonstrations again), greedy on held-out "
        f"samples of the training mixture (`training_log.json`): {', '.join(shown)}.",
        "",
    ]


def _family_table(facts: CardFacts) -> list[str]:
    """Per family: prefix (train / held-out wording), best few-shot k, reverse, chat."""
    cells: defaultdict[str, dict[str, float]] = defaultdict(dict)
    for s in _suites(facts):
        cells[s["family"]][f"{s['kind']}/{s['k']}/{s['wording']}"] = s["exact_match"]
    columns = (
        ("prefix", "prefix/0/train"),
        ("prefix, held-out wording", "prefix/0/heldout"),
        ("few-shot k=0", "few_shot/0/train"),
        ("few-shot k=4", "few_shot/4/train"),
        ("hybrid k=2", "hybrid/2/train"),
        ("reverse k=0", "reverse/0/train"),
        ("chat k=0", "chat/0/train"),
    )
    lines = [
        "Per task family (training wordings unless marked; blank: not a kind of that family):",
        "",
        "| family | " + " | ".join(name for name, _ in columns) + " |",
        "| --- |" + " --- |" * len(columns),
    ]
    for family, scores in cells.items():
        row = [_pct0(scores[key]) if key in scores else "" for _, key in columns]
        if any(row):
            lines.append(f"| {family} | " + " | ".join(row) + " |")
    return lines


def _misses(facts: CardFacts) -> list[str]:
    missed = [t for t in _targets(facts) if t["passed"] is False]
    if not missed:
        return []
    weakest = sorted(
        # Few-shot prompts without demonstrations are at chance by design; not a weakness.
        (
            s
            for s in _suites(facts)
            if s["wording"] == "train"
            and s["kind"] != "tool"
            and not (s["kind"] == "few_shot" and s["k"] == 0)
        ),
        key=lambda s: s["exact_match"],
    )[:5]

    def held(family: str) -> str:
        return _suite(facts, family, "prefix", 0, "heldout")

    lines = ["### Where the targets are missed", ""]
    lines += [
        f"- {t['target']}: {_pct(t['value'])} against {_pct0(t['threshold'])}." for t in missed
    ]
    lines += [
        "",
        "The weakest suites on training wordings (family, kind, k: exact match; a failure):",
        "",
    ]
    for s in weakest:
        failure = s["examples"][0] if s["examples"] else None
        shown = (
            f" Expected `{failure['expected']}`, got `{failure['got'].strip()}`." if failure else ""
        )
        lines.append(f"- {s['family']}, {s['kind']}, k={s['k']}: {_pct0(s['exact_match'])}.{shown}")
    lines += [
        "",
        "What was tried, in order (each run is one 48-58-minute budget on the same 2 CPU cores):",
        "",
        "1. The first run (a quarter of the samples were tool transcripts; 10 label pairs; its "
        "`eval.json` is in git history at commit `f6102e9`) learned the formats and the tool "
        "protocol (100%) but scored 36.7% on prefix prompts, 3.5% with held-out wordings, "
        "14.8% at 4 shots and 20.0% on reverse prompts.",
        "2. The second changed the curriculum: labels drawn from 135 pairs instead of 10; "
        "training instructions framed by ten surrounding phrases and about 40% more wordings "
        "per family; a plain copy family (`copy_list`); tool transcripts cut from 25% to 14% of "
        "samples (`eval.json` at commit `5cd66e0`): 41.7% prefix, 7.0% held-out wordings, "
        "19.0% at 4 shots, 34.4% reverse. A teacher-forced probe showed it did not copy: on "
        "held-out `copy_list` prompts it gave the right next token 54% of the probability and "
        "put 41% on tokens absent from the input.",
        "3. The third kept that curriculum and put loss on the prompt too (prompt weight 1, "
        "500,000 samples; `eval.json` at commit `8c1fdc2`). It formed the copying circuit "
        "(the same probe: 98% on the right token) and lifted every kind on training wordings "
        "(prefix 82.7%, reverse 93.5%, chat 76.3%), but not the held-out splits: 7.0% with "
        "held-out wordings, 23.8% at 4 shots, 47.0% reverse. Its held-out loss (held-out "
        "wordings and labels) rose during training, from 1.12 at step 1,250 to 1.33.",
        "4. The fourth (d192 × 6 layers, 620,000 samples, 56 minutes; its evaluation is "
        "`benchmarks/results/model_history/run4-eval.md`) added paraphrased training wordings "
        "(synonyms, lead-ins and closings: dozens of phrasings per listed sentence, never a "
        "held-out one) and a wider label vocabulary (label words and nouns) to the training "
        "stream, and moved family weight toward `icl_lookup`, `icl_cipher` and `lookup_value`: "
        "prefix 82.0%, held-out wordings 12.5%, 4 shots 26.5%, reverse 57.4% (99.5% on "
        "training wordings). A label probe (`python benchmarks/label_probe.py`) found why the "
        "held-out splits stayed low: 4-shot prompts were right with any label it had seen "
        "(Input / Output, Request / Verdict: 100%) and wrong with any it had not (Query / "
        "Response, Given / Expected, Source / Target: 0%), whose sub-word pieces it had never "
        "seen as a label.",
        "5. The fifth added made-up words (3-9 random letters) to the training labels, so "
        "that any pieces before a colon at a line start read as a label: held-out loss 0.44 "
        "(run 4: 0.86), held-out wordings 12.5% → 50.5%, 4 shots 26.5% → 40.5%, reverse "
        "57.4% → 94.9% (met), prefix 86.2%. It copied the *last* demonstration's value "
        "instead of the matching one: `icl_lookup` 100% with one demonstration, 34% with four.",
        "6. The sixth (`benchmarks/results/model_history/run6-eval.md`) added a recall drill "
        "(`icl_recall`, 12% of the tokens: key-to-value demonstrations that ask for earlier "
        "keys again, so every repeat is an answer found only by retrieval from the context) "
        "and moved tokens from what run 5 had mastered (tool transcripts 28% → 20% of the "
        "tokens, reverse prompts, JSON) to sorting, deduplicating and table lookup. The "
        "retrieval circuit formed: `icl_lookup` 4-shot 27% → 97%, `icl_cipher` 4% → 54%; 4 "
        "shots 40.5% → 76.8%, prefix 89.8% (one item short of 90%), held-out wordings 55.3%, "
        "reverse 98.4%. `lookup_value`, whose values are numbers of two tokens, fell to 16%.",
        "7. The seventh (`benchmarks/results/model_history/run7-eval.md`) added word → number "
        "pairs to the drill: `lookup_value` 16% → 100% and prefix 94.3% (met); `icl_lookup` "
        "and `icl_labels` 100% at 4 shots; but `icl_cipher` fell back to 0-2%, so 4 shots "
        "66.8% (run 6: 76.8%). It met four graded targets to run 6's three, and shipped. "
        "Held-out loss 0.58 (run 6: 0.63; neither compares with run 5's 0.44, whose held-out "
        "samples came from a different mixture).",
        "8. After it, two runs moved the mixture towards the cipher and neither shipped. The "
        "eighth (`benchmarks/results/model_history/run8-eval.md`, 56 minutes) weighted "
        "`icl_cipher` 1.4 → 3.5, took weight from what run 7 had mastered and gave the "
        "drill more letter strings: the cipher rose to 24-26% at 4 shots, but `lookup_value` "
        "fell back to 20-24% and prefix prompts to 83.2%; 4 shots 63.0%. The ninth "
        "(`run9-eval.md`, 48 minutes) kept run 7's mixture except `icl_cipher` 2.4, "
        "`icl_transform` 1.8 and the drill's letter strings: the retrieval circuit formed "
        "only partly (`icl_lookup` 22-30% at 4 shots), so 4 shots 38.0%, prefix 82.2%. "
        "Small changes to the mixture swing whole families between about 20% and 100%, so "
        "at this budget which retrieval skills form is close to a coin toss per run.",
        "9. This model is run 7 plus a finishing stage (the recipe's `FinishStage`): 10 more "
        "minutes from run 7's weights with a fresh optimizer, new samples with the cipher and "
        "the transforms weighted up (4.0 and 3.0), and word dropout 0.3. Once the first stage "
        "has formed the retrieval circuit, the cipher builds on it instead of competing for "
        "it. Two pilots continued run 7 for 16 minutes on one thread each (~1,600 steps): a "
        "peak learning rate of 4e-4 reached 84.8% at 4 shots (cipher 76% / 56%), 1e-3 reached "
        "90.0% (cipher 96% / 92%), and the stage uses 1e-3. Word dropout comes from an "
        "earlier pilot (8 minutes from run 7, prefix prompts, 30 items per suite): held-out "
        "wordings 53.9% without it, 58.1% with it. Against run 7: 4 shots 66.8% → "
        f"{_pct(_target(facts, 'in-context-only tasks, 4-shot')['value'])} (cipher 0% / 2% → "
        f"{_suite(facts, 'icl_cipher', 'few_shot', 4, 'train')} / "
        f"{_suite(facts, 'icl_cipher', 'few_shot', 4, 'heldout')}), held-out wordings 54.7% → "
        f"{_pct(_target(facts, 'held-out instruction wordings')['value'])}, prefix 94.3% → "
        f"{_pct(_target(facts, 'held-out instances')['value'])}, held-out loss 0.584 → "
        f"{facts.log['final_eval_loss']:.3f}.",
        "10. Two checks after it, neither shipped. The recipe's one command run from scratch "
        "(`benchmarks/results/model_history/run11-eval.md`: a new first stage, 7,903 steps, "
        "then the finishing stage) met the same five targets: prefix 95.3%, held-out wordings "
        "61.8%, 4 shots 93.2%, reverse 90.4%, tool 100% / 100%; so the two stages reproduce "
        "without run 7's weights. Word dropout 0.6 instead of 0.3 (`run12-eval.md`, from run "
        "7's weights) lowered held-out wordings to 57.0%.",
        "",
        "What is still missing, and what would most likely help (judgements, not "
        "measurements of a fix):",
        "",
        f"- **Held-out wordings** ({_pct(_target(facts, 'held-out instruction wordings')['value'])}"
        " against 75%): families whose held-out instruction shares words with training ones "
        f"follow it (caesar {held('caesar')}, to_json {held('to_json')}, extract "
        f"{held('extract_field')}, lookup {held('lookup_value')}); those that need an unseen "
        f'verb mostly do not (sort {held("sort_words")} with "Alphabetize" or "as a '
        f'dictionary would", copy {held("copy_list")} with "Echo" / "Reproduce", count '
        f'{held("count_items")} with "length" / "entries"). Word dropout taught it to pass '
        "over a word it does not know (copy 0% → 20%, count 4% → 32% from run 7), which helps "
        "only where the words it does know name the task. The paraphrases deliberately avoid "
        "the held-out verbs; a model pretrained on ordinary text would know them, which the "
        "hour on 2 cores cannot give.",
        *_wording_split(facts),
        "- More tokens or a wider model, which this budget cannot give: the loss was still "
        "falling at the end, and the recipe runs unchanged on a GPU machine (`--threads` "
        "aside) with 10× the budget.",
        "",
        *_wording_table(facts),
    ]
    return lines


def _wording_split(facts: CardFacts) -> list[str]:
    """The held-out wordings with and without a word training never contains."""
    if facts.wordings is None:
        return []
    known, novel = facts.wordings["all_words_seen"], facts.wordings["some_word_unseen"]
    return [
        f"  Split by wording (table below): the {known['wordings']} held-out wordings made only "
        f"of words the training text contains score {_pct(known['exact_match'])}; the "
        f"{novel['wordings']} with a word it never contains score "
        f"{_pct(novel['exact_match'])}. Known words are not enough either: a new combination "
        "of them can still read as another task.",
    ]


def _wording_table(facts: CardFacts) -> list[str]:
    if facts.wordings is None:
        return []
    lines = [
        "### Held-out wordings, one by one",
        "",
        "The held-out wordings target's items split by the wording they use (`wordings.json`, "
        "`python -m recipes.pc_tiny.wording_coverage`; the rows add up to "
        f"{_pct(facts.wordings['overall'])}). *Never in training* lists the words of the "
        f"wording that the first {facts.wordings['vocabulary_samples']:,} training samples "
        "(prompts and answers) never contain.",
        "",
        "| family | held-out wording | never in training | exact match | n |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in facts.wordings["wordings"]:
        unseen = ", ".join(f"`{w}`" for w in row["unseen"]) or "none"
        wording = row["wording"].replace("|", "\\|")
        lines.append(
            f"| {row['family']} | {wording} | {unseen} | {_pct0(row['exact_match'])} | {row['n']} |"
        )
    return [*lines, ""]


def _choices() -> list[str]:
    """Measurements behind the recipe's choices, made before the run by the committed scripts
    named in each item (their figures are copied here; rerun them to check)."""
    return [
        "## Measurements behind the choices",
        "",
        "- **Model size** (`python benchmarks/train_throughput.py --threads 2 --steps 4 --only "
        "d192-L6 d256-L6 d256-L8`; full training steps on 16 × 256-token rows, bf16 autocast, "
        "2 threads): d192 × 6 layers (2.83M) 11.6k tokens/s; d192 × 8 layers (3.64M) "
        "8.0–8.8k; d256 × 8 layers (6.33M) 6.6k. Runs 1–3 used d192 × 8. Two 25-minute pilots "
        "at equal compute (prompt weight 1, 150,000 samples, 1 thread; d192 × 8 for 1,810 "
        "steps, d192 × 6 for 2,470 steps with `--steps 2470 --layers 6`; evaluated as in the "
        "next item) favoured the shallower model on every suite: caesar few-shot k=1/2/4/6 "
        "43/63/67/60% against 43/50/33/40%, icl_lookup k=1/2/4 47/20/7% against 0–3%, "
        "icl_labels k=4 63% against 43%. Runs 4-9 and the shipped model use d192 × 6: about "
        "40M tokens in the hour instead of 30M.",
        "- **bfloat16 autocast** (same script, tokens per 2 CPU-seconds): float32 eager 1,889; "
        "bf16 eager 3,086 (1.6× faster); torch.compile gave 2,491 (float32) and 2,788 (bf16) "
        "after 144 s and 40 s of compiling, so the recipe runs bf16 eager.",
        "- **Prompt-token loss weight.** Two 6-minute pilots (`--prompt-weight 0` and `0.1`, "
        "40,000 samples, 1 thread each) favoured weight 0 on held-out completion loss (0.896 "
        "against 1.000), and the first two runs used it. Two 25-minute pilots (`--minutes 25 "
        "--train-samples 150000 --warmup-steps 100 --threads 1`, weights 0 and 1, evaluated with "
        "`--n 30 --families copy_list reverse_list caesar icl_lookup icl_labels extract_field "
        "--kinds prefix few_shot`) reversed the choice: caesar "
        "few-shot k=1/2/4/6 0/0/0/7% against 43/50/33/40%, icl_labels k=1 67% against 93%. "
        "Runs 3-9 and both stages of the shipped model use weight 1.",
        "",
    ]


def _reproduce(facts: CardFacts) -> list[str]:
    recipe = facts.log["recipe"]
    train, finish = recipe["train"], recipe["finish"]
    finish_flag = "0" if finish is None else f"{finish['train']['time_budget_s'] / 60:.0f}"
    return [
        "## Reproducing every number",
        "",
        'From the repository root, with the `train` extra installed (`pip install -e ".[train]"`):',
        "",
        "```bash",
        f"python -m recipes.pc_tiny --out models/{facts.name} "
        f"--minutes {train['time_budget_s'] / 60:.0f} --finish-minutes {finish_flag} "
        f"--seed {recipe['seed']} --threads {facts.log['threads']}",
        f"python -m recipes.pc_tiny.evaluate --model models/{facts.name} "
        f"--out models/{facts.name}/eval.json --n {facts.report['n_per_suite']}",
        *_wordings_command(facts),
        f"python -m recipes.pc_tiny.model_card models/{facts.name}",
        "```",
        "",
        "The data, the tokenizer, the initialisation and the batch order are seeded and "
        "reproduce exactly. The wall-clock budget does not: a busier or quieter machine trains "
        "for a different number of steps.",
        "",
        *_two_commands(facts),
    ]


def _wordings_command(facts: CardFacts) -> list[str]:
    if facts.wordings is None:
        return []
    return [
        f"python -m recipes.pc_tiny.wording_coverage --model models/{facts.name} "
        f"--out models/{facts.name}/wordings.json --n {facts.report['n_per_suite']} "
        f"--samples {facts.wordings['vocabulary_samples']} --train-seed {facts.wordings['seed']}",
    ]


def _two_commands(facts: CardFacts) -> list[str]:
    """How the shipped weights were made, when their stages ran as separate commands."""
    stages = facts.log["stages"]
    if len(stages) < 2:
        return []
    return [
        "The shipped weights ran the stages as two commands: the first stage is the seventh "
        "run (the recipe with `--finish-minutes 0`, when it had no finishing stage), and the "
        "finishing stage ran on its directory with `python -m recipes.pc_tiny "
        f"--out models/{facts.name} --finish-from <run 7> --seed "
        f"{facts.log['recipe']['seed']} --threads {facts.log['threads']}`. The one command "
        'above runs both; from scratch it met the same five targets (item 10 of "What was tried").',
        "",
    ]


if __name__ == "__main__":
    main()
