"""GGUF files read by our loader against transformers' own GGUF loader, on small random
models written the way llama.cpp writes them: the same logits and the same greedy tokens,
for each architecture and each tensor type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest
import torch
from support.gguf_models import (
    FLOAT_AND_BLOCK_TYPES,
    K_QUANT_SHAPE,
    K_QUANTS,
    converter_tensors,
    permute,
    random_hf_model,
    transformers_gguf_model,
    write_gguf,
)

from promptcraft.nn import Decoder, Generator, load_model
from promptcraft.nn.loaders import open_source
from promptcraft.nn.loaders.gguf_file import interleaved_row_order
from promptcraft.tokenizers.tokenizer import Tokenizer

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

ARCHITECTURES = ["llama", "qwen2", "gpt2"]


@dataclass
class Pair:
    """One GGUF file, read by us and by transformers."""

    path: Path
    ours: Decoder
    tokenizer: Tokenizer
    theirs: Any


@pytest.fixture(scope="module")
def gguf_pair(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Pair]:
    """``gguf_pair(arch, kind)``: a random ``arch`` model written with its matrices as
    ``kind``, loaded by both sides once per module."""
    folder = tmp_path_factory.mktemp("gguf-parity")
    built: dict[tuple[str, str], Pair] = {}
    models: dict[tuple[str, bool], tuple[Any, dict[str, np.ndarray]]] = {}

    def get(arch: str, kind: str) -> Pair:
        if (arch, kind) not in built:
            k_quant = kind in K_QUANTS
            if (arch, k_quant) not in models:
                model = random_hf_model(arch, K_QUANT_SHAPE) if k_quant else random_hf_model(arch)
                models[arch, k_quant] = (model.config, converter_tensors(model, arch))
            config, tensors = models[arch, k_quant]
            path = write_gguf(folder / f"{arch}-{kind}.gguf", arch, config, tensors, kind)
            ours, tokenizer = load_model(path, dtype="float32")
            built[arch, kind] = Pair(path, ours, tokenizer, transformers_gguf_model(path))
        return built[arch, kind]

    return get


def _prompt(n: int = 24, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, 256, (1, n), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("kind", FLOAT_AND_BLOCK_TYPES + K_QUANTS)
@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_logits_match_transformers_gguf_loader(gguf_pair, arch: str, kind: str) -> None:
    pair: Pair = gguf_pair(arch, kind)
    ids = _prompt()
    with torch.no_grad():
        expected = pair.theirs(ids).logits
    with torch.inference_mode():
        actual = pair.ours(ids)
    torch.testing.assert_close(actual, expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("kind", FLOAT_AND_BLOCK_TYPES + K_QUANTS)
@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_greedy_tokens_match_transformers_gguf_loader(gguf_pair, arch: str, kind: str) -> None:
    pair: Pair = gguf_pair(arch, kind)
    ids = _prompt(seed=2)
    with torch.no_grad():
        expected = pair.theirs.generate(
            ids, max_new_tokens=32, min_new_tokens=32, do_sample=False, pad_token_id=0
        )[0, ids.shape[1] :].tolist()
    out = Generator(pair.ours, pair.tokenizer).generate(
        ids[0].tolist(), max_tokens=32, min_tokens=32, temperature=0
    )
    assert out.token_ids == expected
    assert len(set(expected)) >= 8, "a degenerate model: greedy decoding repeats itself"


@pytest.mark.parametrize("kind", [*K_QUANTS, "BF16", "Q4_1"])
def test_tensors_equal_ggufs_reference_dequantization(gguf_pair, kind: str) -> None:
    """Each tensor we read is gguf's own dequantisation of the stored blocks, with the
    query and key rows back in Hugging Face order."""
    path = gguf_pair("llama", kind).path
    source = open_source(path)
    reader = gguf.GGUFReader(path)
    heads, kv_heads = source.config.n_heads, source.config.n_kv_heads
    for entry in reader.tensors:
        expected = gguf.quants.dequantize(entry.data, entry.tensor_type)
        (tensor,) = [t for t in source.tensors.values() if t.name == entry.name]
        ours = tensor.read().numpy()
        if ".attn_q." in entry.name:
            ours = permute(ours, heads, heads)
        elif ".attn_k." in entry.name:
            ours = permute(ours, heads, kv_heads)
        np.testing.assert_array_equal(ours, expected, err_msg=entry.name)


def test_row_order_undoes_llama_cpp_permutation() -> None:
    rows = torch.randn(48, 5).numpy()
    for heads, kv_heads in [(6, 6), (6, 2), (6, 3)]:
        stored = permute(rows, heads, kv_heads)
        assert np.array_equal(stored[interleaved_row_order(48, kv_heads)], rows)
