"""``device=``: the CPU by default, CUDA where torch has it, and a clear error naming the
device otherwise. The CUDA tests run only where a GPU is visible."""

from __future__ import annotations

import threading

import pytest
import torch

import promptcraft as pc
from promptcraft.errors import DeviceError, EngineError
from promptcraft.nn import GenerationParams, load_model
from promptcraft.nn.continuous_batching import Delivery
from promptcraft.nn.device import resolve_device

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="torch.cuda.is_available() is false here")


def test_the_cpu_is_the_default() -> None:
    assert resolve_device(None) == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    backend = pc.load_backend("pc-tiny", device="cpu")
    assert backend.decoder.device == torch.device("cpu")  # type: ignore[attr-defined]


def test_an_unknown_device_is_refused_before_anything_loads() -> None:
    with pytest.raises(DeviceError, match="unknown device 'gpu'; use 'cpu' or 'cuda'") as info:
        load_model("/no/such/model", device="gpu")  # not a ModelLoadError: refused first
    assert info.value.device == "gpu"
    assert isinstance(info.value, EngineError) and isinstance(info.value, ValueError)


def test_a_device_torch_knows_but_the_engine_does_not_is_named() -> None:
    with pytest.raises(DeviceError, match="device 'meta' is not supported"):
        pc.load_backend("pc-tiny", device="meta")


def test_an_unavailable_cuda_device_is_named() -> None:
    missing = f"cuda:{torch.cuda.device_count()}" if CUDA else "cuda"
    with pytest.raises(DeviceError, match=f"device '{missing}' is not available") as info:
        pc.load_backend("pc-tiny", device=missing)
    assert info.value.device == missing


@needs_cuda
def test_a_model_loads_and_generates_on_cuda() -> None:
    backend = pc.load_backend("pc-tiny", device="cuda")
    decoder = backend.decoder  # type: ignore[attr-defined]
    assert decoder.device.type == "cuda"
    out = backend.generate("Q: what is two plus two?\nA:", max_tokens=6, temperature=0)
    assert out.usage.completion_tokens >= 1
    cache = backend.generator._cache.kv  # type: ignore[attr-defined]
    assert cache is not None and cache.keys[0].device.type == "cuda"
    batch = backend.generate_batch(["red", "a blue dog"], max_tokens=3, temperature=0.8, seed=1)
    assert len(batch) == 2
    ranked = backend.rank_choices(["The sky is"], ["blue", "green"])
    assert len(ranked[0].scores) == 2


@needs_cuda
def test_the_batch_engine_runs_on_cuda() -> None:
    backend = pc.load_backend("pc-tiny", device="cuda")
    engine = backend.batch_engine(max_batch=2, own_thread=False)  # type: ignore[attr-defined]
    finished = threading.Event()
    delivered: list[Delivery] = []

    def deliver(item: Delivery) -> None:
        delivered.append(item)
        if isinstance(item, BaseException) or item.finish_reason is not None:
            finished.set()

    engine.submit([5, 6, 7], GenerationParams(max_tokens=3, temperature=0), deliver)
    engine.work_here(lambda: not finished.is_set())
    assert not isinstance(delivered[-1], BaseException)


@needs_cuda
def test_quantised_weights_stay_on_the_cpu() -> None:
    with pytest.raises(DeviceError, match="dtype 'int4' computes on the CPU only"):
        load_model("pc-tiny", dtype="int4", device="cuda")
