"""Benchmark: train a 4096-token BPE on ~20 MB of text.

No downloads. ``--corpus stdlib`` (default) is the interpreter's own ``*.py`` files, in path
order; ``--corpus words`` is seeded generated prose: Zipf-distributed words drawn from
100,000 random pronounceable words, which has far more distinct chunks than source code
and so is the harder case for the trainer. Prints corpus size, pre-tokenization and merge
times and the vocabulary, then checks that the tokenizer round-trips a corpus sample.

    .venv/bin/python benchmarks/bpe_train.py [--corpus words] [--mb 20] [--vocab-size 4096]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import sysconfig
import time
from pathlib import Path

from promptcraft.tokenizers.tokenizer import CL100K_PATTERN

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # recipes/ is not installed
from recipes.pc_tiny.bpe_training import count_chunks, learn_merges, train_bpe


def stdlib_corpus(megabytes: float) -> list[str]:
    """Whole source files of the standard library, in path order, up to ``megabytes``."""
    root = Path(sysconfig.get_paths()["stdlib"])
    budget = int(megabytes * 1_000_000)
    texts: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        texts.append(text)
        budget -= len(text.encode("utf-8"))
        if budget <= 0:
            break
    return texts


def generated_corpus(megabytes: float, seed: int = 0) -> list[str]:
    """Seeded pseudo-prose: sentences of Zipf-distributed made-up words, with numbers."""
    rng = random.Random(seed)
    onsets, vowels, codas = (
        [*"bcdfghklmnprstvwz", "br", "st", "tr", "ch", "sh"],
        "aeiou",
        "nrstlk",
    )
    words = [
        "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(1, 4)))
        + rng.choice(["", *codas])
        for _ in range(100_000)
    ]
    cumulative = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))
    budget = int(megabytes * 1_000_000)
    texts: list[str] = []
    while budget > 0:
        sentences = []
        for _ in range(20):
            chosen = rng.choices(words, cum_weights=cumulative, k=rng.randint(5, 20))
            if rng.random() < 0.2:
                chosen.append(str(rng.randint(0, 99_999)))
            sentences.append(" ".join(chosen).capitalize() + rng.choice([".", ".", "?", "!"]))
        texts.append(" ".join(sentences) + "\n")
        budget -= len(texts[-1])
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["stdlib", "words"], default="stdlib")
    parser.add_argument("--mb", type=float, default=20.0, help="corpus size in MB")
    parser.add_argument("--vocab-size", type=int, default=4096)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args()

    texts = stdlib_corpus(args.mb) if args.corpus == "stdlib" else generated_corpus(args.mb)
    size_mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"corpus: {args.corpus}, {len(texts)} texts, {size_mb:.1f} MB")

    # The two phases separately, then the public entry point end to end.
    start = time.perf_counter()
    chunks = count_chunks(texts, CL100K_PATTERN)
    split_s = time.perf_counter() - start
    print(f"pre-tokenize: {split_s:.1f} s, {sum(chunks.values()):,} chunks, {len(chunks):,} unique")
    start = time.perf_counter()
    merges = learn_merges(chunks, args.vocab_size - 257, progress=args.progress)
    print(f"merge: {time.perf_counter() - start:.1f} s, {len(merges)} merges")

    start = time.perf_counter()
    tokenizer = train_bpe(
        texts, args.vocab_size, special_tokens=["<|endoftext|>"], progress=args.progress
    )
    total_s = time.perf_counter() - start
    print(f"train_bpe: {total_s:.1f} s, n_vocab {tokenizer.n_vocab}")

    sample = "".join(texts[:50])
    ids = tokenizer.encode(sample)
    assert tokenizer.decode(ids) == sample, "round trip failed"
    print(
        f"encode sample: {len(sample.encode('utf-8')) / len(ids):.2f} bytes/token; "
        f"longest tokens: {sorted(tokenizer.mergeable_ranks, key=len)[-3:]}"
    )
    print(f"RESULT corpus={args.corpus} mb={size_mb:.1f} s={total_s:.1f} vocab={tokenizer.n_vocab}")


if __name__ == "__main__":
    main()
