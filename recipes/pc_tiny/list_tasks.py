"""Instruction-following families over short word lists and single words.

Lists are 2-6 common words, written with spaces or with commas; the answer uses the same
separator. Letter-level tasks (the Caesar shift) write letters with spaces, so each letter is
its own token and the task does not depend on how the tokenizer merged a word.
"""

from __future__ import annotations

import random
from typing import Any

from .family import Family, Wordings
from .words import LETTERS, NOUNS

__all__ = [
    "CaesarShift",
    "CopyList",
    "CountItems",
    "DedupeWords",
    "PickItem",
    "ReverseList",
    "SortWords",
    "Uppercase",
    "caesar",
]

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")
_EXAMPLE_KINDS = frozenset({"prefix", "hybrid", "chat"})
_SHORT_NOUNS = tuple(w for w in NOUNS if len(w) <= 4)


def _words(rng: random.Random, n: int) -> list[str]:
    return rng.sample(NOUNS, n)


def _list_params(rng: random.Random) -> dict[str, Any]:
    return {"sep": rng.choice((" ", ", "))}


def caesar(letters: str, shift: int) -> str:
    """Each letter of a space-separated letter string moved ``shift`` places on (z wraps)."""
    return " ".join(LETTERS[(LETTERS.index(c) + shift) % 26] for c in letters.split())


class ReverseList(Family):
    name = "reverse_list"
    kinds = _EXAMPLE_KINDS | {"reverse"}
    instructions = Wordings(
        train=(
            "Reverse the order of the words.",
            "Write the words in reverse order.",
            "List the items from last to first.",
            "Reverse the list.",
            "Give the same words, last one first.",
            "Put the items in the opposite order.",
            "Write the list backwards.",
            "Turn the list around.",
            "Output the items in reversed order.",
            "Start from the last word and go back to the first.",
        ),
        heldout=(
            "Flip the order of the items.",
            "Read the list backwards and write it out.",
        ),
    )
    reverse_instructions = Wordings(
        train=(
            "Each output is a list written in reverse order. Give the original list.",
            "The outputs are word lists turned backwards. Write the list each came from.",
            "Undo the reversal: give the list as it was before it was reversed.",
        ),
        heldout=("Every output is some list reversed. Recover that list.",),
    )

    def params(self, rng: random.Random) -> dict[str, Any]:
        return _list_params(rng)

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        words = _words(rng, rng.randint(3, 6))
        sep = params["sep"]
        return sep.join(words), sep.join(reversed(words))


class CopyList(Family):
    """Repeat the list exactly: the plain copying that reversing, sorting and deduplicating
    build on."""

    name = "copy_list"
    kinds = _EXAMPLE_KINDS
    instructions = Wordings(
        train=(
            "Copy the words.",
            "Repeat the list exactly.",
            "Write the same words again.",
            "Say the list back.",
            "Copy the list as it is.",
            "Write the items out again in the same order.",
            "Repeat the words.",
        ),
        heldout=("Echo the items unchanged.", "Reproduce the list word for word."),
    )

    def params(self, rng: random.Random) -> dict[str, Any]:
        return _list_params(rng)

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        text = params["sep"].join(_words(rng, rng.randint(2, 6)))
        return text, text


class SortWords(Family):
    name = "sort_words"
    kinds = _EXAMPLE_KINDS
    instructions = Wordings(
        train=(
            "Sort the words in alphabetical order.",
            "Put the words in alphabetical order.",
            "Write the items sorted from A to Z.",
            "Sort the list alphabetically.",
            "Arrange the words alphabetically.",
            "Sort the items.",
            "List the words in A to Z order.",
            "Write the words sorted by alphabet.",
            "Give the list in alphabetical order.",
        ),
        heldout=("Order the words as a dictionary would.", "Alphabetize the list."),
    )

    def params(self, rng: random.Random) -> dict[str, Any]:
        return _list_params(rng)

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        words = _words(rng, rng.randint(3, 5))
        sep = params["sep"]
        return sep.join(words), sep.join(sorted(words))


class DedupeWords(Family):
    name = "dedupe_words"
    kinds = _EXAMPLE_KINDS
    instructions = Wordings(
        train=(
            "Remove the repeated words.",
            "Remove duplicates and keep the first of each word.",
            "Write each word once, in the order it first appears.",
            "Delete every repeated item.",
            "Drop the duplicates from the list.",
            "Write the list without repeats.",
            "Remove the words that appear twice.",
            "Give every word only once.",
            "Deduplicate the list.",
        ),
        heldout=(
            "Keep only the first copy of each word.",
            "Strip out words that already appeared.",
        ),
    )

    def params(self, rng: random.Random) -> dict[str, Any]:
        return _list_params(rng)

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        unique = _words(rng, rng.randint(2, 4))
        words = list(unique)
        for _ in range(rng.randint(1, 2)):
            copy = rng.choice(unique)
            # a copy always lands after the first occurrence, so "first of each" is the
            # original order
            first = words.index(copy)
            words.insert(rng.randint(first + 1, len(words)), copy)
        sep = params["sep"]
        return sep.join(words), sep.join(unique)


