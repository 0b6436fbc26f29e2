"""The live part of a token automaton, packed into tensors.

outlines-core hands its transitions over as a dict of dicts, about 130 bytes a transition;
a 100k-token vocabulary makes that hundreds of megabytes for a small schema. Here the
states from which a final state can be reached are renumbered 0..n-1 and their moves kept
in CSR form, two int32 tensors: 8 bytes a transition.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import cast

import torch

__all__ = ["PackedGraph", "distances_to_final", "pack_live_graph"]


@dataclass(frozen=True)
class PackedGraph:
    """The live states renumbered 0..n-1 (``number``: old id -> new), their moves in CSR
    form (state ``s`` moves on ``tokens[offsets[s]:offsets[s+1]]`` to the same slice of
    ``targets``), and each state's distance to a final state, in tokens."""

    number: dict[int, int]
    offsets: torch.Tensor
    tokens: torch.Tensor
    targets: torch.Tensor
    distance: torch.Tensor


def pack_live_graph(
    transitions: Mapping[int, Mapping[int, int]],
    distance: Mapping[int, int],
    *,
    consume: bool,
) -> PackedGraph:
    """The states of ``distance`` (those that can reach a final state) and their moves into
    such states, packed. With ``consume``, ``transitions`` is a mutable mapping whose states
    are popped as they are read: the dicts are most of the peak memory of a compile."""
    live = sorted(distance)
    pop = cast(MutableMapping[int, Mapping[int, int]], transitions).pop if consume else None
    counts = array("q")
    tokens = array("q")
    old_targets = array("q")
    for state in live:
        moves = pop(state, {}) if pop is not None else transitions.get(state, {})
        counts.append(len(moves))
        tokens.extend(moves.keys())
        old_targets.extend(moves.values())
    live_ids = torch.tensor(live, dtype=torch.int64)
    targets = _as_tensor(old_targets)
    del old_targets
    found = torch.searchsorted(live_ids, targets).clamp(max=len(live) - 1)
    keep = live_ids[found] == targets
    del targets
    sources = torch.repeat_interleave(torch.arange(len(live)), _as_tensor(counts))
    offsets = torch.zeros(len(live) + 1, dtype=torch.int64)
    offsets[1:] = torch.bincount(sources[keep], minlength=len(live)).cumsum(0)
    return PackedGraph(
        number={state: i for i, state in enumerate(live)},
        offsets=offsets,
        tokens=_as_tensor(tokens)[keep].to(torch.int32),
        targets=found[keep].to(torch.int32),
        distance=torch.tensor([distance[s] for s in live], dtype=torch.int32),
    )


def _as_tensor(values: array) -> torch.Tensor:
    """An int64 tensor sharing ``values``' memory (an empty one for no values)."""
    if not values:
        return torch.zeros(0, dtype=torch.int64)
    return torch.frombuffer(values, dtype=torch.int64)


def distances_to_final(
    transitions: Mapping[int, Mapping[int, int]], finals: set[int]
) -> dict[int, int]:
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
