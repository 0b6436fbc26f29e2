"""What compiling a constraint into a token automaton will cost, estimated before compiling,
and the guard that refuses a constraint whose compile would be unreasonably large.

The cost has two parts. outlines-core walks every vocabulary token from every automaton
state (time: states x vocabulary), and each (state, token) move it keeps is a transition
(memory: about 130 bytes each while compiling, in outlines' index and the Python dict it
hands over; 8 bytes each once :class:`~.automaton.TokenAutomaton` has packed them). Both are
estimated from the pattern's text (:func:`estimate_compile`): its atoms with the counts
expanded (:func:`~.pattern_atoms.expanded_size`) are the states; a literal atom allows about
one token, a class atom about as many tokens as start with a character of the class. The
estimate is within 2x of the real count on the schemas below; the guard refuses a
constraint over :data:`MAX_ESTIMATED_TRANSITIONS` (about 1.3 GB while compiling) or
:data:`MAX_ESTIMATED_WORK` (about 10 s), with a :class:`ConstraintError` that says which
counts to lower.

Measured by compiling each constraint with :func:`~.automaton.compile_constraint` in a
fresh process per row (AMD EPYC, 1 torch thread, outlines-core 0.2.14; "bundled": pc-tiny,
2,048 tokens; "cl100k": 100,256 tokens; peak = maximum RSS growth while compiling)::

    constraint                            vocab    states  transitions  estimate    time   peak
    object: str maxLength 24, int, bool   bundled     301       50,591     50,527   0.02 s   10 MB
    same                                  cl100k      301    1,896,082  2,468,385   0.6 s   230 MB
    object of 100 integer properties      cl100k    1,893      415,882    212,692   1.2 s    61 MB
    property str maxLength 200            bundled   2,014      461,779    424,408   0.2 s    87 MB
    same (refused)                        cl100k    2,014   19,588,195   >10M       4-7 s  2.4 GB
    root str maxLength 2000               bundled  20,019    4,667,319  4,204,003   1.5 s   626 MB
    property str minLength 100000         bundled  (refused in 3 ms; compiled, it grew past 20 GB)
    choices, 300 options of ~15 chars     bundled   4,258        6,433  work 0.01G  0.08 s    7 MB
    same                                  cl100k    4,258        9,413  work 0.49G  2.2 s     7 MB
    choices, 1,000 options                cl100k   13,863       30,826  work 1.64G  6-7 s    10 MB
    choices, 3,000 options (refused)      cl100k   40,752       90,219  work >2G    28 s     25 MB

So alternations of literals stay far below the transition limit whatever their number
(their cost is scan time, which grows with the vocabulary), while each position of a
string or a broad class costs a whole vocabulary of transitions. Packing the transitions
cut what a cached automaton keeps from 235 MB to 15 MB for the cl100k object above.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import ConstraintError
from .constraints import Constraint
from .pattern_atoms import Piece, expanded_size

__all__ = [
    "MAX_ESTIMATED_TRANSITIONS",
    "MAX_ESTIMATED_WORK",
    "CompileEstimate",
    "VocabularyProfile",
    "check_compile_cost",
    "estimate_compile",
]

#: The most token transitions a compile may be expected to create (memory: about 130 bytes
#: each while compiling, 8 once compiled). Raise it to allow larger constraints.
MAX_ESTIMATED_TRANSITIONS = 10_000_000
#: The most (automaton position x vocabulary token) pairs a compile may be expected to scan
#: (time: 4-8 ns each).
MAX_ESTIMATED_WORK = 2_000_000_000


@dataclass
class VocabularyProfile:
    """What the estimate needs to know of a vocabulary: its size and how many tokens start
    with each character (a token that starts inside a UTF-8 sequence counts as U+FFFD)."""

    size: int
    first_chars: Counter[str]
    _class_tokens: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, tokens: Iterable[bytes]) -> VocabularyProfile:
        first: Counter[str] = Counter()
        size = 0
        for token in tokens:
            size += 1
            first[token[:4].decode("utf-8", errors="replace")[:1]] += 1
        return cls(size=size, first_chars=first)

    def tokens_starting_in(self, piece: Piece) -> int:
        """How many tokens start with a character ``piece`` (a class) may match; 1 for a
        class of one character (``[ ]``), which allows as few tokens as a literal."""
        found = self._class_tokens.get(piece.text)
        if found is None:
            import regex as regex_engine

            text = "(?s:.)" if piece.text == "." else piece.text
            try:
                compiled = regex_engine.compile(text, flags=regex_engine.V1)
            except regex_engine.error:
                found = self.size
            else:
                counts = [n for c, n in self.first_chars.items() if compiled.fullmatch(c)]
                found = sum(counts) if len(counts) > 1 else 1
            self._class_tokens[piece.text] = found
        return found


@dataclass(frozen=True)
class CompileEstimate:
    """``positions``: the pattern's atoms with its counts expanded (about the automaton's
    states); ``transitions``: the token transitions those positions may allow; ``work``:
    positions times vocabulary size (what the compiler scans). Each is capped just above
    its limit."""

    positions: int
    transitions: int
    work: int


def estimate_compile(pattern: str, vocabulary: VocabularyProfile) -> CompileEstimate:
    """The cost of compiling ``pattern`` over ``vocabulary``, from the pattern's text alone."""
    vocab = max(vocabulary.size, 1)
    positions = expanded_size(pattern, limit=MAX_ESTIMATED_WORK // vocab)

    def transitions_of(piece: Piece) -> int:
        # A literal position allows the few tokens that spell what follows; a class
        # position, any token that starts with a character of the class.
        return 1 if piece.kind == "literal" else vocabulary.tokens_starting_in(piece)

    transitions = expanded_size(pattern, limit=MAX_ESTIMATED_TRANSITIONS, weight=transitions_of)
    return CompileEstimate(positions=positions, transitions=transitions, work=positions * vocab)


def check_compile_cost(
    constraint: Constraint, pattern: str, vocabulary: VocabularyProfile, tokenizer_name: str
) -> CompileEstimate:
    """Raise :class:`ConstraintError` (saying what to change) when compiling ``pattern``
    (``constraint``'s decoding pattern) for the vocabulary would be unreasonably large."""
    estimate = estimate_compile(pattern, vocabulary)
    if estimate.transitions > MAX_ESTIMATED_TRANSITIONS:
        what = (
            f"it would create more than {MAX_ESTIMATED_TRANSITIONS:,} token transitions "
            f"(over {MAX_ESTIMATED_TRANSITIONS * 130 // 10**9} GB while compiling)"
        )
    elif estimate.work > MAX_ESTIMATED_WORK:
        what = (
            f"it has more than {MAX_ESTIMATED_WORK // max(vocabulary.size, 1):,} positions "
            f"to scan against {vocabulary.size:,} tokens (over {MAX_ESTIMATED_WORK:,} pairs)"
        )
    else:
        return estimate
    raise ConstraintError(
        f"the {constraint.kind} constraint is too large to compile for tokenizer "
        f"{tokenizer_name!r}: {what}. {_advice(constraint.kind)}",
        kind=constraint.kind,
    )


def _advice(kind: str) -> str:
    if kind == "json_schema":
        return (
            "Lower the counts it spells out: maxLength and minLength of strings, maxItems "
            "and minItems of arrays, {n} in a pattern (nested counts multiply). An unbounded "
            "string or array compiles cheaply: a large maximum can be dropped from the "
            "schema and checked after generation instead"
        )
    if kind == "choices":
        return "Offer fewer or shorter options, or split the choice into two steps"
    return (
        "Lower its counted repetitions ({n}, {m,n}; nested counts multiply), or use an "
        "unbounded repetition (* or +) and check the length after generation"
    )
