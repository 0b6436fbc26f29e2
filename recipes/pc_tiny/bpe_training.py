"""Train a byte-level BPE tokenizer (tiktoken semantics) on a text corpus.

The algorithm is minbpe's, made incremental so that tens of MB train in minutes:

1. Split every text with the pre-tokenizer regex and count the *unique* chunks; a chunk
   that occurs a million times is merged once, with its count as a weight.
2. Keep the count of every adjacent token pair, an index pair -> chunks that contain it,
   and a max-heap of pairs by count.
3. Each step merges the most frequent pair (ties: the lowest left bytes, then right bytes),
   rewrites only the chunks the index lists for it, and updates the pair counts by the
   difference between each chunk's old and new pairs.

The result is a :class:`~promptcraft.tokenizers.Tokenizer` whose ranks are the merge order,
so tiktoken encodes new text with exactly the merges learned here.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

import regex
from tqdm import tqdm

from promptcraft.tokenizers.tokenizer import CL100K_PATTERN, SINGLE_DIGIT_PATTERN, Tokenizer

__all__ = ["count_chunks", "learn_merges", "train_bpe"]

Pair = tuple[int, int]


def train_bpe(
    texts: Iterable[str],
    vocab_size: int,
    *,
    pattern: str | None = None,
    split_digits: bool = False,
    special_tokens: Mapping[str, int] | Sequence[str] = (),
    name: str = "bpe",
    progress: bool = False,
) -> Tokenizer:
    """Learn a byte-level BPE with ``vocab_size`` tokens in all (256 bytes + merges +
    special tokens).

    ``pattern`` is the pre-tokenizer regex; by default GPT-4's cl100k split, or with
    ``split_digits`` the same with one chunk per digit (Qwen2 style). ``special_tokens``
    are never learned from the texts (they split them instead); a list gets the ids after
    the last merge, a mapping keeps its ids, which must lie above the merged tokens.
    If the corpus runs out of pairs first, the vocabulary comes out smaller.
    """
    if pattern is None:
        pattern = SINGLE_DIGIT_PATTERN if split_digits else CL100K_PATTERN
    elif split_digits:
        raise ValueError("split_digits chooses a default pattern; pass it or pattern, not both")
    n_special = len(special_tokens)
    n_merges = vocab_size - 256 - n_special
    if n_merges < 0:
        raise ValueError(
            f"vocab_size={vocab_size} is smaller than 256 byte tokens + {n_special} special tokens"
        )
    if isinstance(special_tokens, Mapping):
        low = [text for text, i in special_tokens.items() if i < 256 + n_merges]
        if low or len(set(special_tokens.values())) != n_special:
            raise ValueError(
                f"special token ids must be distinct and at least {256 + n_merges} "
                f"(the merged tokens come first); check {low or list(special_tokens)}"
            )
    chunks = count_chunks(texts, pattern, special=list(special_tokens), progress=progress)
    merged = learn_merges(chunks, n_merges, progress=progress)
    ranks = {bytes([b]): b for b in range(256)}
    for token in merged:
        ranks[token] = len(ranks)
    if isinstance(special_tokens, Mapping):
        specials = dict(special_tokens)
    else:
        specials = {text: len(ranks) + i for i, text in enumerate(special_tokens)}
    return Tokenizer.from_ranks(ranks, pattern=pattern, special_tokens=specials, name=name)


def count_chunks(
    texts: Iterable[str], pattern: str, *, special: Sequence[str] = (), progress: bool = False
) -> Counter[str]:
    """How often each pre-tokenized chunk occurs in ``texts``; ``special`` strings are
    cut out first, so they never become part of a learned token."""
    split_by = regex.compile(pattern)
    cut = (
        regex.compile("|".join(regex.escape(s) for s in sorted(special, key=len, reverse=True)))
        if special
        else None
    )
    counts: Counter[str] = Counter()
    for text in tqdm(texts, desc="pre-tokenizing", unit=" texts", disable=not progress):
        for piece in cut.split(text) if cut is not None else (text,):
            counts.update(split_by.findall(piece))
    return counts


def learn_merges(
    chunks: Mapping[str, int], n_merges: int, *, progress: bool = False
) -> list[bytes]:
    """The bytes of each new token, in merge order, learned from chunk -> count."""
    token_bytes = [bytes([b]) for b in range(256)]
    token_id = {token: i for i, token in enumerate(token_bytes)}
    words: list[list[int]] = []
    weights: list[int] = []
    for chunk, weight in chunks.items():
        ids = list(chunk.encode("utf-8"))
        if len(ids) > 1:  # a single byte has no pair to merge
            words.append(ids)
            weights.append(weight)

    counts: defaultdict[Pair, int] = defaultdict(int)
    where: defaultdict[Pair, set[int]] = defaultdict(set)
    for index, (word, weight) in enumerate(zip(words, weights, strict=True)):
        for pair in pairwise(word):
            counts[pair] += weight
            where[pair].add(index)

    # Max-heap by count, ties to the lowest (left bytes, right bytes). Entries go stale when
    # a count changes; a fresh entry is pushed then, and stale ones are skipped when popped.
    def entry(pair: Pair) -> tuple[int, bytes, bytes, Pair]:
        return (-counts[pair], token_bytes[pair[0]], token_bytes[pair[1]], pair)

    heap = [entry(pair) for pair in counts]
    heapq.heapify(heap)

    merged: list[bytes] = []
    bar = tqdm(total=n_merges, desc="merging", unit=" merges", disable=not progress)
    while len(merged) < n_merges and heap:
        negative, left_bytes, right_bytes, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -negative or negative == 0:
            continue
        new_bytes = left_bytes + right_bytes
        # Two different pairs can spell the same bytes; tiktoken looks tokens up by bytes,
        # so the second one reuses the existing token instead of adding a duplicate.
        new_id = token_id.get(new_bytes)
        if new_id is None:
            new_id = len(token_bytes)
            token_bytes.append(new_bytes)
            token_id[new_bytes] = new_id
            merged.append(new_bytes)
            bar.update()
        changed = _merge_everywhere(pair, new_id, words, weights, counts, where)
        for changed_pair in changed:
            if counts.get(changed_pair, 0) > 0:
                heapq.heappush(heap, entry(changed_pair))
    bar.close()
    return merged


def _merge_everywhere(
    pair: Pair,
    new_id: int,
    words: list[list[int]],
    weights: list[int],
    counts: defaultdict[Pair, int],
    where: defaultdict[Pair, set[int]],
) -> set[Pair]:
    """Replace ``pair`` by ``new_id`` in every chunk that holds it; return the pairs whose
    counts changed."""
    left, right = pair
    changed: set[Pair] = set()
    for index in where.pop(pair, ()):
        word, weight = words[index], weights[index]
        new: list[int] = []
        i, end = 0, len(word) - 1
        while i <= end:
            if i < end and word[i] == left and word[i + 1] == right:
                new.append(new_id)
                i += 2
            else:
                new.append(word[i])
                i += 1
        old_pairs = Counter(pairwise(word))
        new_pairs = Counter(pairwise(new))
        for old_pair, n in old_pairs.items():
            if old_pair not in new_pairs:
                where[old_pair].discard(index)
            delta = new_pairs.get(old_pair, 0) - n
            if delta:
                counts[old_pair] += delta * weight
                changed.add(old_pair)
        for new_pair, n in new_pairs.items():
            if new_pair not in old_pairs:
                where[new_pair].add(index)
                counts[new_pair] += n * weight
                changed.add(new_pair)
        words[index] = new
    counts.pop(pair, None)
    for changed_pair in changed:
        if counts[changed_pair] <= 0:
            del counts[changed_pair]
            where.pop(changed_pair, None)
    return changed
