"""Varied surface forms of the training wordings: synonyms, lead-ins and closings.

With a few fixed sentences per task the third bundled model memorised whole sentences: it
scored 83% on training wordings and 7% on instructions it had never seen. Swapping common
synonyms (``Write`` / ``Give`` / ``Output``, ``the list`` / ``this list``) and adding
lead-ins and closings turns each sentence into dozens of phrasings, so that the words that
name the task, not one exact sentence, come to identify it.

The synonyms are generic English; the verbs that only the held-out wordings use (such as
"flip", "echo" or "alphabetize") are deliberately absent, so the held-out measurement still
asks for generalisation. Callers reject a variant that equals a held-out wording.

*Word dropout* (off unless asked for) replaces one word with a made-up one, so the model
learns to read an instruction by the words it knows and to pass over one it does not, which
is what a held-out wording asks of it. In a pilot on the seventh bundled model it lifted
held-out wordings from 53.9% to 58.1% (MODEL_CARD.md).
"""

from __future__ import annotations

import random
import re

__all__ = ["drop_word", "vary_wording"]

# Interchangeable words or phrases, matched as whole words. A match at the start of a word
# keeps its capitalisation, so "Write" and "write" both vary.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("write", "give", "output", "print", "produce", "show", "provide"),
    ("words", "items", "elements"),
    ("word", "item", "element"),
    ("the list", "this list", "the given list", "the input list"),
    ("the words", "these words", "the given words"),
    ("the items", "these items", "the given items"),
    ("the text", "this text", "the given text"),
    ("the record", "this record", "the given record"),
    ("the table", "this table", "the given table"),
    ("the examples", "these examples", "the examples above"),
    ("sort", "arrange"),
    ("remove", "delete"),
    ("compute", "calculate", "work out"),
    ("find", "get", "locate"),
    ("exactly", "precisely"),
    ("only", "just"),
    ("same", "identical"),
    ("each", "every"),
    ("original", "initial"),
)
# Put before an imperative wording, whose first letter is then lower-cased.
LEAD_INS = ("Please ", "Now ", "Kindly ", "I need you to ", "Next, ", "Your task is to ")
# Put after any wording.
CLOSINGS = (
    " Thanks.",
    " Keep the same format.",
    " No explanation.",
    " Give only the answer.",
    " Do not add anything else.",
)
# First words of wordings that are not commands (questions, descriptions).
_NOT_IMPERATIVE = frozenset({"What", "Which", "How", "Each", "Every", "The", "Where", "Who"})

_GROUP_OF = {phrase: group for group in SYNONYMS for phrase in group}
_PATTERN = re.compile(
    r"\b("
    + "|".join(
        f"[{p[0].upper()}{p[0]}]{re.escape(p[1:])}"
        for p in sorted(_GROUP_OF, key=len, reverse=True)
    )
    + r")\b"
)
_JINJA = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})")
# A whole word between spaces: "list." and "{{" are not, so punctuation and tags stay.
_BARE_WORD = re.compile(r"(?<!\S)[A-Za-z]+(?!\S)")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def vary_wording(
    wording: str, rng: random.Random, *, swap: float = 0.5, word_dropout: float = 0.0
) -> str:
    """A random variant of ``wording`` (Jinja source): each synonym swapped with chance
    ``swap``, a lead-in a quarter of the time (commands only), a closing a fifth of the
    time, and with chance ``word_dropout`` one word made up (:func:`drop_word`). Jinja tags
    are left as they are."""

    def swap_one(match: re.Match[str]) -> str:
        found = match.group(0)
        if rng.random() >= swap:
            return found
        other = rng.choice(_GROUP_OF[found[0].lower() + found[1:]])
        return other[0].upper() + other[1:] if found[0].isupper() else other

    parts = _JINJA.split(wording)
    text = "".join(p if _JINJA.fullmatch(p) else _PATTERN.sub(swap_one, p) for p in parts)
    first = text.split(" ", 1)[0]
    if text and first not in _NOT_IMPERATIVE and not text.endswith("?") and rng.random() < 0.25:
        text = rng.choice(LEAD_INS) + text[0].lower() + text[1:]
    if text and rng.random() < 0.2:
        text += rng.choice(CLOSINGS)
    # Drawn only when asked for, so the default stream of samples stays as it was.
    if word_dropout > 0 and rng.random() < word_dropout:
        text = drop_word(text, rng)
    return text


def drop_word(text: str, rng: random.Random) -> str:
    """``text`` with one bare word (letters only, between spaces, outside Jinja tags)
    replaced by 3-9 random letters, capitalised like the word it replaces."""
    parts = _JINJA.split(text)
    spots = [
        (i, m)
        for i, p in enumerate(parts)
        if not _JINJA.fullmatch(p)
        for m in _BARE_WORD.finditer(p)
    ]
    if not spots:
        return text
    i, match = rng.choice(spots)
    made = "".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 9)))
    if match.group(0)[0].isupper():
        made = made.capitalize()
    parts[i] = parts[i][: match.start()] + made + parts[i][match.end() :]
    return "".join(parts)
