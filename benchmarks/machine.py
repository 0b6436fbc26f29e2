"""What the benchmark reports say about the machine they ran on, and the command line of
the probes that compare several models on one machine."""

from __future__ import annotations

import argparse
import platform
from collections.abc import Sequence
from pathlib import Path

__all__ = ["cpu_name", "parse_probe_args"]


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo, else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def parse_probe_args(
    doc: str, argv: Sequence[str] | None, *, n: int, n_help: str
) -> argparse.Namespace:
    """``models`` (directories), ``--n`` and ``--threads``; torch uses that many threads."""
    import torch

    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=Path, help="model directories (HF layout)")
    parser.add_argument("--n", type=int, default=n, help=n_help)
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    return args
