"""Weight-only int8 linear layers: ``dtype="int8"`` in ``load_model`` / ``load_backend``.

Every projection's weight is stored as int8 with one bfloat16 scale per output row
(symmetric: ``w ≈ q * scale``, ``q`` in [-127, 127], ``scale = max|w_row| / 127``), and
multiplied by torch's own CPU kernel, ``torch.ops.aten._weight_int8pack_mm``, which reads a
quarter of float32's bytes. Activations stay bfloat16: the model is loaded in bfloat16 and
its ``nn.Linear`` layers are then swapped for :class:`Int8Linear`. Why bfloat16 activations:
the kernel's float32 path is 10-25x slower than its bfloat16 one on these CPUs (measured for
576x576 to 49152x576 matrices at batch 1), while with bfloat16 activations a 1536x576
projection takes 54 µs against float32's 72 µs, and SmolLM2's 49152x576 output layer 4.5 ms
against 10.5 ms (one thread).

The weights of a quantised model cannot be trained (the kernel has no backward): tuning needs
a float model.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["GEMV_ROWS", "QUANTIZED_DTYPES", "Int8Linear", "quantize_int8"]

#: The dtype names that load a float model and quantise its projections.
QUANTIZED_DTYPES = ("int8",)
#: Rows (tokens) from which a product dequantises the weight instead. The int8 kernel reads
#: the weight once per row, so its time grows with the rows: for a 1536x576 projection at
#: one thread, 0.05 ms for 1 row, 0.19 for 8, 1.5 for 64 and 12 for 512, where dequantising
#: and one bfloat16 product take 0.4, 0.4, 0.9 and 4.9 ms. Decoding stays on the kernel;
#: prefill and scoring switch.
GEMV_ROWS = 32


class Int8Linear(nn.Module):
    """``nn.Linear`` with an int8 weight and a scale per output row; bfloat16 in and out."""

    weight_int8: torch.Tensor
    scales: torch.Tensor
    bias: torch.Tensor | None

    def __init__(self, weight_int8: torch.Tensor, scales: torch.Tensor, bias: torch.Tensor | None):
        super().__init__()
        self.out_features, self.in_features = weight_int8.shape
        self.register_buffer("weight_int8", weight_int8.contiguous())
        self.register_buffer("scales", scales.to(torch.bfloat16).contiguous())
        self.register_buffer("bias", None if bias is None else bias.to(torch.bfloat16))

    @classmethod
    def from_linear(cls, linear: nn.Linear) -> Int8Linear:
        """``linear``'s weight quantised per output row (symmetric, round to nearest)."""
        weight = linear.weight.detach().float()
        # the scales as the kernel reads them (bfloat16), so q * scale is what it multiplies
        scales = (weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0).bfloat16().float()
        quantised = torch.round(weight / scales[:, None]).clamp(-127, 127).to(torch.int8)
        bias = None if linear.bias is None else linear.bias.detach()
        return cls(quantised, scales, bias)

    def dequantized(self) -> torch.Tensor:
        """The float32 weight these int8 values and scales stand for."""
        return self.weight_int8.float() * self.scales.float()[:, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).to(torch.bfloat16)
        if rows.shape[0] < GEMV_ROWS:
            out = torch.ops.aten._weight_int8pack_mm(rows, self.weight_int8, self.scales)
        else:  # a prompt: dequantise once, then one bfloat16 matrix product
            weight = self.weight_int8.to(torch.bfloat16) * self.scales[:, None]
            out = nn.functional.linear(rows, weight)
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8"


def quantize_int8(model: nn.Module) -> nn.Module:
    """Swap every ``nn.Linear`` of ``model`` (a bfloat16 decoder) for an :class:`Int8Linear`,
    in place; returns the model. A weight shared with the token embedding (tied output
    layer) is quantised as a copy; the embedding keeps its bfloat16 rows for the lookup."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear):
                setattr(parent, name, Int8Linear.from_linear(child))
    model.eval()
    return model
