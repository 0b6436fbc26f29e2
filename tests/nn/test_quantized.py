"""``dtype="int8"`` and ``dtype="int4"``: projections quantised and multiplied by torch's
kernels, checked against the dequantised weights they stand for; GGUF 4-bit blocks loaded
as they are; and the quantised path is the one that runs when a model is loaded so."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from support.gguf_models import SMALL, converter_tensors, random_hf_model, write_gguf
from torch import nn

from promptcraft.backends import LocalBackend
from promptcraft.nn import load_model
from promptcraft.nn.loaders import open_source
from promptcraft.nn.loaders.load import load_decoder
from promptcraft.nn.precision import Quantization, parse_quantization
from promptcraft.nn.quantized import (
    GEMV_ROWS,
    Int4Linear,
    Int4Weight,
    Int8Embedding,
    Int8Linear,
    _block_layout_is_torchs,
    quantize_linears,
    quantized_linear,
)

INT8, INT4 = Quantization(bits=8), Quantization(bits=4, group_size=32)
QUANTIZED = (Int8Linear, Int4Linear)


def _linear(rows: int = 48, cols: int = 64, *, bias: bool = False) -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(cols, rows, bias=bias)


def test_each_int8_weight_is_within_half_a_step_of_its_row_scale() -> None:
    linear = _linear()
    layer = Int8Linear.from_linear(linear)
    error = (layer.dequantized() - linear.weight.detach()).abs()
    # half a step, and a little more where the bfloat16 scale rounded down (clamped at 127)
    assert bool((error <= layer.scales.float()[:, None] * (0.5 + 2**-7)).all())
    assert int(layer.weight_int8.abs().max()) == 127  # each row's largest weight uses the range


def test_each_int4_weight_is_within_half_a_step_of_its_group_scale() -> None:
    weight = _linear(rows=64, cols=96).weight.detach()
    quantized = Int4Weight.from_weight(weight, group_size=32)
    error = (quantized.dequantized() - weight).abs().reshape(64, 3, 32)
    # half a step, and a little more for the bfloat16 rounding of scale and zero
    assert bool((error <= quantized.scales[..., None] * (0.5 + 2**-6)).all())
    assert quantized.codes.min() == 0 and quantized.codes.max() == 15


@pytest.mark.parametrize("quantization", [INT8, INT4], ids=["int8", "int4"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("rows", [1, GEMV_ROWS - 1, GEMV_ROWS, 3 * GEMV_ROWS])
def test_the_product_is_by_the_dequantised_weight_for_any_number_of_rows(
    quantization: Quantization, bias: bool, rows: int
) -> None:
    # 192 output rows (whole 64-row blocks) and 48 (int4 keeps its codes in plain order)
    for out_features in (192, 48):
        linear = _linear(rows=out_features, bias=bias)
        layer = quantized_linear(quantization, linear.weight.detach(), linear.bias)
        x = torch.randn(1, rows, 64).bfloat16()
        bias_values = None if linear.bias is None else linear.bias.detach()
        reference = nn.functional.linear(x.float(), layer.dequantized(), bias_values)
        out = layer(x)
        assert out.shape == (1, rows, out_features) and out.dtype == torch.bfloat16
        torch.testing.assert_close(out.float(), reference, rtol=2e-2, atol=2e-2)


def test_int4_layers_return_the_codes_they_were_given_in_either_layout() -> None:
    for out_features in (192, 48):
        weight = Int4Weight.from_weight(_linear(rows=out_features).weight.detach())
        layer = Int4Linear(weight, None)
        # plain-order codes are kept only where torch's packed layout cannot be read back
        assert (layer.codes is None) == (out_features % 64 == 0 and _block_layout_is_torchs())
        assert torch.equal(layer.weight().codes, weight.codes)
        torch.testing.assert_close(layer.dequantized(), weight.dequantized())


def test_quantize_swaps_every_projection_and_keeps_the_embedding() -> None:
    model = nn.Sequential(nn.Embedding(10, 64), _linear(), nn.Sequential(_linear(64, 96)))
    quantize_linears(model.to(torch.bfloat16), INT4)
    assert not any(isinstance(m, nn.Linear) for m in model.modules())
    assert sum(isinstance(m, Int4Linear) for m in model.modules()) == 2
    assert isinstance(model[0], nn.Embedding) and model[0].weight.dtype == torch.bfloat16


def test_int4_keeps_a_layer_its_kernel_cannot_take_at_int8() -> None:
    model = nn.Sequential(_linear(rows=64, cols=40), _linear(rows=40, cols=64))
    quantize_linears(model, INT4)
    assert isinstance(model[0], Int8Linear) and isinstance(model[1], Int8Linear)


def test_int4_keeps_the_output_layer_at_int8() -> None:
    decoder, _ = load_model("pc-tiny", dtype="int4")
    assert isinstance(decoder.lm_head, Int8Linear)
    assert isinstance(decoder.layers[0].mlp.up, Int4Linear)
    assert INT4.for_layer("lm_head", 2048, 192) == INT8


@pytest.mark.parametrize("dtype", ["int8", "int4", "int4-g64"])
def test_a_quantised_model_runs_its_quantised_projections(dtype: str) -> None:
    decoder, tokenizer = load_model("pc-tiny", dtype=dtype)
    layers = [m for m in decoder.modules() if isinstance(m, QUANTIZED)]
    assert layers and not any(isinstance(m, nn.Linear) for m in decoder.modules())
    if dtype.startswith("int4"):
        quantization = parse_quantization(dtype)
        assert quantization is not None
        int4 = [layer for layer in layers if isinstance(layer, Int4Linear)]
        assert int4 and {layer.group_size for layer in int4} == {quantization.group_size}
    calls: list[int] = []
    layers[0].register_forward_hook(lambda *_: calls.append(1))
    backend = LocalBackend(decoder, tokenizer, model="pc-tiny")
    out = backend.generate("Count the words: red blue green\nAnswer:", max_tokens=4, temperature=0)
    assert calls and out.usage.completion_tokens >= 1


def test_a_tied_quantised_model_looks_tokens_up_in_its_output_layers_int8_rows() -> None:
    float_decoder, _ = load_model("pc-tiny", dtype="float32")
    decoder, _ = load_model("pc-tiny", dtype="int4")
    embedding, head = decoder.tok_emb, decoder.lm_head
    assert isinstance(embedding, Int8Embedding) and isinstance(head, Int8Linear)
    assert embedding.weight_int8.data_ptr() == head.weight_int8.data_ptr()  # one matrix
    assert decoder.dtype == torch.float32
    tokens = torch.tensor([[0, 5, 2047]])
    found, expected = embedding(tokens), float_decoder.tok_emb(tokens)
    steps = head.scales.float()[tokens].unsqueeze(-1)
    assert found.dtype == torch.float32
    assert bool(((found - expected).abs() <= steps * (0.5 + 2**-7)).all())
    decoder.tie_weights()  # as a loader or an adapter may call it: the head stays quantised
    assert isinstance(decoder.lm_head, Int8Linear) and not list(decoder.parameters(False))


def test_an_untied_quantised_model_keeps_int8_rows_of_its_own_embedding(
    q4_files: dict[str, Path],
) -> None:
    float_decoder = load_decoder(q4_files["Q4_1"], dtype="float32")
    decoder = load_decoder(q4_files["Q4_1"], dtype="int4")
    assert isinstance(decoder.tok_emb, Int8Embedding) and isinstance(decoder.lm_head, Int8Linear)
    assert decoder.tok_emb.weight_int8.data_ptr() != decoder.lm_head.weight_int8.data_ptr()
    tokens = torch.arange(decoder.config.vocab_size)[None]
    torch.testing.assert_close(
        decoder.tok_emb(tokens), float_decoder.tok_emb(tokens), rtol=0, atol=0.02
    )


@pytest.mark.skipif(
    not {"fbgemm", "x86"} & set(torch.backends.quantized.supported_engines),
    reason="this torch build has no fbgemm engine (the layer keeps torch's int8 kernel)",
)
def test_the_output_layer_decodes_on_fbgemms_dynamic_int8_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoder, _ = load_model("pc-tiny", dtype="int4")
    head = decoder.lm_head
    assert isinstance(head, Int8Linear) and head.dynamic is not None
    calls: list[int] = []
    product = torch.ops.quantized.linear_dynamic
    monkeypatch.setattr(
        torch.ops.quantized, "linear_dynamic", lambda *a: calls.append(1) or product(*a)
    )
    torch.manual_seed(0)
    for rows in (1, GEMV_ROWS - 1, GEMV_ROWS):
        x = torch.randn(1, rows, head.in_features)
        reference = nn.functional.linear(x, head.dequantized())
        # the activations are quantised to 8 bits a row: within 1% of the output's range
        torch.testing.assert_close(head(x), reference, rtol=0, atol=0.01 * reference.abs().max())
    assert calls == [1, 1]  # fewer than GEMV_ROWS rows only: a prompt dequantises instead


@pytest.mark.skipif(
    not {"fbgemm", "x86"} & set(torch.backends.quantized.supported_engines),
    reason="this torch build has no fbgemm engine (the layer keeps torch's int8 kernel)",
)
def test_rows_apart_a_rows_product_does_not_depend_on_the_rows_beside_it() -> None:
    layer = Int8Linear.from_linear(_linear())
    assert layer.use_dynamic_kernel()
    torch.manual_seed(0)
    x = torch.randn(6, 1, 64) * torch.tensor([0.1, 1.0, 50.0, 2.0, 0.5, 9.0]).view(6, 1, 1)
    together = layer.forward_rows_apart(x)
    for i in range(6):
        alone = layer.forward_rows_apart(x[i : i + 1])
        assert torch.equal(alone[0], together[i])
        reference = nn.functional.linear(x[i], layer.dequantized())
        # 8 bits per row, whatever the other rows' scale: within 1% of the row's range
        torch.testing.assert_close(
            together[i], reference, rtol=0, atol=0.01 * reference.abs().max()
        )


def test_without_fbgemm_the_output_layer_keeps_torchs_int8_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(*_: object) -> None:
        raise RuntimeError("no quantised engine")  # as a torch build without fbgemm says

    monkeypatch.setattr(torch.ops.quantized, "linear_prepack", missing)
    layer = Int8Linear.from_linear(_linear())
    assert not layer.use_dynamic_kernel() and layer.dynamic is None
    x = torch.randn(1, 1, 64)
    reference = nn.functional.linear(x, layer.dequantized())
    torch.testing.assert_close(layer(x).float(), reference, rtol=2e-2, atol=2e-2)


@pytest.fixture(scope="module")
def q4_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A random Llama model written with its matrices as Q4_0 and as Q4_1 blocks."""
    folder = tmp_path_factory.mktemp("q4")
    model = random_hf_model("llama", SMALL)
    tensors = converter_tensors(model, "llama")
    return {
        kind: write_gguf(folder / f"{kind}.gguf", "llama", model.config, tensors, kind)
        for kind in ("Q4_0", "Q4_1")
    }


