"""Our decoder against transformers on the same weights: logits, greedy tokens, round trip."""

from __future__ import annotations

import pytest
import torch
from support.reference_models import HF_FAMILIES, Reference

from promptcraft.nn import Generator, load_model, save_model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _prompt(n: int = 24, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, 256, (1, n), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("family", HF_FAMILIES)
def test_logits_match_transformers(reference, family: str) -> None:
    ref: Reference = reference(family)
    ids = _prompt()
    with torch.no_grad():
        expected = ref.hf(ids).logits
    with torch.inference_mode():
        actual = ref.model(ids)
    torch.testing.assert_close(actual, expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("family", HF_FAMILIES)
def test_greedy_generation_matches_transformers(reference, family: str) -> None:
    ref: Reference = reference(family)
    ids = _prompt(seed=2)
    with torch.no_grad():
        expected = ref.hf.generate(
            ids, max_new_tokens=32, min_new_tokens=32, do_sample=False, pad_token_id=0
        )[0, ids.shape[1] :]
    # min_tokens and min_new_tokens both hold back EOS for 32 tokens
    out = Generator(ref.model, ref.tokenizer).generate(
        ids[0].tolist(), max_tokens=32, min_tokens=32, temperature=0
    )
    assert out.token_ids == expected.tolist()


@pytest.mark.parametrize("family", HF_FAMILIES)
def test_saved_model_loads_in_transformers_with_same_logits(reference, family, tmp_path) -> None:
    from transformers import AutoModelForCausalLM

    ref: Reference = reference(family)
    save_model(ref.model, ref.tokenizer, tmp_path)
    theirs = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    ids = _prompt(seed=3)
    with torch.no_grad():
        expected = theirs(ids).logits
    with torch.inference_mode():
        actual = ref.model(ids)
    torch.testing.assert_close(actual, expected, atol=1e-4, rtol=0)


def test_saved_model_loads_back_identically(reference, tmp_path) -> None:
    ref: Reference = reference("llama")
    save_model(ref.model, ref.tokenizer, tmp_path)
    again, tokenizer = load_model(tmp_path)
    assert again.config == ref.model.config
    for (name, mine), (_, theirs) in zip(
        ref.model.state_dict().items(), again.state_dict().items(), strict=True
    ):
        assert torch.equal(mine, theirs), name
    assert tokenizer.encode("héllo wörld") == ref.tokenizer.encode("héllo wörld")


def test_saved_weights_file_is_readable_like_other_files(reference, tmp_path) -> None:
    ref: Reference = reference("gpt2")
    save_model(ref.model, ref.tokenizer, tmp_path)
    weights = (tmp_path / "model.safetensors").stat().st_mode & 0o777
    assert weights == (tmp_path / "config.json").stat().st_mode & 0o777


def test_saved_tokenizer_loads_in_transformers(reference, tmp_path) -> None:
    from transformers import AutoTokenizer

    ref: Reference = reference("gpt2")
    save_model(ref.model, ref.tokenizer, tmp_path)
    theirs = AutoTokenizer.from_pretrained(tmp_path)
    text = "Grüße, 世界! 🎉 code: x += 1"
    assert theirs.encode(text, add_special_tokens=False) == ref.tokenizer.encode(text)


def test_chat_template_survives_save_and_load(reference, tmp_path) -> None:
    from transformers import AutoTokenizer

    ref: Reference = reference("qwen2")
    template = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
    model = ref.model
    original = model.config
    model.config = original.model_copy(update={"chat_template": template})
    try:
        save_model(model, ref.tokenizer, tmp_path)
    finally:
        model.config = original
    loaded, _ = load_model(tmp_path)
    assert loaded.config.chat_template == template
    messages = [{"role": "user", "content": "hi"}]
    rendered = AutoTokenizer.from_pretrained(tmp_path).apply_chat_template(messages, tokenize=False)
    assert rendered == "<user>hi"


def test_bfloat16_model_generates_close_to_float32(reference) -> None:
    ref: Reference = reference("llama")
    model, tokenizer = load_model(ref.path, dtype="bfloat16")
    assert model.dtype == torch.bfloat16
    ids = _prompt(seed=4)
    with torch.inference_mode():
        low, full = model(ids).float(), ref.model(ids)
    assert (low - full).abs().max() < 0.1
    out = Generator(model, tokenizer).generate(ids[0].tolist(), max_tokens=8, temperature=0)
    assert len(out.token_ids) >= 1
