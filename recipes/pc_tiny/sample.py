"""The data the curriculum hands to the trainer and to the evaluation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["SAMPLE_KINDS", "Sample", "SampleKind", "Segment"]

SampleKind = Literal["prefix", "few_shot", "hybrid", "reverse", "chat", "tool"]
SAMPLE_KINDS: tuple[SampleKind, ...] = ("prefix", "few_shot", "hybrid", "reverse", "chat", "tool")


class Segment(BaseModel):
    """A piece of a sample's text; only ``trainable`` pieces get loss."""

    model_config = ConfigDict(frozen=True)

    text: str
    trainable: bool


class Sample(BaseModel):
    """One training sample: ``prompt`` as a user renders it, and the ``completion`` the model
    must write (without the eos token, which the trainer appends).

    ``segments`` split ``prompt + completion`` exactly; the prompt and, in tool transcripts,
    the observations and the failed calls are not trainable. Segments meet at pre-tokenizer
    boundaries (a completion starts with a space, a newline or a special token), so encoding
    them one by one gives the same ids as encoding the whole text. Chat samples contain the
    special tokens of :mod:`.chat_format` as text: encode with them allowed.

    ``answer`` is what :func:`~.evaluation.check_answer` compares a reply with; ``query`` is
    the raw query input; ``meta`` holds the drawn parameters and the format, for tests and
    analysis."""

    model_config = ConfigDict(frozen=True)

    family: str
    kind: SampleKind
    k: int
    split: Literal["train", "heldout"]
    prompt: str
    completion: str
    segments: tuple[Segment, ...]
    answer: str
    query: str
    meta: dict[str, Any] = {}

    @property
    def text(self) -> str:
        """``prompt + completion``."""
        return self.prompt + self.completion
