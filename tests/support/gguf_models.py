"""Helpers of the GGUF tests: tiny random transformers models written as GGUF files the way
llama.cpp's converter (convert_hf_to_gguf.py) and llama-quantize write them, and
transformers' own GGUF loader as the reference.

The converter's layout, as the files here reproduce it: tensor names from gguf's own
``TensorNameMap``; numpy shapes as Hugging Face's ([out, in]) except GPT-2's Conv1D weights,
which are transposed to [out, in]; Llama's q/k rows permuted (``LlamaModel.permute``);
1-D tensors (norms, biases) in F32 and matrices in the file type; GPT-2's tied output
written out as ``output.weight``; a byte-level BPE vocabulary in ``tokenizer.ggml.*``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import torch
from gguf import GGMLQuantizationType as Q

from support.gguf_writing import write_file

# --- the vocabulary: GPT-2's byte alphabet, one token per byte, EOS, two merges ----------------


def _byte_alphabet() -> list[str]:
    """GPT-2's printable stand-in for each byte (``bytes_to_unicode``), by byte value."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    extra = iter(range(256, 512))
    return [chr(b) if b in printable else chr(next(extra)) for b in range(256)]


EOS = 256
TOKENS = [*_byte_alphabet(), "<|endoftext|>", "Ġt", "he"]
TOKEN_TYPES = [1] * 256 + [3, 1, 1]  # 3: control
MERGES = ["Ġ t", "h e"]
VOCAB = len(TOKENS)
CHAT_TEMPLATE = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"

FLOAT_AND_BLOCK_TYPES = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"]
K_QUANTS = ["Q4_K", "Q5_K", "Q6_K"]


# --- tiny transformers models ------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    dim: int = 64
    hidden: int = 128
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    context: int = 256


SMALL = Shape()
# K-quants pack 256 values per block: every row must be a multiple of 256 long.
K_QUANT_SHAPE = Shape(dim=256, hidden=512, layers=1, heads=4, kv_heads=2)


def hf_config(arch: str, shape: Shape, **extra: Any) -> Any:
    from transformers import GPT2Config, LlamaConfig, Qwen2Config

    tokens = {"vocab_size": VOCAB, "bos_token_id": EOS, "eos_token_id": EOS}
    if arch == "gpt2":  # transformers' GGUF reader keeps GPT2Config's 1024 positions
        return GPT2Config(
            n_embd=shape.dim,
            n_layer=shape.layers,
            n_head=shape.heads,
            n_positions=1024,
            tie_word_embeddings=False,
            **tokens,
        )
    common = {
        "hidden_size": shape.dim,
        "intermediate_size": shape.hidden,
        "num_hidden_layers": shape.layers,
        "num_attention_heads": shape.heads,
        "num_key_value_heads": shape.kv_heads,
        "max_position_embeddings": shape.context,
        "rms_norm_eps": 1e-5,
        **tokens,
        **extra,
    }
    if arch == "qwen2":
        return Qwen2Config(tie_word_embeddings=True, **common)
    return LlamaConfig(tie_word_embeddings=False, **common)


def random_hf_model(arch: str, shape: Shape = SMALL, *, seed: int = 0, **extra: Any) -> Any:
    """A random transformers model whose greedy continuations wander over the vocabulary.

    The default init (std 0.02) gives a near-uniform next-token distribution and greedy
    loops on one token; weights of std 1/sqrt(fan-in), non-trivial norms and biases and
    logits of a few units make every layer matter and greedy decoding varied.
    """
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(hf_config(arch, shape, **extra)).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.ndim == 1:  # norm weights near 1, biases near 0
                base = 0.0 if name.endswith(".bias") else 1.0
                param.copy_(base + 0.1 * torch.randn_like(param))
            elif "wte" in name or "embed_tokens" in name or "wpe" in name:
                param.normal_(0.0, 1.0)
            else:
                fan_in = param.shape[0] if arch == "gpt2" else param.shape[1]  # Conv1D: [in, out]
                param.normal_(0.0, 1.0 / math.sqrt(fan_in))
        if model.config.tie_word_embeddings:
            # Reading tokens with the embedding matrix favours the input token itself and
            # the longest rows: equal-length rows, weaker than what the blocks add.
            embedding = model.get_input_embeddings().weight
            embedding.copy_(torch.nn.functional.normalize(embedding, dim=1))
            for name, param in model.named_parameters():
                if name.endswith(("o_proj.weight", "down_proj.weight", "model.norm.weight")):
                    param.mul_(3.0)
        else:  # rows of one length, so no token wins for its row's length alone
            head = model.lm_head.weight
            head.copy_(torch.nn.functional.normalize(head, dim=1) * 4.0)
    return model