class CountItems(Family):
    name = "count_items"
    kinds = _EXAMPLE_KINDS
    instructions = Wordings(
        train=(
            "Count the words.",
            "How many items are in the list?",
            "Say how many words there are.",
            "Count the items in the list.",
            "Give the number of words.",
            "How many words are there?",
            "Count how many items there are.",
            "Say the number of items.",
        ),
        heldout=("What is the length of this list?", "Tell me the number of entries."),
    )

    def params(self, rng: random.Random) -> dict[str, Any]:
        return _list_params(rng)

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        n = rng.randint(2, 8)
        return params["sep"].join(_words(rng, n)), str(n)


class PickItem(Family):
    """The item at a position; as a few-shot task the position is shown only by the
    demonstrations."""

    name = "pick_item"
    kinds = _EXAMPLE_KINDS | {"few_shot"}
    instructions = Wordings(
        train=(
            "Give the {{ ordinal }} word.",
            "What is item number {{ position }}?",
            "Write the {{ ordinal }} item of the list.",
            "Pick word {{ position }} from the list.",
            "Which word is in position {{ position }}?",
            "Give word number {{ position }}.",
            "What is the {{ ordinal }} word?",
            "Find the {{ ordinal }} item.",
            "Write the word at position {{ position }}.",
        ),
        heldout=("Return the {{ ordinal }} entry.", "Tell me the word at position {{ position }}."),
    )

    def params(self, rng: random.Random) -> dict[str, Any]:
        return {**_list_params(rng), "position": rng.randint(1, 4)}

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        position = params["position"]
        words = _words(rng, rng.randint(max(position, 3), 6))
        return params["sep"].join(words), words[position - 1]

    def variables(self, params: dict[str, Any]) -> dict[str, Any]:
        position = params["position"]
        return {"position": position, "ordinal": ORDINALS[position - 1]}


class Uppercase(Family):
    name = "uppercase"
    kinds = _EXAMPLE_KINDS | {"reverse"}
    instructions = Wordings(
        train=(
            "Write the text in capital letters.",
            "Convert to upper case.",
            "Make every letter uppercase.",
            "Rewrite in all caps.",
            "Change the words to upper case.",
            "Write it in uppercase.",
            "Use capital letters only.",
            "Turn every letter into a capital.",
            "Uppercase the text.",
        ),
        heldout=("Capitalize every letter.", "Shout it: use only capital letters."),
    )
    reverse_instructions = Wordings(
        train=(
            "Each output is text in capital letters. Give the original lower-case text.",
            "The outputs were made by upper-casing the inputs. Write the input.",
            "Convert back to lower case.",
        ),
        heldout=("Undo the capitals: give the text in small letters.",),
    )

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        text = " ".join(_words(rng, rng.randint(1, 2)))
        return text, text.upper()


class CaesarShift(Family):
    """Letters shifted forward; as a few-shot task the shift is shown only by the
    demonstrations."""

    name = "caesar"
    kinds = _EXAMPLE_KINDS | {"reverse", "few_shot"}
    instructions = Wordings(
        train=(
            "Shift each letter {{ shift }} places forward in the alphabet.",
            "Move every letter forward by {{ shift }}.",
            "Replace each letter with the one {{ shift }} after it.",
            "Apply a Caesar shift of {{ shift }}.",
            "Encode each letter by moving it {{ shift }} steps down the alphabet.",
            "Shift the letters by {{ shift }}.",
            "Move each letter {{ shift }} places on.",
        ),
        heldout=(
            "Advance each letter by {{ shift }} positions.",
            "Encrypt with a forward shift of {{ shift }}.",
        ),
    )
    reverse_instructions = Wordings(
        train=(
            "Each output shifts the letters of its input {{ shift }} places forward. "
            "Give the input.",
            "Decode: move each letter {{ shift }} places back.",
            "The outputs are Caesar shifts by {{ shift }}. Write the original letters.",
        ),
        heldout=("Undo a forward shift of {{ shift }} to recover the letters.",),
    )

    def params(self, rng: random.Random) -> dict[str, Any]:
        return {"shift": rng.randint(1, 3)}

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        word = rng.choice(_SHORT_NOUNS)
        letters = " ".join(word)
        return letters, caesar(letters, params["shift"])

    def variables(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"shift": params["shift"]}
