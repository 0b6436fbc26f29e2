"""Does a model copy from its prompt? A teacher-forced probe of the list families.

For held-out instances (training wordings) of ``copy_list`` and ``reverse_list`` as prefix
prompts, the reference completion is fed in and, at every answer word, we read the
probability the model gives the right next token and the probability it gives to any token
of the prompt's input list. A model that has formed a copying (induction) circuit puts
nearly all of its mass on the input's tokens and most of it on the right one; a model that
has not spreads it over words absent from the prompt.

    python benchmarks/copy_probe.py models/pc-tiny [OTHER_MODEL ...] [--n 100]

Several models are probed side by side in one process, on the same samples.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from machine import parse_probe_args

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from promptcraft.nn.loaders import load_model  # noqa: E402
from promptcraft.nn.model import Decoder  # noqa: E402
from promptcraft.tokenizers.tokenizer import Tokenizer  # noqa: E402
from recipes.pc_tiny.generate import generate_samples  # noqa: E402
from recipes.pc_tiny.sample import Sample  # noqa: E402

FAMILIES = ("copy_list", "reverse_list")
SEED = 424242  # not the training stream's seed (0): held-out instances


def probe(model: Decoder, tokenizer: Tokenizer, samples: list[Sample]) -> dict[str, float]:
    """Mean probability of the right answer token, mean mass on the input's tokens, and the
    share of answer tokens that are the argmax, over every answer token of ``samples``."""
    right, on_input, argmax_hits, count = 0.0, 0.0, 0, 0
    for sample in samples:
        prompt = tokenizer.encode(sample.prompt, allow_special=True)
        answer = tokenizer.encode(" " + sample.answer, allow_special=True)
        allowed = sorted(set(tokenizer.encode(" " + sample.query, allow_special=True)))
        ids = torch.tensor([prompt + answer])
        with torch.no_grad():
            probs = model(ids).float().softmax(-1)[0]
        # Position p predicts token p + 1: the answer's tokens are predicted from len(prompt)-1.
        start = len(prompt) - 1
        for offset, target in enumerate(answer):
            row = probs[start + offset]
            right += float(row[target])
            on_input += float(row[allowed].sum())
            argmax_hits += int(int(row.argmax()) == target)
            count += 1
    return {
        "p_right": right / count,
        "p_on_input": on_input / count,
        "argmax_right": argmax_hits / count,
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_probe_args(__doc__, argv, n=100, n_help="samples per family")
    loaded = {path: load_model(path) for path in args.models}
    print("| model | family | p(right token) | p(any input token) | argmax right |")
    print("| --- | --- | --- | --- | --- |")
    for family in FAMILIES:
        samples = list(generate_samples(args.n, seed=SEED, families=[family], kinds=["prefix"]))
        for path, (model, tokenizer) in loaded.items():
            r = probe(model, tokenizer, samples)
            print(
                f"| {path} | {family} | {r['p_right']:.1%} | {r['p_on_input']:.1%} "
                f"| {r['argmax_right']:.1%} |"
            )


if __name__ == "__main__":
    main()