# --- writing GGUF files ------------------------------------------------------------------------


def permute(weights: np.ndarray, n_head: int, n_head_kv: int | None) -> np.ndarray:
    """llama.cpp's ``LlamaModel.permute``: rotate-half pairs -> interleaved pairs."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def converter_tensors(model: Any, arch: str) -> dict[str, np.ndarray]:
    """The model's tensors as convert_hf_to_gguf.py names and lays them out (float32)."""
    config = model.config
    gguf_arch = {"llama": gguf.MODEL_ARCH.LLAMA, "qwen2": gguf.MODEL_ARCH.QWEN2}.get(
        arch, gguf.MODEL_ARCH.GPT2
    )
    names = gguf.get_tensor_name_map(gguf_arch, config.num_hidden_layers)
    out: dict[str, np.ndarray] = {}
    for hf_name, tensor in model.state_dict().items():
        if hf_name.endswith((".attn.bias", ".attn.masked_bias", "rotary_emb.inv_freq")):
            continue
        if hf_name == "lm_head.weight" and config.tie_word_embeddings and arch != "gpt2":
            continue
        data = tensor.detach().float().numpy().copy()
        if arch == "llama" and hf_name.endswith(("q_proj.weight", "q_proj.bias")):
            data = permute(data, config.num_attention_heads, config.num_attention_heads)
        if arch == "llama" and hf_name.endswith(("k_proj.weight", "k_proj.bias")):
            data = permute(data, config.num_attention_heads, config.num_key_value_heads)
        if arch == "gpt2" and hf_name.endswith(
            (".c_attn.weight", ".c_proj.weight", ".c_fc.weight")
        ):
            data = data.T.copy()
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        assert name is not None, hf_name
        out[name] = data
    return out


def encode(values: np.ndarray, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, Q]:
    """``values`` stored as ``kind``: (data to write, its GGML type). 1-D tensors stay F32,
    as llama.cpp keeps norms and biases. K-quants have no quantizer in gguf: they get
    random blocks of about the values' scale instead."""
    if values.ndim == 1 or kind == "F32":
        return values.astype(np.float32), Q.F32
    if kind == "F16":
        return values.astype(np.float16), Q.F16
    qtype = Q[kind]
    if kind in K_QUANTS:
        return random_k_blocks(values.shape, qtype, float(values.std()), rng), qtype
    return gguf.quants.quantize(values.astype(np.float32), qtype), qtype


