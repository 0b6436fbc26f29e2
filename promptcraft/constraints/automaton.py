"""A constraint compiled for one tokenizer: a token automaton the decoder steps through.

``outlines-core`` turns the constraint's regular expression into an ``Index``: a DFA whose
transitions are whole tokens of the vocabulary, computed once. We keep its live part (the
states from which the output can still be completed) as flat int32 tensors, eight bytes a
transition, and derive, per state, one int tensor over the vocabulary: the tokens the
model must still write to finish if it picks each token next (disallowed tokens cost
"infinity"). Each decoding step is then a single comparison, ``cost[state] <= tokens_left``,
giving the allowed-token mask; it never lets the model start something it cannot finish
within ``max_tokens``, so a constrained output always completes (and always parses).

Why sentinels go around the pattern. First, ``outlines-core`` builds its DFA with an
unanchored start state too (it only ever walks the anchored one). For the unanchored search
the DFA must track every position where a match might have begun, and when a pattern's
first character can reappear inside a match those positions pile up: a root-level JSON
string ``"(…|\\\\["…]){0,N}"`` can start again at every escaped quote ``\\"``, giving 2^N
states (``maxLength`` 16: 4.5 s, 20: 86 s and 4.8 GB, on the bundled model), while the same
string after ``{"name":`` compiles in milliseconds. Second, the DFA keeps leftmost-first
match semantics: once an alternative has matched, lower-priority ones are cut off, so
``choices(["3", "32"])`` could never write ``32`` and ``regex("a|ab")`` never ``ab``. So
the pattern is compiled as ``S(?:pattern)S``, with a sentinel character ``S`` the pattern
can never match (``\\x00``, else ``\\n``): a match can only begin at a sentinel (the
unanchored part stays linear: ``maxLength`` 20 compiles in 15 ms, 2000 in 1.5 s), and only
end at one, after every alternative has had its chance. The automaton starts after the
opening sentinel, and its final states are those the closing one leaves from. A pattern
that can match both characters is compiled as it is.

Before compiling, :mod:`.compile_limits` estimates the cost from the pattern's text and
refuses (:class:`~promptcraft.errors.ConstraintError`) one that would be unreasonably large.
Compiled automata are cached per tokenizer and pattern, within a memory budget
(:data:`CACHE_BYTES`): a prompt run many times with the same schema compiles it once.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch

from ..errors import ConstraintError
from ..tokenizers.tokenizer import Tokenizer
from .compile_limits import VocabularyProfile, check_compile_cost
from .constraints import Constraint
from .packed_graph import distances_to_final, pack_live_graph
from .pattern_atoms import can_match_char

__all__ = ["CACHE_BYTES", "TokenAutomaton", "compile_constraint"]

# Costs are int16 (half the memory of int32 per state and vocabulary row); a token the
# constraint forbids costs the most, and budgets are clamped below it.
_FORBIDDEN = torch.iinfo(torch.int16).max
#: Memory the compiled automata of one tokenizer may keep (least recently used beyond it
#: are dropped; the newest is always kept). A small object schema (a 24-character string,
#: an integer, a boolean) keeps 0.4 MB on the bundled 2k-token vocabulary and 15 MB on a
#: 100k-token one, plus its cached rows (see TokenAutomaton.nbytes).
CACHE_BYTES = 256 * 2**20
# Memory each automaton may spend on its cached per-state rows (cost int16 and next state
# int32 per vocabulary token).
_ROW_CACHE_BYTES = 4 * 2**20
_ROW_BYTES = 6
# Characters put around a pattern that cannot match them (see the module docstring).
_SENTINELS = {"\x00": r"\x00", "\n": r"\n"}


class TokenAutomaton:
    """The states of a constraint over a vocabulary, with the per-state token costs the
    decoder masks logits with. Implements :class:`promptcraft.nn.sampling.TokenConstraint`.

    ``transitions`` maps a state to its moves (token id -> next state), as outlines-core's
    ``Index.get_transitions()`` gives them (with ``consume``, a mutable mapping the states
    are popped out of as they are read, which lowers the peak memory); states are
    renumbered, and the states (and moves into states) from which no final state can be
    reached are dropped. ``kind`` names the constraint in errors."""

    def __init__(
        self,
        transitions: Mapping[int, Mapping[int, int]],
        start: int,
        finals: Iterable[int],
        *,
        vocab_size: int,
        eos_ids: Sequence[int],
        device: torch.device,
        pattern: str,
        kind: str = "regex",
        consume: bool = False,
    ):
        self.pattern = pattern
        self.vocab_size = vocab_size
        self._eos = [i for i in eos_ids if i < vocab_size]
        self._device = device
        final_states = set(finals)
        distance = distances_to_final(transitions, final_states)
        if start not in distance:
            raise ConstraintError(
                f"no output of this vocabulary matches the pattern {_shown(pattern)}", kind=kind
            )
        graph = pack_live_graph(transitions, distance, consume=consume)
        self.start = graph.number[start]
        self._offsets: list[int] = graph.offsets.tolist()
        self._tokens = graph.tokens
        self._targets = graph.targets
        self._distance = graph.distance
        self._finals = {graph.number[s] for s in final_states}
        self._row_capacity = max(16, _ROW_CACHE_BYTES // (_ROW_BYTES * max(vocab_size, 1)))
        self._rows: OrderedDict[int, _Row] = OrderedDict()
        self._rows_lock = threading.Lock()

    @property
    def min_tokens(self) -> int:
        """The fewest tokens any matching output takes."""
        return int(self._distance[self.start])

    @property
    def num_states(self) -> int:
        return len(self._distance)

    @property
    def num_transitions(self) -> int:
        return len(self._tokens)

    @property
    def nbytes(self) -> int:
        """The memory this automaton keeps now: its transitions (8 bytes each), its states,
        and the per-state rows it has cached (at most ``_ROW_CACHE_BYTES``)."""
        arrays = (self._tokens, self._targets, self._distance)
        states = 40 * len(self._offsets) + 100 * len(self._finals)
        rows = len(self._rows) * _ROW_BYTES * self.vocab_size
        return sum(a.nbytes for a in arrays) + states + rows + len(self.pattern)

    def allowed(self, state: int, budget: int) -> torch.Tensor:
        """A bool mask [vocab]: the tokens that may come next in ``state`` such that the
        output can still be finished within ``budget`` tokens (this one included)."""
        return self._row(state).costs <= min(budget, _FORBIDDEN - 1)

    def advance(self, state: int, token_id: int) -> int:
        """The state after ``token_id``; :class:`ValueError` if the constraint forbids it."""
        if 0 <= state < self.num_states and 0 <= token_id < self.vocab_size:
            target = int(self._row(state).targets[token_id])
            if target >= 0:
                return target
        raise ValueError(
            f"token {token_id} is not allowed in state {state} of {_shown(self.pattern)}"
        )

    def is_final(self, state: int) -> bool:
        """The output so far is a complete match."""
        return state in self._finals

    def can_continue(self, state: int) -> bool:
        """Some token may still extend the output."""
        return self._offsets[state + 1] > self._offsets[state]

    def _row(self, state: int) -> _Row:
        """The state's rows over the vocabulary, from the cache or built (and cached)."""
        with self._rows_lock:
            row = self._rows.get(state)
            if row is not None:
                self._rows.move_to_end(state)
                return row
        begin, end = self._offsets[state], self._offsets[state + 1]
        tokens = self._tokens[begin:end].long()
        targets = self._targets[begin:end]
        costs = torch.full((self.vocab_size,), _FORBIDDEN, dtype=torch.int16)
        costs[tokens] = (
            (self._distance[targets.long()] + 1).clamp(max=_FORBIDDEN - 1).to(costs.dtype)
        )
        if state in self._finals and self._eos:
            costs[self._eos] = 1
        next_states = torch.full((self.vocab_size,), -1, dtype=torch.int32)
        next_states[tokens] = targets
        row = _Row(costs.to(self._device), next_states)
        with self._rows_lock:
            self._rows[state] = row
            while len(self._rows) > self._row_capacity:
                self._rows.popitem(last=False)
        return row


