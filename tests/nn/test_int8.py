"""``dtype="int8"``: projections quantised per output row and multiplied by torch's int8
kernel, checked against the float weights they stand for; and the quantised path is the one
that runs when a model is loaded so."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from promptcraft.backends import LocalBackend
from promptcraft.nn import load_model
from promptcraft.nn.quantized import GEMV_ROWS, Int8Linear, quantize_int8


def _linear(rows: int = 48, cols: int = 64, *, bias: bool = False) -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(cols, rows, bias=bias)


def test_each_weight_is_within_half_a_step_of_its_row_scale() -> None:
    linear = _linear()
    layer = Int8Linear.from_linear(linear)
    error = (layer.dequantized() - linear.weight.detach()).abs()
    # half a step, and a little more where the bfloat16 scale rounded down (clamped at 127)
    assert bool((error <= layer.scales.float()[:, None] * (0.5 + 2**-7)).all())
    assert int(layer.weight_int8.abs().max()) == 127  # each row's largest weight uses the range


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("rows", [1, GEMV_ROWS - 1, GEMV_ROWS, 3 * GEMV_ROWS])
def test_the_product_is_by_the_dequantised_weight_for_any_number_of_rows(
    bias: bool, rows: int
) -> None:
    linear = _linear(bias=bias)
    layer = Int8Linear.from_linear(linear)
    x = torch.randn(1, rows, 64).bfloat16()
    reference = nn.functional.linear(
        x.float(), layer.dequantized(), None if linear.bias is None else linear.bias.detach()
    )
    out = layer(x)
    assert out.shape == (1, rows, 48) and out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), reference, rtol=2e-2, atol=2e-2)


def test_quantize_swaps_every_projection_and_keeps_the_embedding() -> None:
    model = nn.Sequential(nn.Embedding(10, 64), _linear(), nn.Sequential(_linear(64, 48)))
    quantize_int8(model.to(torch.bfloat16))
    assert not any(isinstance(m, nn.Linear) for m in model.modules())
    assert sum(isinstance(m, Int8Linear) for m in model.modules()) == 2
    assert isinstance(model[0], nn.Embedding) and model[0].weight.dtype == torch.bfloat16


def test_an_int8_model_runs_its_quantised_projections() -> None:
    decoder, tokenizer = load_model("pc-tiny", dtype="int8")
    layers = [m for m in decoder.modules() if isinstance(m, Int8Linear)]
    assert layers and not any(isinstance(m, nn.Linear) for m in decoder.modules())
    calls: list[int] = []
    layers[0].register_forward_hook(lambda *_: calls.append(1))
    backend = LocalBackend(decoder, tokenizer, model="pc-tiny")
    out = backend.generate("Count the words: red blue green\nAnswer:", max_tokens=4, temperature=0)
    assert calls and out.usage.completion_tokens >= 1


def test_a_quantised_tied_output_layer_leaves_the_embedding_unchanged() -> None:
    float_decoder, _ = load_model("pc-tiny", dtype="bfloat16")
    decoder, _ = load_model("pc-tiny", dtype="int8")
    assert isinstance(decoder.lm_head, Int8Linear)
    torch.testing.assert_close(decoder.tok_emb.weight, float_decoder.tok_emb.weight)
    decoder.tie_weights()  # as a loader or an adapter may call it: the head stays int8
    assert isinstance(decoder.lm_head, Int8Linear) and not list(decoder.lm_head.parameters())


def test_an_unknown_dtype_names_int8_among_the_choices() -> None:
    with pytest.raises(ValueError, match="'int8'"):
        load_model("pc-tiny", dtype="int4")
