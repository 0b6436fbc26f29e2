"""The default local model, SmolLM2-135M-Instruct from its GGUF file, behind the backend API:
real answers to ordinary prompts, and the same greedy answer every time a prompt is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

import promptcraft as pc
from promptcraft.backends import LocalBackend

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def default_backend(smollm2_gguf: Path) -> LocalBackend:
    backend = pc.load_backend()
    assert isinstance(backend, LocalBackend)
    return backend


def test_no_spec_loads_smollm2_in_float32(default_backend: LocalBackend) -> None:
    assert default_backend.model == "smollm2"
    assert str(default_backend.decoder.dtype) == "torch.float32"
    assert default_backend.decoder.config.n_layers == 30
    assert default_backend.capabilities.chat


def test_chat_answers_a_factual_question(default_backend: LocalBackend) -> None:
    reply = default_backend.chat(QUESTION, temperature=0, max_tokens=16)
    assert reply.text == "The capital of France is Paris."
    assert reply.finish_reason == "stop"


def test_a_repeated_prompt_gets_the_same_greedy_answer_from_the_prefix_cache(
    default_backend: LocalBackend,
) -> None:
    # The first tokens "The" and "L" differ by 0.08 in logit here. In bfloat16, recomputing
    # only the last prompt token (the prefix cache) flipped the answer to "L'Étoile, ...";
    # the default precision must not.
    answers = [default_backend.chat(QUESTION, temperature=0, max_tokens=12) for _ in range(3)]
    assert [a.text for a in answers] == [answers[0].text] * 3
    assert answers[2].usage.cached_prompt_tokens > 0


def test_few_shot_completion_answers_in_the_demonstrated_format(
    default_backend: LocalBackend,
) -> None:
    capitals = pc.FewShotPrompt(
        [{"input": "France", "output": "Paris"}, {"input": "Japan", "output": "Tokyo"}],
        input_label="Country",
        output_label="Capital",
    )
    completion = capitals.run(
        default_backend, input="Italy", params={"temperature": 0, "stop": ["\n"]}
    )
    assert completion.text.strip() == "Rome"
