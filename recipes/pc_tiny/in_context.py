"""Few-shot families whose answer is decidable only from the demonstrations.

Measured on a tiny decoder (``shared/notes/icl-probe.md``): recognising *which* known skill
the demonstrations show, and looking up or copying a mapping shown in context, are learned
fast; mapping a class to a label word drawn per prompt (two hops) is slow. So three of these
families are recognition or lookup, and the label mapping uses classes that are trivial to
tell apart (even or odd numbers; animals or colours) and is weighted modestly.

With ``k = 0`` each is at chance: the transform, the mapping or the labels are drawn per
prompt and appear nowhere else.

The bundled model's fifth run copied the *last* demonstration's value instead of the
matching one (in-context lookup: 100% with one demonstration, 34% with four), a model that
has not formed the retrieval ("induction") circuit. :class:`RecallDrill` is practice for
it, a training drill rather than a target: its demonstrations ask for keys again, so every
repeated demonstration's output is one more answer decidable only by finding the key
earlier in the context.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .family import Family, Task, Wordings, distinct_instances
from .words import ANIMALS, COLORS, FRUITS, LABEL_WORDS, LETTERS, NOUNS, SYMBOLS

__all__ = [
    "FOLLOW_EXAMPLES",
    "TRANSFORMS",
    "InContextCipher",
    "InContextLabels",
    "InContextLookup",
    "InContextTransform",
    "RecallDrill",
    "Transform",
]

Transform = Callable[[list[str]], str]

# The transforms a demonstration may show, each also taught by an instruction family.
TRANSFORMS: dict[str, Transform] = {
    "reverse": lambda w: " ".join(reversed(w)),
    "sort": lambda w: " ".join(sorted(w)),
    "first": lambda w: w[0],
    "last": lambda w: w[-1],
    "count": lambda w: str(len(w)),
    "drop_first": lambda w: " ".join(w[1:]),
    "upper": lambda w: " ".join(w).upper(),
}

# A hybrid prompt may pair these families with a generic instruction.
FOLLOW_EXAMPLES = Wordings(
    train=(
        "Follow the pattern of the examples.",
        "Answer the way the examples do.",
        "Continue the pattern.",
        "Do the same as in the examples.",
    ),
    heldout=("Apply the rule the examples show.", "Infer the rule and apply it."),
)


class InContextTransform(Family):
    """One of :data:`TRANSFORMS` per prompt, shown only by the demonstrations (for ``k >= 1``
    it is the only transform consistent with all of them)."""

    name = "icl_transform"
    kinds = frozenset({"few_shot", "hybrid"})
    instructions = FOLLOW_EXAMPLES
    in_context = True

    def task(self, rng: random.Random, k: int) -> Task:
        name = rng.choice(list(TRANSFORMS))
        transform = TRANSFORMS[name]
        for _ in range(50):
            lists = [rng.sample(NOUNS, rng.randint(3, 5)) for _ in range(k + 1)]
            if len({" ".join(w) for w in lists}) < k + 1:
                continue
            demos = [(" ".join(w), transform(w)) for w in lists[:-1]]
            consistent = [
                other
                for other, fn in TRANSFORMS.items()
                if all(fn(w) == out for w, (_, out) in zip(lists, demos, strict=False))
            ]
            if k == 0 or consistent == [name]:
                query = lists[-1]
                return Task(demos, " ".join(query), transform(query), meta={"transform": name})
        raise ValueError("could not draw unambiguous demonstrations")


class InContextLookup(Family):
    """A word-to-word mapping drawn per prompt; the query's key is one of the
    demonstrations' (for ``k >= 1``), so the answer is copied from context."""

    name = "icl_lookup"
    kinds = frozenset({"few_shot", "hybrid"})
    instructions = FOLLOW_EXAMPLES
    in_context = True

    def task(self, rng: random.Random, k: int) -> Task:
        words = rng.sample(NOUNS, 2 * max(k, 1))
        keys, values = words[::2], words[1::2]
        mapping = dict(zip(keys, values, strict=True))
        demos = list(mapping.items())[:k]
        key = rng.choice(keys)
        return Task(demos, key, mapping[key], meta={"mapping": mapping})


