"""How often each kind, family and number of shots is drawn.

A sample is drawn in three steps: its kind (``kinds``), a family that supports the kind
(``families``, relative weights among those), and its number of demonstrations
(``shots[kind]``). The defaults favour what a small model learns slowly: digit arithmetic,
the list tasks (copying, reversing, sorting), the tool protocol (the main agent target) and
the in-context families; the slow two-hop label mapping gets a modest weight
(``shared/notes/icl-probe.md``).

Default shares of the samples, by kind: prefix 28%, few_shot 31%, hybrid 12%, reverse 10%,
chat 10%, tool 9% (of the tokens: 14/32/15/11/8/20%). (The first bundled model used
20/24/10/7/14/25: it reached 100% on the tool protocol but under 40% on the list tasks, so
tool transcripts, about half of the tokens then, gave way to the text kinds.) The fourth
moved family weight from what the third had mastered (count, uppercase, Caesar, JSON, table
lookups in tool calls: 98-100%) to what it had not (in-context lookup and cipher, prefix
table lookup: 0-36%). The sixth added the recall drill (``icl_recall``, 12% of the
tokens; the seventh gave it word-to-number pairs too) after the fifth still copied the last
demonstration's value instead of the matching one, and took tokens from what the fifth had
mastered (tool protocol and reverse prompts 95-100%, JSON and reversing lists 100%) for
sorting, deduplicating and table lookup (28-78%).

Shots: few-shot k in {0,1,2,4,6} (k=0 at 8%, so zero-shot is honestly about chance), hybrid
{1,2,4}, reverse {0,1,2,4}, chat {0,1,2} (examples as earlier turns).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .sample import SampleKind

__all__ = ["DEFAULT_MIXTURE", "Mixture"]


class Mixture(BaseModel):
    """Sampling weights of the curriculum (relative; they need not sum to one).
    ``tool_error_rate``: the share of tool transcripts with one failed call and its error
    observation before a correct call. ``word_dropout``: see
    :func:`~.paraphrase.drop_word` (the finishing stage of the recipe uses it)."""

    model_config = ConfigDict(frozen=True)

    kinds: dict[SampleKind, float]
    families: dict[str, float]
    shots: dict[SampleKind, dict[int, float]]
    tool_error_rate: float = Field(default=0.2, ge=0, le=1)
    word_dropout: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Chance that a paraphrased training wording has one word made up.",
    )

    @model_validator(mode="after")
    def _shots_for_every_kind(self) -> Mixture:
        for kind, weight in self.kinds.items():
            if weight > 0 and not any(w > 0 for w in self.shots.get(kind, {}).values()):
                raise ValueError(f"kind {kind!r} has weight {weight} but no shots to draw k from")
        return self


DEFAULT_MIXTURE = Mixture(
    kinds={
        "prefix": 0.28,
        "few_shot": 0.31,
        "hybrid": 0.12,
        "reverse": 0.10,
        "chat": 0.10,
        "tool": 0.09,
    },
    families={
        "copy_list": 0.8,
        "reverse_list": 1.0,
        "sort_words": 1.8,
        "dedupe_words": 1.5,
        "count_items": 0.4,
        "pick_item": 1.3,
        "uppercase": 0.6,
        "caesar": 0.6,
        "arithmetic": 1.6,
        "extract_field": 0.6,
        "lookup_value": 1.8,
        "to_json": 0.5,
        "icl_transform": 1.5,
        "icl_lookup": 1.6,
        "icl_cipher": 1.4,
        "icl_labels": 0.8,
        "icl_recall": 3.0,
        "tool_arithmetic": 2.0,
        "tool_lookup": 0.6,
    },
    shots={
        "prefix": {0: 1.0},
        "few_shot": {0: 0.08, 1: 0.14, 2: 0.24, 4: 0.32, 6: 0.22},
        "hybrid": {1: 0.3, 2: 0.4, 4: 0.3},
        "reverse": {0: 0.3, 1: 0.2, 2: 0.3, 4: 0.2},
        "chat": {0: 0.6, 1: 0.2, 2: 0.2},
        "tool": {0: 1.0},
    },
)
