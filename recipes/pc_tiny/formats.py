"""How a sample is laid out: the labels, separators and generic instructions it is rendered
with, each split into the ones training uses and the held-out ones only evaluation sees."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from .family import Split, Wordings
from .words import NOUNS

__all__ = [
    "INSTRUCTION_FRAMES",
    "LABELS",
    "REVERSE_INSTRUCTIONS",
    "SYSTEM_PROMPTS",
    "TextFormat",
    "draw_format",
    "frame_instruction",
]

# Labels training draws from: any input word with any output word (130 pairs), so the model
# learns the shape "<label>: ..." rather than a handful of label strings. The held-out pairs
# share no word with these.
_TRAIN_INPUT_LABELS = (
    "Input", "Q", "Text", "Word", "Question", "List", "In", "Words", "Data", "Task",
    "Item", "Example", "Prompt", "Case", "X",
)  # fmt: skip
_TRAIN_OUTPUT_LABELS = ("Output", "A", "Answer", "Result", "Out", "Reply", "Solution", "Y", "Value")

# (input label, output label) of the example kinds and of labelled prefix prompts
LABELS: dict[Split, tuple[tuple[str, str], ...]] = {
    "train": tuple((i, o) for i in _TRAIN_INPUT_LABELS for o in _TRAIN_OUTPUT_LABELS),
    "heldout": (("Query", "Response"), ("Given", "Expected"), ("Source", "Target")),
}
# The training stream (``vary``) draws half of its labels from a wider vocabulary: more
# label words, nouns of the word lists, or made-up words. The third bundled model scored
# 100% on Caesar 4-shot with the listed labels and 0% with held-out ones: it had learned the
# label strings, not the layout. The fourth, trained with label words and nouns, still
# scored 0% with "Query"/"Response" and 100% with "Request"/"Verdict": a label it had never
# seen splits into sub-word pieces it had never seen as a label. Made-up words teach that any
# pieces at the start of a line before a colon are a label. A draw that spells a held-out
# label is drawn again.
_HELDOUT_WORDS = frozenset(label.lower() for pair in LABELS["heldout"] for label in pair)
_MORE_INPUT_LABELS = (
    "Request", "Entry", "Sample", "Record", "Problem", "Sentence", "Phrase", "Before", "From",
    "Original", "Sequence", "Letters", "Expression", "Key", "Line", "Message", "Content",
    "Context", "Instance", "Test", "Clue", "Term", "Left", "Raw", "Start", "Statement",
)  # fmt: skip
_MORE_OUTPUT_LABELS = (
    "After", "To", "Label", "Transformed", "Converted", "Final", "Right", "End", "Correct",
    "Completion", "Guess", "Class", "Category", "Outcome", "Prediction", "Verdict", "Rewrite",
    "Translation", "Code", "Decoded", "Encoded", "Ans", "Res", "Returns", "Gives",
)  # fmt: skip


_VARIED_LABELS = (
    _TRAIN_INPUT_LABELS + _MORE_INPUT_LABELS,
    _TRAIN_OUTPUT_LABELS + _MORE_OUTPUT_LABELS,
)
_NOUN_LABELS = tuple(w.capitalize() for w in NOUNS)

EXAMPLE_SEPARATORS = ("\n\n", "\n", "\n---\n")
SECTION_SEPARATORS = ("\n\n", "\n")

SYSTEM_PROMPTS = Wordings(
    train=(
        "You are a helpful assistant.",
        "You are a precise assistant. Reply with the answer only.",
        "Answer briefly.",
        "You are a helpful assistant. Give short, exact answers.",
    ),
    heldout=("You are a careful assistant who answers in as few words as possible.",),
)

# For reverse prompts of any family (the family's own reverse wordings describe the task).
REVERSE_INSTRUCTIONS = Wordings(
    train=(
        "Each output below is followed by the input that produced it. Give the input for the "
        "last output.",
        "Work backwards: for each output, write its input.",
        "Find the input that gives the last output.",
    ),
    heldout=("Recover the original input from the output, as in the examples.",),
)


# Text around a training instruction (half of the time), so that the task's own words, not
# the exact sentence, identify it. Held-out wordings are never framed.
INSTRUCTION_FRAMES: tuple[tuple[str, str], ...] = (
    ("Task: ", ""),
    ("Instruction: ", ""),
    ("", " Answer with the result only."),
    ("Please do this. ", ""),
    ("Read the input. ", ""),
    ("", " Be exact."),
    ("Do the following: ", ""),
    ("Your job: ", ""),
    ("", " Reply with nothing else."),
    ("Here is the task. ", ""),
)


def frame_instruction(wording: str, rng: random.Random, split: Split) -> str:
    """``wording`` (Jinja source), inside a random frame half of the time in training."""
    if split != "train" or not wording or rng.random() < 0.5:
        return wording
    before, after = rng.choice(INSTRUCTION_FRAMES)
    return before + wording + after


def _varied_labels(rng: random.Random) -> tuple[str, str]:
    """Two different labels: each a label word (half of the time), a noun or a made-up
    word."""
    labels: list[str] = []
    for pool in _VARIED_LABELS:
        while True:
            draw = rng.random()
            if draw < 0.25:
                label = rng.choice(_NOUN_LABELS)
            elif draw < 0.5:
                label = _made_up_word(rng)
            else:
                label = rng.choice(pool)
            if label not in labels and label.lower() not in _HELDOUT_WORDS:
                labels.append(label)
                break
    return labels[0], labels[1]


def _made_up_word(rng: random.Random) -> str:
    """A capitalised string of 3-9 random letters."""
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))).capitalize()


@dataclass(frozen=True)
class TextFormat:
    """The layout settings of one text prompt."""

    input_label: str | None
    output_label: str
    example_separator: str = "\n\n"
    section_separator: str = "\n\n"


def draw_format(
    rng: random.Random, split: Split, *, unlabelled_input: float = 0.0, vary: bool = False
) -> TextFormat:
    """Labels from ``split`` and separators; ``unlabelled_input``: the chance that the input
    has no label (prefix prompts). ``vary`` (training only): half of the labels come from
    the wider vocabulary."""
    if vary and split == "train" and rng.random() < 0.5:
        input_label, output_label = _varied_labels(rng)
    else:
        input_label, output_label = rng.choice(LABELS[split])
    return TextFormat(
        input_label=None if rng.random() < unlabelled_input else input_label,
        output_label=output_label,
        example_separator=rng.choice(EXAMPLE_SEPARATORS),
        section_separator=rng.choice(SECTION_SEPARATORS),
    )
