"""A constraint compiled for one tokenizer: a token automaton the decoder steps through.

``outlines-core`` turns the constraint's regular expression into an ``Index``: a DFA whose
transitions are whole tokens of the vocabulary, computed once. From it we precompute, per
state, one int tensor over the vocabulary: the tokens the model must still write to finish
if it picks each token next (disallowed tokens cost "infinity"). Each decoding step is then a
single comparison, ``cost[state] <= tokens_left``, giving the allowed-token mask; it never lets
the model start something it cannot finish within ``max_tokens``, so a constrained output
always completes (and always parses).

Compiled automata are cached per tokenizer and pattern: a prompt run many times with the same
schema compiles it once.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Sequence

import torch

from ..errors import ConstraintError
from ..tokenizer import Tokenizer
from .constraints import Constraint

__all__ = ["TokenAutomaton", "compile_constraint"]

# Costs are int16 (half the memory of int32 per state and vocabulary row); a token the
# constraint forbids costs the most, and budgets are clamped below it.
_FORBIDDEN = torch.iinfo(torch.int16).max
# Compiled automata kept per tokenizer (least recently used beyond this are dropped).
_CACHE_SIZE = 64


class TokenAutomaton:
    """The states of a constraint over a vocabulary, with the per-state token costs the
    decoder masks logits with. Implements :class:`promptcraft.nn.sampling.TokenConstraint`."""

    def __init__(
        self,
        transitions: dict[int, dict[int, int]],
        start: int,
        finals: set[int],
        *,
        vocab_size: int,
        eos_ids: Sequence[int],
        device: torch.device,
        pattern: str,
    ):
        self.start = start
        self.pattern = pattern
        self.vocab_size = vocab_size
        self._transitions = transitions
        self._finals = finals
        self._eos = [i for i in eos_ids if i < vocab_size]
        self._device = device
        self._distance = _distances_to_final(transitions, finals)
        self._costs: dict[int, torch.Tensor] = {}
        if start not in self._distance:
            raise ConstraintError(
                f"no output of this vocabulary matches the pattern {pattern!r}", kind="regex"
            )

    @property
    def min_tokens(self) -> int:
        """The fewest tokens any matching output takes."""
        return self._distance[self.start]

    @property
    def num_states(self) -> int:
        return len(self._transitions)

    def allowed(self, state: int, budget: int) -> torch.Tensor:
        """A bool mask [vocab]: the tokens that may come next in ``state`` such that the
        output can still be finished within ``budget`` tokens (this one included)."""
        costs = self._costs.get(state)
        if costs is None:
            costs = self._costs[state] = self._cost_row(state)
        return costs <= min(budget, _FORBIDDEN - 1)

    def advance(self, state: int, token_id: int) -> int:
        """The state after ``token_id``; :class:`ValueError` if the constraint forbids it."""
        try:
            return self._transitions[state][token_id]
        except KeyError:
            raise ValueError(
                f"token {token_id} is not allowed in state {state} of {self.pattern!r}"
            ) from None

    def is_final(self, state: int) -> bool:
        """The output so far is a complete match."""
        return state in self._finals

    def can_continue(self, state: int) -> bool:
        """Some token may still extend the output."""
        return bool(self._transitions.get(state))

    def _cost_row(self, state: int) -> torch.Tensor:
        row = torch.full((self.vocab_size,), _FORBIDDEN, dtype=torch.int16)
        moves = self._transitions.get(state, {})
        reachable = [(t, self._distance[s]) for t, s in moves.items() if s in self._distance]
        if reachable:
            tokens, distances = zip(*reachable, strict=True)
            costs = torch.tensor(distances, dtype=torch.int32) + 1
            row[list(tokens)] = costs.clamp(max=_FORBIDDEN - 1).to(torch.int16)
        if state in self._finals and self._eos:
            row[self._eos] = 1
        return row.to(self._device)


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
    A pattern the regex engine rejects raises :class:`ConstraintError`."""
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
        while len(per_tokenizer) > _CACHE_SIZE:
            per_tokenizer.popitem(last=False)
    return automaton


# --- building ----------------------------------------------------------------------------------

_lock = threading.Lock()
_automata: weakref.WeakKeyDictionary[Tokenizer, OrderedDict[tuple, TokenAutomaton]] = (
    weakref.WeakKeyDictionary()
)
_vocabularies: weakref.WeakKeyDictionary[Tokenizer, dict[tuple, tuple]] = (
    weakref.WeakKeyDictionary()
)


def _build(
    constraint: Constraint,
    tokenizer: Tokenizer,
    vocab_size: int,
    eos: tuple[int, ...],
    device: torch.device,
) -> TokenAutomaton:
    from outlines_core import Index

    vocabulary, index_eos = _vocabulary(tokenizer, vocab_size, eos)
    try:
        index = Index(constraint.decoding_pattern, vocabulary)
    except ValueError as exc:
        raise ConstraintError(
            f"{constraint.kind} constraint cannot be compiled for tokenizer "
            f"{tokenizer.name!r}: {exc}",
            kind=constraint.kind,
        ) from None
    transitions = index.get_transitions()
    for moves in transitions.values():  # outlines lets EOS loop on final states; we end there
        moves.pop(index_eos, None)
    return TokenAutomaton(
        transitions,
        index.get_initial_state(),
        set(index.get_final_states()),
        vocab_size=vocab_size,
        eos_ids=eos,
        device=device,
        pattern=constraint.decoding_pattern,
    )


def _vocabulary(tokenizer: Tokenizer, vocab_size: int, eos: tuple[int, ...]) -> tuple:
    """The outlines ``Vocabulary`` of the text tokens (control tokens never appear in a
    constrained output), and the EOS id it was given."""
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
    # outlines wants one EOS id outside the text tokens; without one, any free id does.
    index_eos = eos[0] if eos else vocab_size
    result = (Vocabulary(index_eos, tokens), index_eos)
    with _lock:
        _vocabularies[tokenizer][key] = result
    return result


def _distances_to_final(transitions: dict[int, dict[int, int]], finals: set[int]) -> dict[int, int]:
    """For each state from which a final state is reachable, the fewest tokens to get there
    (a breadth-first search backwards from the final states)."""
    incoming: dict[int, set[int]] = {}
    for state, moves in transitions.items():
        for target in set(moves.values()):
            incoming.setdefault(target, set()).add(state)
    distance = dict.fromkeys(finals, 0)
    queue = deque(finals)
    while queue:
        state = queue.popleft()
        for previous in incoming.get(state, ()):
            if previous not in distance:
                distance[previous] = distance[state] + 1
                queue.append(previous)
    return distance
