"""The one context-length policy: how a prompt, the tokens asked for and a model's context
fit together. The generator (:meth:`Generator.prompt_ids <promptcraft.nn.Generator.prompt_ids>`),
the batch engine, ranked choices and the local backend all fit prompts through a
:class:`ContextWindow`; only the knobs differ:

=================  ==========================================  ===========================
knob               the local backend                           a Generator
=================  ==========================================  ===========================
``size``           its ``max_context`` (at most the model's    the model's context
                   context less an adapter's prefix)           less an adapter's prefix
``truncate``       its ``truncate`` (``"left"`` or None)       ``truncate=True`` per call
``bos``            the model's BOS, kept when truncating       None (kept as it was)
``model``          its name, in messages                       None ("the model's context")
``shrink``         an unset ``max_tokens`` shrinks to the      never
                   room the prompt leaves
=================  ==========================================  ===========================

A prompt that does not fit raises :class:`~promptcraft.errors.EngineContextLengthError`, a
:class:`~promptcraft.errors.ContextLengthError` carrying ``prompt_tokens`` and
``max_context``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import EngineContextLengthError
from ..types import GenerationParams

__all__ = ["GENERATOR_TRUNCATE_HINT", "ContextWindow", "Truncation"]

Truncation = Literal["left"]

#: How a caller of a Generator drops the prompt's oldest tokens instead.
GENERATOR_TRUNCATE_HINT = "pass truncate=True"


@dataclass(frozen=True)
class ContextWindow:
    """``size`` positions for a prompt and its completion, and what to do when they do not
    fit: with ``truncate="left"`` the prompt loses its oldest tokens (a leading ``bos``
    stays), with ``shrink`` a call that did not set ``max_tokens`` gets the room the prompt
    leaves (at least ``min_tokens`` of it); otherwise :class:`EngineContextLengthError`.
    ``model`` names the model in messages, ``truncate_hint`` says how to truncate."""

    size: int
    truncate: Truncation | None = None
    bos: int | None = None
    model: str | None = None
    shrink: bool = False
    truncate_hint: str = EngineContextLengthError.TRUNCATE_HINT

    def fit(self, ids: list[int], params: GenerationParams) -> tuple[list[int], GenerationParams]:
        """The prompt ``ids`` and ``params`` fitted to the window (both returned as they were
        when they fit)."""
        explicit = not self.shrink or "max_tokens" in params.model_fields_set
        fitted, max_tokens = self._fit(ids, params.max_tokens, explicit, params.min_tokens)
        if max_tokens != params.max_tokens:
            return fitted, params.model_copy(update={"max_tokens": max_tokens})
        return fitted, params

    def fit_prompt(self, ids: list[int], max_tokens: int) -> list[int]:
        """The prompt ``ids`` fitted to the window with ``max_tokens`` after it (which never
        shrinks)."""
        return self._fit(ids, max_tokens, True, 0)[0]

    def _fit(
        self, ids: list[int], wanted: int, explicit: bool, min_tokens: int
    ) -> tuple[list[int], int]:
        n, context = len(ids), self.size
        if n + wanted <= context:
            return ids, wanted
        room = context - n
        if not explicit and room >= max(1, min_tokens):
            return ids, room
        kept = self._kept(ids, context - wanted)
        if kept is not None:
            return kept, wanted
        where = self._where()
        if self.truncate == "left":  # only max_tokens itself can leave no room for any prompt
            problem = (
                f"max_tokens is {wanted}, which leaves no room for the prompt in {where}, even "
                "truncated (lower max_tokens)"
            )
        elif explicit:
            problem = (
                f"the prompt has {n} tokens and max_tokens is {wanted}: {n + wanted} exceeds "
                f"{where} (shorten the prompt, lower max_tokens, or {self.truncate_hint})"
            )
        elif min_tokens > max(room, 0) >= 1:  # the caller asked for min_tokens, not max
            problem = (
                f"the prompt has {n} tokens, which leaves {room} of {where} for the completion, "
                f"but min_tokens is {min_tokens} (shorten the prompt, lower min_tokens, or "
                f"{self.truncate_hint})"
            )
        else:
            problem = (
                f"the prompt has {n} tokens, which leaves no room for a completion in {where} "
                f"(shorten the prompt, or {self.truncate_hint})"
            )
        raise EngineContextLengthError(problem, prompt_tokens=n, max_context=context)

    def fit_continuations(self, ids: list[int], longest: int) -> list[int]:
        """The prompt ``ids`` fitted so that continuations of up to ``longest`` tokens follow
        it in the window (ranked choices score each option after the prompt)."""
        n, context = len(ids), self.size
        if n + longest <= context:
            return ids
        kept = self._kept(ids, context - longest)
        if kept is not None:
            return kept
        raise EngineContextLengthError(
            f"the prompt has {n} tokens and the longest choice {longest}: {n + longest} "
            f"exceeds {self._where()} (shorten the prompt or the choices, or "
            f"{self.truncate_hint})",
            prompt_tokens=n,
            max_context=context,
        )

    def _kept(self, ids: list[int], keep: int) -> list[int] | None:
        """The last ``keep`` tokens of ``ids`` (a leading BOS among them), when truncating
        is on and leaves at least one; else None."""
        if self.truncate != "left" or keep < 1:
            return None
        if self.bos is not None and ids[0] == self.bos and keep >= 2:
            return [self.bos, *ids[len(ids) - keep + 1 :]]
        return ids[len(ids) - keep :]

    def _where(self) -> str:
        if self.model is None:
            return f"the model's context of {self.size} tokens"
        return f"the context of {self.size} tokens of model {self.model!r}"