class _Row(NamedTuple):
    """One state over the vocabulary: each token's cost (the tokens still needed to finish
    after it; forbidden ones cost the most), on the model's device; and the state it leads
    to (-1: none)."""

    costs: torch.Tensor
    targets: torch.Tensor


def compile_constraint(
    constraint: Constraint,
    tokenizer: Tokenizer,
    *,
    vocab_size: int,
    eos_ids: Sequence[int],
    device: torch.device | str = "cpu",
) -> TokenAutomaton:
    """The automaton of ``constraint`` over ``tokenizer``'s first ``vocab_size`` ids (the
    model's embedding rows); cached per tokenizer. ``eos_ids`` may end a complete output.
    A pattern the regex engine rejects, that no output can match, that matches only the
    empty output, or whose compile would be unreasonably large (:mod:`.compile_limits`)
    raises :class:`ConstraintError`."""
    device = torch.device(device)
    eos = tuple(sorted(set(eos_ids)))
    key = (vocab_size, eos, str(device), constraint.decoding_pattern)
    with _lock:
        per_tokenizer = _automata.setdefault(tokenizer, OrderedDict())
        found = per_tokenizer.get(key)
        if found is not None:
            per_tokenizer.move_to_end(key)
            return found
    automaton = _build(constraint, tokenizer, vocab_size, eos, device)
    with _lock:
        per_tokenizer[key] = automaton
        total = sum(a.nbytes for a in per_tokenizer.values())
        while total > CACHE_BYTES and len(per_tokenizer) > 1:
            total -= per_tokenizer.popitem(last=False)[1].nbytes
    return automaton


# --- building ----------------------------------------------------------------------------------

