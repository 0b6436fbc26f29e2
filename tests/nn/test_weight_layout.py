"""The weights' memory layout is chosen once, when a model loads or a generator is built;
no generation call lays them out again."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from promptcraft.backends.local import LocalBackend
from promptcraft.nn import Decoder, GenerationParams, Generator, load_model
from promptcraft.nn.continuous_batching import Delivery
from promptcraft.tokenizers.tokenizer import Tokenizer


def _column_major(model: Decoder) -> bool:
    return bool(model.layers[0].attn.qkv.weight.stride(0) == 1)


def test_a_loaded_float32_model_is_laid_out_for_decoding_on_the_cpu() -> None:
    model, _ = load_model("pc-tiny")
    assert _column_major(model)  # float32 on a CPU streams column-major weights faster


def test_building_a_generator_lays_out_the_weights(
    tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    model = tiny_model()
    assert not _column_major(model)  # as nn.Linear allocates them
    Generator(model, bundled_tokenizer)
    assert _column_major(model)
    assert all(p.requires_grad for p in model.parameters())  # still trainable


def test_no_generation_call_lays_the_weights_out_again(
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = LocalBackend(tiny_model(), bundled_tokenizer)
    engine = backend.batch_engine(max_batch=2, own_thread=False)
    calls: list[str] = []
    monkeypatch.setattr(Decoder, "use_fast_layout", lambda self, **_: calls.append("layout"))
    greedy = {"max_tokens": 3, "temperature": 0, "ignore_eos": True}
    backend.generate("red cat", **greedy)
    backend.generate_batch(["red cat", "a blue dog"], **greedy)
    assert "".join(c.text or "" for c in backend.stream("red cat", **greedy)) is not None
    backend.rank_choices(["red cat is"], ["red", "blue"])
    generator = backend.generator
    generator.generate([5, 6, 7], max_tokens=2, temperature=0)
    delivered: list[Delivery] = []
    finished = threading.Event()

    def deliver(item: Delivery) -> None:
        delivered.append(item)
        if isinstance(item, BaseException) or item.finish_reason is not None:
            finished.set()

    engine.submit([5, 6, 7], GenerationParams(max_tokens=2, temperature=0), deliver)
    engine.work_here(lambda: not finished.is_set())
    assert finished.is_set() and not isinstance(delivered[-1], BaseException)
    assert calls == []