class InContextCipher(Family):
    """A letter-to-symbol cipher drawn per prompt; every letter of the query appears in the
    demonstrations (for ``k >= 1``)."""

    name = "icl_cipher"
    kinds = frozenset({"few_shot", "hybrid"})
    instructions = FOLLOW_EXAMPLES
    in_context = True

    def task(self, rng: random.Random, k: int) -> Task:
        letters = rng.sample(LETTERS, 5)
        mapping = dict(zip(letters, rng.sample(SYMBOLS, 5), strict=True))

        def encode(text: str) -> str:
            return " ".join(mapping[c] for c in text.split())

        def draw_from(pool: list[str]) -> tuple[str, str]:
            text = " ".join(rng.choice(pool) for _ in range(rng.randint(2, 4)))
            return text, encode(text)

        demos = distinct_instances(lambda: draw_from(letters), k) if k else []
        shown = sorted({c for text, _ in demos for c in text.split()}) or letters
        query, answer = draw_from(shown)
        return Task(demos, query, answer, meta={"mapping": mapping})


class InContextLabels(Family):
    """Two easy classes (even or odd numbers; animals or colours) get two label words drawn
    per prompt. The query's class is among the demonstrations' (for ``k >= 1``), and both
    classes are shown when ``k >= 2``."""

    name = "icl_labels"
    kinds = frozenset({"few_shot", "hybrid"})
    instructions = FOLLOW_EXAMPLES
    in_context = True

    def task(self, rng: random.Random, k: int) -> Task:
        labels = rng.sample(LABEL_WORDS, 2)
        if rng.random() < 0.5:
            evens = [str(n) for n in range(2, 100, 2)]
            odds = [str(n) for n in range(1, 100, 2)]
            pools = (evens, odds)
        else:
            pools = (list(ANIMALS), list(COLORS))
        if k >= 2:
            classes = [0, 1] + [rng.randrange(2) for _ in range(k - 2)]
            rng.shuffle(classes)
        else:
            classes = [rng.randrange(2)] * k
        chosen = [rng.sample(pools[c], 1)[0] for c in classes]
        while len(set(chosen)) < len(chosen):  # the same word twice teaches nothing
            chosen = [rng.choice(pools[c]) for c in classes]
        demos = [(word, labels[c]) for word, c in zip(chosen, classes, strict=True)]
        query_class = rng.choice(classes) if k else rng.randrange(2)
        query = rng.choice([w for w in pools[query_class] if w not in chosen])
        return Task(
            demos,
            query,
            labels[query_class],
            meta={"labels": labels, "class": query_class, "classes": classes},
        )


class RecallDrill(Family):
    """Key-to-value recall from context, dense: a few (key, output) pairs drawn per prompt,
    then demonstrations that ask for earlier keys again (exact repeats, which a user would
    not write, but each is an answer to learn), and a query for one of the keys that is not
    the last demonstration's.

    Four kinds of pairs: word to word (as :class:`InContextLookup`); word to a number of one
    or two digits (a value of several tokens, as in the tables of ``lookup_value``, which the
    sixth run still got wrong: 16%); letter to symbol; and letter to symbol with strings of
    letters among the repeats (stepping stones towards :class:`InContextCipher`, which needs
    the lookup aligned letter by letter)."""

    name = "icl_recall"
    kinds = frozenset({"few_shot", "hybrid"})
    instructions = FOLLOW_EXAMPLES
    in_context = True
    drill = True

    def task(self, rng: random.Random, k: int) -> Task:
        n_keys = rng.randint(2, 5)
        style = rng.random()
        if style < 0.4:
            words = rng.sample(NOUNS, 2 * n_keys)
            pairs = list(zip(words[::2], words[1::2], strict=True))
        elif style < 0.6:
            keys = rng.sample(rng.choice((NOUNS, FRUITS, COLORS)), n_keys)
            numbers = [str(n) for n in rng.sample(range(1, 100), n_keys)]
            pairs = list(zip(keys, numbers, strict=True))
        else:
            letters = rng.sample(LETTERS, n_keys)
            pairs = list(zip(letters, rng.sample(SYMBOLS, n_keys), strict=True))
        demos = list(pairs)
        for _ in range(rng.randint(2, 6)):
            demos.append(self._repeat(rng, pairs, demos[-1], words=style >= 0.8))
        query, answer = self._repeat(rng, pairs, demos[-1], words=style >= 0.8)
        return Task(demos, query, answer, meta={"mapping": dict(pairs)})

    @staticmethod
    def _repeat(
        rng: random.Random, pairs: list[tuple[str, str]], last: tuple[str, str], *, words: bool
    ) -> tuple[str, str]:
        """An earlier key again (not the one just asked), or with ``words`` sometimes a
        string of 2-3 earlier letter keys and their symbols."""
        if words and rng.random() < 0.5:
            chosen = [rng.choice(pairs) for _ in range(rng.randint(2, 3))]
            return " ".join(c for c, _ in chosen), " ".join(s for _, s in chosen)
        return rng.choice([p for p in pairs if p != last])
