"""Scoring how similar examples are to a query: lexical BM25, or your own embeddings.

:class:`SimilarityScorer` is the protocol ``similar_k`` selection uses. :class:`BM25` needs no
model. :class:`EmbeddingSimilarity` wraps any function that embeds a batch of texts (a
sentence-transformer, an API call, ...) and ranks by cosine similarity.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

__all__ = ["BM25", "EmbeddingSimilarity", "SimilarityScorer", "tokenize_words"]

_WORD = re.compile(r"\w+", re.UNICODE)

# per document: term counts; their lengths; the average length; idf of each term
_Index = tuple[list[Counter[str]], list[int], float, dict[str, float]]


def tokenize_words(text: str) -> list[str]:
    """Lower-cased word tokens, the terms BM25 matches on."""
    return _WORD.findall(text.lower())


@runtime_checkable
class SimilarityScorer(Protocol):
    """Scores every document against a query; higher is more similar."""

    def scores(self, query: str, documents: Sequence[str]) -> list[float]: ...


class BM25:
    """Okapi BM25 over word tokens. ``k1`` saturates term frequency; ``b`` normalizes length.

    The index of a document list is built once and reused while the same list is scored."""

    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        # (documents, index) in one attribute, so concurrent renders never pair one document
        # list with another's index
        self._cache: tuple[tuple[str, ...], _Index] | None = None

    def _build(self, documents: Sequence[str]) -> _Index:
        key = tuple(documents)
        cache = self._cache
        if cache is not None and cache[0] == key:
            return cache[1]
        counts = [Counter(tokenize_words(doc)) for doc in documents]
        lengths = [sum(c.values()) for c in counts]
        average = sum(lengths) / len(lengths) if lengths else 0.0
        df: Counter[str] = Counter()
        for c in counts:
            df.update(c.keys())
        n = len(documents)
        # The "+ 1" inside the log keeps idf positive for terms in most documents.
        idf = {term: math.log((n - f + 0.5) / (f + 0.5) + 1.0) for term, f in df.items()}
        index = (counts, lengths, average, idf)
        self._cache = (key, index)
        return index

    def scores(self, query: str, documents: Sequence[str]) -> list[float]:
        if not documents:
            return []
        counts, lengths, average, idf = self._build(documents)
        terms = tokenize_words(query)
        out = []
        for c, length in zip(counts, lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * length / average) if average else self.k1
            score = 0.0
            for term in terms:
                tf = c.get(term, 0)
                if tf:
                    score += idf[term] * tf * (self.k1 + 1) / (tf + norm)
            out.append(score)
        return out


class EmbeddingSimilarity:
    """Cosine similarity of embeddings from ``embed`` (a batch of texts -> a batch of vectors).
    Document embeddings are cached while the same document list is scored."""

    def __init__(self, embed: Callable[[Sequence[str]], Sequence[Sequence[float]]]) -> None:
        self.embed = embed
        self._cache: tuple[tuple[str, ...], list[list[float]]] | None = None

    def scores(self, query: str, documents: Sequence[str]) -> list[float]:
        if not documents:
            return []
        key = tuple(documents)
        cache = self._cache
        if cache is not None and cache[0] == key:
            vectors = cache[1]
        else:
            vectors = [_unit(v) for v in self.embed(list(documents))]
            self._cache = (key, vectors)
        q = _unit(self.embed([query])[0])
        return [sum(a * b for a, b in zip(q, v, strict=True)) for v in vectors]


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else [0.0 for _ in vector]