_lock = threading.Lock()
_automata: weakref.WeakKeyDictionary[Tokenizer, OrderedDict[tuple, TokenAutomaton]] = (
    weakref.WeakKeyDictionary()
)
_vocabularies: weakref.WeakKeyDictionary[Tokenizer, dict[tuple, _Vocabulary]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class _Vocabulary:
    """The outlines ``Vocabulary`` of a tokenizer's text tokens (control tokens never appear
    in a constrained output), plus one extra id per sentinel character; the EOS id it was
    given; and the profile the cost estimate reads."""

    index: object
    eos: int
    sentinel_ids: dict[str, int]
    profile: VocabularyProfile


def _build(
    constraint: Constraint,
    tokenizer: Tokenizer,
    vocab_size: int,
    eos: tuple[int, ...],
    device: torch.device,
) -> TokenAutomaton:
    from outlines_core import Index

    pattern = constraint.decoding_pattern
    vocabulary = _vocabulary(tokenizer, vocab_size, eos)
    check_compile_cost(constraint, pattern, vocabulary.profile, tokenizer.name)
    sentinel = next((c for c in _SENTINELS if not can_match_char(pattern, c)), None)
    if sentinel is None:
        compiled = pattern
    else:
        compiled = f"{_SENTINELS[sentinel]}(?:{pattern}){_SENTINELS[sentinel]}"
    try:
        index = Index(compiled, vocabulary.index)
    except ValueError as exc:
        raise ConstraintError(
            _index_error(constraint, tokenizer, str(exc)), kind=constraint.kind
        ) from None
    transitions = index.get_transitions()
    start = index.get_initial_state()
    finals = set(index.get_final_states())
    if sentinel is not None:
        # Start after the opening sentinel; the final states are those the closing one
        # leads from. The states after it are left with no way to a final state, so the
        # automaton drops them, and every move into them (real tokens holding the
        # sentinel character).
        sentinel_id = vocabulary.sentinel_ids[sentinel]
        start = transitions.pop(start, {}).get(sentinel_id, start)
        closed = finals
        finals = {state for state, moves in transitions.items() if moves.get(sentinel_id) in closed}
        for state in closed:
            transitions.pop(state, None)
    dropped = (vocabulary.eos, *vocabulary.sentinel_ids.values())
    for moves in transitions.values():  # outlines lets EOS loop on final states; we end there
        for token in dropped:
            moves.pop(token, None)
    del index
    automaton = TokenAutomaton(
        transitions,
        start,
        finals,
        vocab_size=vocab_size,
        eos_ids=eos,
        device=device,
        pattern=pattern,
        kind=constraint.kind,
        consume=True,
    )
    if automaton.min_tokens == 0 and not automaton.can_continue(automaton.start):
        raise ConstraintError(
            f"the {constraint.kind} constraint {_shown(pattern)} matches only the empty output",
            kind=constraint.kind,
        )
    return automaton


def _index_error(constraint: Constraint, tokenizer: Tokenizer, message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    if "Found no transitions" in message or "incompatible with the regex" in message:
        return (
            f"no output of tokenizer {tokenizer.name!r} matches the {constraint.kind} "
            f"constraint {_shown(constraint.decoding_pattern)}: the pattern matches nothing, or "
            "only characters no token can write"
        )
    if "universal start state" in message:
        return (
            f"{constraint.kind} constraint cannot be compiled for tokenizer "
            f"{tokenizer.name!r}: it uses an anchor or a word boundary (^, $, \\A, \\z, \\b), "
            "which constrained decoding cannot enforce; the whole output must match anyway, "
            "so leave anchors out"
        )
    return (
        f"{constraint.kind} constraint cannot be compiled for tokenizer {tokenizer.name!r}: {first}"
    )


def _shown(pattern: str, limit: int = 200) -> str:
    """``pattern`` quoted for a message, cut short when long (a schema's can be pages)."""
    return repr(pattern) if len(pattern) <= limit else repr(pattern[:limit]) + "..."


def _vocabulary(tokenizer: Tokenizer, vocab_size: int, eos: tuple[int, ...]) -> _Vocabulary:
    from outlines_core import Vocabulary

    key = (vocab_size, eos)
    with _lock:
        cached = _vocabularies.setdefault(tokenizer, {}).get(key)
    if cached is not None:
        return cached
    # The ordinary tokens are the mergeable ranks (rank = id); special tokens are not among
    # them, and ids the tokenizer does not use are simply absent.
    tokens = {
        text: [rank]
        for text, rank in tokenizer.mergeable_ranks.items()
        if rank < vocab_size and text
    }
    profile = VocabularyProfile.of(tokens)
    # outlines wants one EOS id outside the text tokens; without one, any free id does.
    index_eos = eos[0] if eos else vocab_size
    # Each sentinel is one more token, with an id no real token has (its text may be a
    # real token's too: both move to the same state, and the extra id is dropped after).
    first_free = max(vocab_size, index_eos) + 1
    sentinel_ids = {char: first_free + i for i, char in enumerate(_SENTINELS)}
    for char, token_id in sentinel_ids.items():
        text = char.encode()
        tokens[text] = [*tokens.get(text, []), token_id]
    result = _Vocabulary(Vocabulary(index_eos, tokens), index_eos, sentinel_ids, profile)
    with _lock:
        _vocabularies[tokenizer][key] = result
    return result
