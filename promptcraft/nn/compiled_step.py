"""``compile=True``: a generation's decoding steps through ``torch.compile`` (inductor's CPU
backend), the prompt itself eagerly.

A decoding step runs a dozen small operations per layer, and on SmolLM2's 30 narrow layers
their Python and dispatch overhead costs as much as the weights: an int4 step took 13 ms
eagerly and 8 ms compiled (2 threads; ``benchmarks/decode_profile.py``). Compiling costs
about a minute on 2 cores the first time and is cached on disk (inductor's cache) for the
next process (about 20 s then), so it is an option for long runs and servers, not the
default. (Inductor's C++ wrapper saved another 0.25 ms a step but compiled for 70 s.)

Only single-sequence steps are compiled (a batch with padding would compile a second
graph); shapes are marked dynamic so the growing cache never recompiles. Where compiling
fails (no C++ compiler), the step warns once and runs eagerly.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from .kv_cache import KVCache
from .model import Decoder

__all__ = ["CompiledStep"]

# Checking before every step that no module of the model changed took about 1 ms of a 9 ms
# int4 step (dynamo's guards over 30 layers); a loaded model's modules never change (an
# adapter copies its weights into them in place), so those guards are skipped.
_SKIP_MODULE_GUARDS = getattr(torch.compiler, "skip_guard_on_all_nn_modules_unsafe", None)
_OPTIONS = {} if _SKIP_MODULE_GUARDS is None else {"guard_filter_fn": _SKIP_MODULE_GUARDS}


class CompiledStep:
    """Calls ``model(tokens, cache=cache, start=start)`` through torch.compile."""

    def __init__(self, model: Decoder):
        self.model = model
        self._compiled: Callable[..., torch.Tensor] | None = None
        #: Why compiling failed (the step then runs eagerly); None while it works.
        self.failure: str | None = None

    def __call__(self, tokens: torch.Tensor, *, cache: KVCache, start: int) -> torch.Tensor:
        if self.failure is None:
            try:
                if self._compiled is None:
                    self._compiled = torch.compile(self.model, dynamic=True, options=_OPTIONS)
                return self._compiled(tokens, cache=cache, start=start)
            except Exception as exc:  # any compiler failure: decode eagerly
                self.failure = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                warnings.warn(
                    f"torch.compile failed, decoding without it ({self.failure})",
                    RuntimeWarning,
                    stacklevel=2,
                )
        return self.model(tokens, cache=cache, start=start)
