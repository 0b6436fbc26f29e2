"""``compile=True``: decoding steps through torch.compile give what eager decoding gives, and a
compiler that fails leaves decoding eager, with a warning."""

from __future__ import annotations

import pytest
import torch

from promptcraft.backends import LocalBackend
from promptcraft.nn import Decoder, load_model
from promptcraft.tokenizers.tokenizer import Tokenizer

Model = tuple[Decoder, Tokenizer]
PROMPT = "Count the words: red blue green\nAnswer:"


@pytest.fixture(scope="module")
def pc_tiny() -> Model:
    return load_model("pc-tiny")


def _greedy(pc_tiny: Model, *, compile: bool) -> tuple[LocalBackend, str]:
    backend = LocalBackend(*pc_tiny, compile=compile)
    out = backend.generate(PROMPT, max_tokens=12, temperature=0, ignore_eos=True)
    return backend, out.text


def test_compiled_decoding_gives_the_eager_tokens(pc_tiny: Model) -> None:
    _, eager = _greedy(pc_tiny, compile=False)
    backend, compiled = _greedy(pc_tiny, compile=True)
    step = backend.generator._cache.step
    assert step is not None and step.failure is None and step._compiled is not None
    assert compiled == eager


def test_a_failing_compiler_decodes_eagerly_with_a_warning(
    pc_tiny: Model,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, eager = _greedy(pc_tiny, compile=False)

    def no_compiler(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no C++ compiler found")

    monkeypatch.setattr(torch, "compile", no_compiler)
    with pytest.warns(RuntimeWarning, match="no C\\+\\+ compiler"):
        backend, text = _greedy(pc_tiny, compile=True)
    step = backend.generator._cache.step
    assert text == eager and step is not None and step.failure is not None
