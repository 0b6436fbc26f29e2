"""Shared helpers of the structured-output tests (a plain module: conftest modules are not
importable)."""

from __future__ import annotations

from promptcraft.backends import LocalBackend
from promptcraft.structured import Constraint, TokenAutomaton, compile_constraint


def compile_on(backend: LocalBackend, constraint: Constraint) -> TokenAutomaton:
    """``constraint`` compiled for ``backend``'s tokenizer and model, as generation does."""
    return compile_constraint(
        constraint,
        backend.tokenizer,
        vocab_size=backend.decoder.config.vocab_size,
        eos_ids=sorted(backend.generator.eos_ids),
    )