def random_k_blocks(shape: tuple[int, ...], qtype: Q, scale: float, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """Random K-quant blocks whose values are of about ``scale``: random bits, with the
    super-block scales (float16) set so that quants times sub-scales land there."""
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    rows, cols = shape
    blocks = rng.integers(0, 256, size=(rows * cols // block, size), dtype=np.uint8)
    if qtype == Q.Q6_K:  # ql, qh, int8 scales, then d: value = d * scale * (q - 32)
        d = np.float16(scale / (64 * 16))
        blocks[:, -2:] = np.frombuffer(d.tobytes(), np.uint8)
    else:  # d, dmin first: value = d * sc * q - dmin * m, sc and m 6-bit
        levels = 15 if qtype == Q.Q4_K else 31
        d = np.float16(scale / (32 * levels / 2))
        blocks[:, 0:2] = np.frombuffer(d.tobytes(), np.uint8)
        blocks[:, 2:4] = np.frombuffer(np.float16(scale / 32).tobytes(), np.uint8)
    return blocks.reshape(rows, cols // block * size)


def write_gguf(
    path: Path,
    arch: str,
    config: Any,
    tensors: Mapping[str, np.ndarray],
    kind: str = "F32",
    *,
    metadata: Mapping[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    edit: Callable[[gguf.GGUFWriter], None] | None = None,
    seed: int = 0,
) -> Path:
    """Write a GGUF file of ``arch`` with ``tensors`` (GGUF names, float32) stored as
    ``kind``, and the metadata keys llama.cpp's converter writes for ``config``.

    ``metadata`` adds or replaces keys (typed by Python type: int -> uint32, float ->
    float32, str, bool, list); ``drop`` leaves keys out; ``edit`` may add raw tensors.
    """
    keys = converter_metadata(arch, config)
    keys.update(metadata or {})
    for key in drop:
        keys.pop(key, None)
    rng = np.random.default_rng(seed)

    def add_tensors(writer: gguf.GGUFWriter) -> None:
        for name, values in tensors.items():
            data, qtype = encode(values, kind, rng)
            quantised = qtype not in (Q.F32, Q.F16)
            writer.add_tensor(name, data, raw_dtype=qtype if quantised else None)
        if edit is not None:
            edit(writer)

    write_file(path, str(keys.pop("general.architecture", arch)), keys, add_tensors)
    return path


def converter_metadata(arch: str, config: Any) -> dict[str, Any]:
    """The keys convert_hf_to_gguf.py writes for a model of ``config``."""
    keys: dict[str, Any] = {"general.architecture": arch, "general.name": f"tiny-{arch}"}
    if arch == "gpt2":
        keys.update(
            {
                "gpt2.block_count": config.n_layer,
                "gpt2.context_length": config.n_positions,
                "gpt2.embedding_length": config.n_embd,
                "gpt2.feed_forward_length": 4 * config.n_embd,
                "gpt2.attention.head_count": config.n_head,
                "gpt2.attention.layer_norm_epsilon": config.layer_norm_epsilon,
            }
        )
    else:
        keys.update(
            {
                f"{arch}.block_count": config.num_hidden_layers,
                f"{arch}.context_length": config.max_position_embeddings,
                f"{arch}.embedding_length": config.hidden_size,
                f"{arch}.feed_forward_length": config.intermediate_size,
                f"{arch}.attention.head_count": config.num_attention_heads,
                f"{arch}.attention.head_count_kv": config.num_key_value_heads,
                f"{arch}.rope.freq_base": float(config.rope_parameters["rope_theta"]),
                f"{arch}.attention.layer_norm_rms_epsilon": config.rms_norm_eps,
            }
        )
        if arch == "llama":
            head_dim = config.hidden_size // config.num_attention_heads
            keys[f"{arch}.vocab_size"] = config.vocab_size
            keys[f"{arch}.rope.dimension_count"] = head_dim
    keys.update(
        {
            "tokenizer.ggml.model": "gpt2",
            "tokenizer.ggml.pre": "gpt-2",
            "tokenizer.ggml.tokens": TOKENS,
            "tokenizer.ggml.token_type": TOKEN_TYPES,
            "tokenizer.ggml.merges": MERGES,
            "tokenizer.ggml.bos_token_id": EOS,
            "tokenizer.ggml.eos_token_id": EOS,
            "tokenizer.ggml.add_bos_token": False,
            "tokenizer.chat_template": CHAT_TEMPLATE,
        }
    )
    return keys


# --- the reference ------------------------------------------------------------------------------


def transformers_gguf_model(path: Path) -> Any:
    """transformers' own reading of the GGUF file (dequantised to float32)."""
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=torch.float32
    ).eval()


def llama3_rope_factors(config: Any) -> np.ndarray:
    """Llama 3.1's RoPE scaling as convert_hf_to_gguf.py stores it: the tensor
    ``rope_freqs.weight``, one divisor per rotary frequency."""
    rope = config.rope_parameters
    head_dim = config.hidden_size // config.num_attention_heads
    factor, old_context = rope["factor"], rope["original_max_position_embeddings"]
    low, high = rope["low_freq_factor"], rope["high_freq_factor"]
    freqs = 1.0 / (rope["rope_theta"] ** (torch.arange(0, head_dim, 2).float() / head_dim))
    factors = []
    for freq in freqs.tolist():
        wavelen = 2 * math.pi / freq
        if wavelen < old_context / high:
            factors.append(1.0)
        elif wavelen > old_context / low:
            factors.append(factor)
        else:
            smooth = (old_context / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(factors, dtype=np.float32)
