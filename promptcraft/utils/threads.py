"""How many CPU threads a local model computes with: a setting of each backend.

torch has one thread count for the whole process (``torch.set_num_threads``). A backend
keeps its own (``LocalBackend(threads=...)``, ``load_backend(..., threads=N)``,
``--threads`` in the CLI) and computes each call with it, then puts the process's setting
back (a switch costs about 70 µs, once per call), so two backends with different counts each
run with theirs, and training in the same process keeps its own.

Why the default is not torch's (one thread per core): on a machine whose cores other
processes share, a thread that waits for a busy core stalls every operation of every layer.
Measured on this project's 2-core machines (``python benchmarks/threads.py``,
``benchmarks/results/threads.md``), tokens/s at 1 and 2 threads:

=========================  ======================  ======================
SmolLM2-135M                idle                    one core busy
=========================  ======================  ======================
decode (batch 1)           24.8 and 24.8           23.1 and 9.1
prefill (150 tokens)       359 and 584             355 and 161
=========================  ======================  ======================

pc-tiny decodes at 550 and 433 idle, 484 and 205 with a core busy. One thread never decodes
slower, and loses only prefill on idle cores; two threads lose 2-2.5x as soon as another
process wants a core. So one thread is the default; pass ``threads=2`` for long prompts on
cores of your own.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = ["DEFAULT_THREADS", "apply_threads", "resolve_threads", "threads_applied"]

#: Threads when none are asked for (see the module's docstring for the measurement).
DEFAULT_THREADS = 1


def resolve_threads(threads: int | None) -> int:
    """``threads``, checked (a whole number from 1 to the machine's CPU count), or
    :data:`DEFAULT_THREADS` when it is None."""
    if threads is None:
        return min(DEFAULT_THREADS, os.cpu_count() or 1)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a whole number of at least 1, not {threads!r}")
    cpus = os.cpu_count() or threads
    if threads > cpus:
        raise ValueError(f"threads={threads} is more than this machine's {cpus} CPUs")
    return threads


def apply_threads(threads: int) -> None:
    """Make torch compute with ``threads`` threads, when it does not already."""
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


@contextlib.contextmanager
def threads_applied(threads: int) -> Iterator[None]:
    """Compute with ``threads`` threads inside the block; the setting before it after."""
    import torch

    before = torch.get_num_threads()
    apply_threads(threads)
    try:
        yield
    finally:
        apply_threads(before)
