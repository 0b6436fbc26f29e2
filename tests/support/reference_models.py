"""Helpers of the decoder tests: a real byte-level tokenizer, tiny Hugging Face reference
models saved as checkpoints, and a "scripted" model whose greedy output is known."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from promptcraft.nn import Decoder, ModelConfig, load_model
from promptcraft.tokenizers.tokenizer import GPT2_PATTERN, Tokenizer
from promptcraft.tokenizers.writers import save_tiktoken

EOS = 256
VOCAB = 320  # larger than the tokenizer, as real checkpoints pad their embedding matrix


def make_byte_tokenizer() -> Tokenizer:
    """A byte-level BPE with no merges: every byte is a token, so any multi-byte character
    is split across tokens."""
    return Tokenizer.from_ranks(
        {bytes([b]): b for b in range(256)},
        pattern=GPT2_PATTERN,
        special_tokens={"<|endoftext|>": EOS},
        name="bytes",
        eos_token_id=EOS,
    )


def _hf_config(family: str):  # type: ignore[no-untyped-def]
    from transformers import GPT2Config, LlamaConfig, MistralConfig, Qwen2Config

    common = {"vocab_size": VOCAB, "bos_token_id": EOS, "eos_token_id": EOS}
    small = {
        "hidden_size": 64,
        "intermediate_size": 96,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "max_position_embeddings": 256,
    }
    if family == "gpt2":
        return GPT2Config(n_embd=64, n_layer=2, n_head=4, n_positions=128, **common)
    if family == "llama":  # grouped-query attention and Llama-3.1 RoPE scaling
        scaling = {
            "rope_type": "llama3",
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 32,
        }
        return LlamaConfig(num_key_value_heads=2, rope_scaling=scaling, **small, **common)
    if family == "qwen2":  # q/k/v biases, tied embeddings
        return Qwen2Config(num_key_value_heads=2, tie_word_embeddings=True, **small, **common)
    if family == "mistral":  # one kv head, sliding window (caps our context)
        return MistralConfig(num_key_value_heads=1, sliding_window=128, **small, **common)
    raise ValueError(family)


@dataclass
class Reference:
    """A tiny transformers model, its saved checkpoint, and our load of it."""

    hf: torch.nn.Module
    path: Path
    model: Decoder
    tokenizer: Tokenizer


HF_FAMILIES = ["gpt2", "llama", "qwen2", "mistral"]


def build_reference(family: str, path: Path) -> Reference:
    """Build a tiny transformers model of ``family``, save it at ``path``, load it with ours."""
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    hf = AutoModelForCausalLM.from_config(_hf_config(family)).eval()
    with torch.no_grad():  # non-trivial biases and norm weights, so mapping them matters
        for param in hf.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    hf.save_pretrained(path)
    save_tiktoken(make_byte_tokenizer(), path)
    model, tokenizer = load_model(path)
    return Reference(hf, path, model, tokenizer)


def scripted_model(
    tokenizer: Tokenizer,
    script: Sequence[int],
    *,
    prompt_len: int,
    eos: int | None = EOS,
) -> Decoder:
    """A GPT-2-family model whose greedy continuation of any ``prompt_len``-token prompt is
    exactly ``script``.

    Its blocks are zeroed (each is then the identity on the residual stream), its token
    embeddings are zero and position p embeds as the one-hot vector e_p, so the final hidden
    state depends only on the position; the untied output matrix maps position
    ``prompt_len - 1 + i`` to ``script[i]``.
    """
    positions = prompt_len + len(script) + 4
    dim = -(-positions // 4) * 4
    config = ModelConfig(
        family="gpt2",
        vocab_size=max(tokenizer.n_vocab, max(script) + 1),
        dim=dim,
        n_layers=1,
        n_heads=4,
        n_kv_heads=4,
        head_dim=dim // 4,
        hidden_dim=dim,
        max_seq_len=positions,
        norm_eps=1e-5,
        activation="gelu_tanh",
        qkv_bias=True,
        out_bias=True,
        mlp_bias=True,
        eos_token_ids=[] if eos is None else [eos],
    )
    model = Decoder(config).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.fill_(1.0 if "norm.weight" in name else 0.0)
        assert model.pos_emb is not None
        model.pos_emb.weight.copy_(torch.eye(positions, dim))
        for i, token in enumerate(script):
            model.lm_head.weight[token, prompt_len - 1 + i] = 10.0
    return model
