"""The bundled model's chat format: the same text through jinja2 and transformers."""

from __future__ import annotations

import pytest

from promptcraft.errors import PromptError
from promptcraft.prompts import Message
from recipes.pc_tiny import (
    CHAT_TEMPLATE,
    END_OF_TURN,
    EOS_TOKEN,
    SPECIAL_TOKENS,
    Sample,
    render_chat,
)

CONVERSATION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Reverse the list.\ncat dog sun"},
    {"role": "assistant", "content": "sun dog cat"},
    {"role": "user", "content": "  spaces  and\n\nblank lines  "},
    {"role": "tool", "content": "36"},
]


@pytest.fixture(scope="module")
def hf_tokenizer():  # type: ignore[no-untyped-def]
    tokenizers = pytest.importorskip("tokenizers")
    transformers = pytest.importorskip("transformers")
    vocab = {token: i for i, token in enumerate([*SPECIAL_TOKENS, "[UNK]"])}
    model = tokenizers.models.WordLevel(vocab, unk_token="[UNK]")
    tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizers.Tokenizer(model),
        eos_token=EOS_TOKEN,
        additional_special_tokens=list(SPECIAL_TOKENS[1:]),
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok


@pytest.mark.parametrize("add_generation_prompt", [True, False])
def test_chat_template_renders_the_same_in_transformers(
    hf_tokenizer,  # type: ignore[no-untyped-def]
    add_generation_prompt: bool,
) -> None:
    expected = hf_tokenizer.apply_chat_template(
        CONVERSATION, tokenize=False, add_generation_prompt=add_generation_prompt
    )
    assert render_chat(CONVERSATION, add_generation_prompt=add_generation_prompt) == expected


def test_chat_template_format() -> None:
    text = render_chat(CONVERSATION[:2], add_generation_prompt=True)
    assert text == (
        "<|system|>\nYou are a helpful assistant.<|end|>\n"
        "<|user|>\nReverse the list.\ncat dog sun<|end|>\n"
        "<|assistant|>\n"
    )


def test_render_chat_accepts_message_objects() -> None:
    messages = [Message(role="user", content="hi")]
    assert render_chat(messages) == "<|user|>\nhi<|end|>\n"


def test_unknown_role_is_an_error() -> None:
    with pytest.raises(PromptError, match="unknown chat role: narrator"):
        render_chat([{"role": "narrator", "content": "x"}])


def test_special_tokens_are_distinct_and_eos_comes_first() -> None:
    assert len(set(SPECIAL_TOKENS)) == len(SPECIAL_TOKENS) == 6
    assert SPECIAL_TOKENS[0] == EOS_TOKEN and END_OF_TURN in SPECIAL_TOKENS


def test_chat_sample_is_the_conversation_with_the_reply(train_samples: list[Sample]) -> None:
    chats = [s for s in train_samples if s.kind == "chat"]
    assert chats
    for sample in chats:
        assert sample.prompt.endswith("<|assistant|>\n")
        assert sample.text.endswith(END_OF_TURN)
        assert sample.text.count("<|user|>") == sample.k + 1
