"""``threads=``: each local backend computes with its own CPU thread count, set at the start
of every call, whatever the process's torch setting was before."""

from __future__ import annotations

import os
from typing import Any

import pytest
import torch

from promptcraft.backends import LocalBackend, load_backend
from promptcraft.utils.threads import DEFAULT_THREADS, resolve_threads


@pytest.fixture(scope="module")
def tiny() -> LocalBackend:
    return LocalBackend.load("pc-tiny")


def test_a_backend_without_threads_takes_the_measured_default(tiny: LocalBackend) -> None:
    assert tiny.threads == min(DEFAULT_THREADS, os.cpu_count() or 1)


def test_each_call_computes_with_the_backends_threads_and_puts_the_setting_back(
    tiny: LocalBackend,
) -> None:
    most = min(2, os.cpu_count() or 1)
    seen: list[int] = []

    def watched(threads: int) -> LocalBackend:
        backend = LocalBackend(tiny.decoder, tiny.tokenizer, model="pc-tiny", threads=threads)
        generate = backend.generator.generate

        def generating(*args: Any, **kwargs: Any) -> Any:  # what the decoder runs with
            seen.append(torch.get_num_threads())
            return generate(*args, **kwargs)

        backend.generator.generate = generating  # type: ignore[method-assign]
        return backend

    one, other = watched(1), watched(most)
    torch.set_num_threads(most)
    one.generate("Hello", max_tokens=2, temperature=0)
    other.generate("Hello", max_tokens=2, temperature=0)
    assert torch.get_num_threads() == most  # the process's own setting, back
    torch.set_num_threads(1)
    other.generate("Hello", max_tokens=2, temperature=0)
    assert torch.get_num_threads() == 1
    assert seen == [1, most, most]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_threads_that_are_not_a_whole_number_from_one_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="threads must be a whole number of at least 1"):
        resolve_threads(bad)  # type: ignore[arg-type]


def test_more_threads_than_cpus_are_refused() -> None:
    with pytest.raises(ValueError, match="more than this machine's"):
        load_backend("pc-tiny", threads=(os.cpu_count() or 1) + 1)
