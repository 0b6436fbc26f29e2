"""How the held-out instruction wordings differ from what training says, one by one.

::

    python -m recipes.pc_tiny.wording_coverage --model models/pc-tiny \\
        --out models/pc-tiny/wordings.json

The held-out wordings target asks a model to follow prefix instructions it never saw. This
splits that figure by wording: for each held-out wording of a prefix-prompted family, the
words in it that the training stream never contains (in its first ``--samples`` samples,
lower-cased), and the model's greedy exact match on the target's own items that use it
(the same seed and items as ``evaluate``, so the rows add up to the target). A wording
whose task is named only by words the model has never read can be followed only by chance;
MODEL_CARD.md reports the two groups apart.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from promptcraft.backends import Backend, load_backend

from .catalog import TEXT_FAMILIES, kinds_of
from .evaluate import score_suite
from .evaluation import EvalSuite, eval_suites
from .generate import generate_samples

__all__ = [
    "WordingScore",
    "coverage_report",
    "main",
    "prefix_families",
    "score_wordings",
    "training_vocabulary",
    "unseen_words",
]

_WORD = re.compile(r"[a-z]+")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


class WordingScore(BaseModel):
    """One held-out wording: the words of it training never contains, and exact match on
    the evaluation items that use it."""

    model_config = ConfigDict(frozen=True)

    family: str
    wording: str
    unseen: list[str]
    n: int
    exact_match: float


def training_vocabulary(samples: int, *, seed: int = 0) -> frozenset[str]:
    """Every lower-cased word (a run of letters) in the first ``samples`` samples of the
    training stream of ``seed`` (prompt and completion)."""
    words: set[str] = set()
    for sample in generate_samples(samples, seed=seed, split="train"):
        words.update(_WORD.findall(sample.text.lower()))
    return frozenset(words)


def unseen_words(wording: str, vocabulary: frozenset[str]) -> list[str]:
    """The words of ``wording`` (outside its Jinja tags) not in ``vocabulary``, in order,
    each once."""
    found = _WORD.findall(_JINJA.sub(" ", wording).lower())
    return list(dict.fromkeys(w for w in found if w not in vocabulary))


def prefix_families() -> list[str]:
    """The families the held-out wordings target covers, in catalogue order."""
    return [name for name in TEXT_FAMILIES if "prefix" in kinds_of(name)]


def score_wordings(
    backend: Backend,
    vocabulary: frozenset[str],
    *,
    n: int = 50,
    seed: int = 0,
    families: Iterable[str] | None = None,
) -> list[WordingScore]:
    """Exact match per held-out wording on the held-out-wordings target's items (``n`` per
    family, as ``evaluate`` draws them), with the wording's unseen words."""
    suites = eval_suites(
        n=n,
        seed=seed,
        families=prefix_families() if families is None else families,
        kinds=["prefix"],
        wordings=["heldout"],
    )
    scores = []
    for suite in suites:
        family = TEXT_FAMILIES[suite.family]
        for wording in family.instructions.heldout:
            items = [item for item in suite.items if item.instruction == wording]
            if not items:
                continue
            part = EvalSuite(
                family=suite.family, kind=suite.kind, k=suite.k, wording="heldout", items=items
            )
            scores.append(
                WordingScore(
                    family=suite.family,
                    wording=wording,
                    unseen=unseen_words(wording, vocabulary),
                    n=len(items),
                    exact_match=score_suite(backend, part).exact_match,
                )
            )
    return scores


def coverage_report(scores: Sequence[WordingScore], *, samples: int, seed: int) -> dict[str, Any]:
    """The rows, with exact match over all of them (the target's figure) and over the
    wordings with and without a word training never contains."""

    def mean(rows: list[WordingScore]) -> float | None:
        total = sum(r.n for r in rows)
        return sum(r.exact_match * r.n for r in rows) / total if total else None

    known = [s for s in scores if not s.unseen]
    novel = [s for s in scores if s.unseen]
    return {
        "vocabulary_samples": samples,
        "seed": seed,
        "overall": mean(list(scores)),
        "all_words_seen": {"wordings": len(known), "exact_match": mean(known)},
        "some_word_unseen": {"wordings": len(novel), "exact_match": mean(novel)},
        "wordings": [s.model_dump() for s in scores],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m recipes.pc_tiny.wording_coverage",
        description="Score a curriculum model on each held-out prefix wording and list the "
        "words of each that training never contains.",
    )
    parser.add_argument("--model", required=True, help="model directory (HF layout)")
    parser.add_argument("--out", type=Path, required=True, help="JSON report to write")
    parser.add_argument("--n", type=int, default=50, help="items per family (as evaluate)")
    parser.add_argument("--seed", type=int, default=0, help="evaluation seed (as evaluate)")
    parser.add_argument(
        "--samples",
        type=int,
        default=100_000,
        help="training samples whose words count as seen (default: %(default)s)",
    )
    parser.add_argument("--train-seed", type=int, default=0, help="the recipe's --seed")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    vocabulary = training_vocabulary(args.samples, seed=args.train_seed)
    backend = load_backend(f"local:{args.model}", threads=args.threads)
    scores = score_wordings(backend, vocabulary, n=args.n, seed=args.seed)
    report = coverage_report(scores, samples=args.samples, seed=args.train_seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    for row in scores:
        print(f"{row.exact_match:6.0%}  {row.family:14} {row.wording!r}  unseen: {row.unseen}")
    print(
        f"all words seen: {report['all_words_seen']}, some unseen: {report['some_word_unseen']}"
        f", overall {report['overall']:.1%}"
    )


if __name__ == "__main__":
    main()
