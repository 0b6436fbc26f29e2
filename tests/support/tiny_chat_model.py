"""A tiny random-init Llama chat model saved as a checkpoint: the backend and server tests
load it through ``load_backend("local:PATH")`` and ``promptcraft serve --model PATH``."""

from __future__ import annotations

from pathlib import Path

# ChatML, the format of many open chat models: the template, not the messages, writes the
# <|im_start|> / <|im_end|> control tokens.
CHATML = (
    "{{ bos_token }}"
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Question: what is two plus two? Answer: four.",
    "Translate to French: hello world. Output: bonjour le monde.",
    "Summarize: the meeting moved to Tuesday because the room was booked.",
] * 4
CONTEXT = 128


def build_tiny_model(path: Path, *, chat_template: str | None = CHATML) -> Path:
    """Save a ~70k-parameter Llama model (GQA, RoPE, SwiGLU) with a BPE tokenizer at ``path``.

    Random init gives nearly flat logits, where the float noise between a cached and an
    uncached prefill could flip a greedy choice; the output matrix is scaled up so choices
    have clear margins. Rows of tokens that are not printable ASCII text (bytes that are
    parts of UTF-8 characters, control characters, special tokens) are zeroed, so greedy
    output is readable text and never ends early on EOS: tests can find stop strings in it.
    """
    import torch

    from promptcraft.nn import Decoder, ModelConfig, save_model
    from recipes.pc_tiny.bpe_training import train_bpe

    torch.manual_seed(0)
    tokenizer = train_bpe(CORPUS, 320, special_tokens=SPECIAL_TOKENS, name="tiny-bpe")
    specials = tokenizer.special_tokens
    tokenizer.bos_token_id = specials["<|endoftext|>"]
    tokenizer.eos_token_id = specials["<|im_end|>"]
    config = ModelConfig(
        family="llama",
        vocab_size=tokenizer.n_vocab,
        dim=64,
        n_layers=2,
        n_heads=4,
        n_kv_heads=2,
        head_dim=16,
        hidden_dim=128,
        max_seq_len=CONTEXT,
        norm_eps=1e-5,
        activation="silu",
        bos_token_id=specials["<|endoftext|>"],
        eos_token_ids=[specials["<|im_end|>"], specials["<|endoftext|>"]],
        add_bos_token=True,
        chat_template=chat_template,
    )
    model = Decoder(config).eval()
    with torch.no_grad():
        head = model.lm_head.weight
        head.mul_(50.0)
        for token_id in range(tokenizer.n_vocab):
            text = tokenizer.token_bytes(token_id)
            printable = token_id not in specials.values() and all(32 <= b < 127 for b in text)
            if not printable:
                head[token_id] = 0.0
    save_model(model, tokenizer, path)
    return path