@pytest.mark.parametrize("kind", ["Q4_0", "Q4_1"])
def test_gguf_4bit_blocks_are_int4_groups_exactly(q4_files: dict[str, Path], kind: str) -> None:
    """Codes, scales and zeros taken from the blocks give gguf's own dequantisation."""
    source = open_source(q4_files[kind])
    matrices = [t for t in source.tensors.values() if t.kind == kind]
    assert matrices
    for tensor in matrices:
        weight = tensor.int4_weight(32)
        assert weight is not None
        torch.testing.assert_close(weight.dequantized(), tensor.read(), rtol=1e-6, atol=1e-6)
    assert matrices[0].int4_weight(64) is None  # other group sizes quantise the values


@pytest.mark.parametrize("kind", ["Q4_0", "Q4_1"])
def test_an_int4_model_takes_the_files_codes_as_they_are(
    q4_files: dict[str, Path], kind: str
) -> None:
    source = open_source(q4_files[kind])
    decoder, _ = load_model(q4_files[kind], dtype="int4")
    fused = {
        "layers.0.attn.qkv": ("0.self_attn.q_proj", "0.self_attn.k_proj", "0.self_attn.v_proj"),
        "layers.1.mlp.up": ("1.mlp.gate_proj", "1.mlp.up_proj"),
    }
    for name, parts in fused.items():
        layer = decoder.get_submodule(name)
        assert isinstance(layer, Int4Linear)
        stored = [source.tensors[f"model.layers.{p}.weight"].int4_weight(32) for p in parts]
        expected = Int4Weight.cat([w for w in stored if w is not None])
        assert len(stored) == len(parts) and all(w is not None for w in stored)
        assert torch.equal(layer.weight().codes, expected.codes)
        torch.testing.assert_close(
            layer.weight().scales, expected.scales.bfloat16().float(), rtol=0, atol=0
        )


def test_unknown_dtypes_name_the_quantised_choices() -> None:
    with pytest.raises(ValueError, match="'int4'"):
        load_model("pc-tiny", dtype="int5")
    with pytest.raises(ValueError, match="int4-g64"):
        load_model("pc-tiny", dtype="int4-g48")


def test_a_released_gguf_tensor_reads_the_same_again(q4_files: dict[str, Path]) -> None:
    """Loading drops each tensor's pages of the mapped file once copied; the file stays
    readable (the pages come back from the page cache)."""
    tensor = next(t for t in open_source(q4_files["Q4_1"]).tensors.values() if t.kind == "Q4_1")
    before = tensor.read().clone()
    tensor.release()
    torch.testing.assert_close(tensor.read(), before, rtol=0, atol=0)
