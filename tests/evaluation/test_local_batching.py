"""The local model's batch path: same answers as one at a time, shared prefixes reused."""

from __future__ import annotations

from typing import Any

import promptcraft as pc
from promptcraft.evaluation import evaluate

PARAMS = {"max_tokens": 6, "temperature": 0.0, "stop": ["\n"]}
POOL = [
    {"input": "cat dog", "output": "2"},
    {"input": "sun moon star", "output": "3"},
    {"input": "red", "output": "1"},
    {"input": "a b c d", "output": "4"},
]


def test_generate_batch_matches_generate_one_by_one(local_backend: Any) -> None:
    template = pc.FewShotPrompt(POOL)
    prompts = [template.render(input=text) for text in ("fig jam", "x", "one two three four")]
    batched = local_backend.generate_batch(prompts, PARAMS)
    alone = [local_backend.generate(p, PARAMS) for p in prompts]
    assert [c.text for c in batched] == [c.text for c in alone]


def test_generate_batch_takes_conversations(local_backend: Any) -> None:
    messages = [[{"role": "user", "content": "Count the words: cat dog"}]]
    (batched,) = local_backend.generate_batch(messages, PARAMS)
    assert batched.text == local_backend.chat(messages[0], PARAMS).text


def test_evaluation_batches_reuse_the_shared_few_shot_prefix(local_backend: Any) -> None:
    local_backend.close()  # start from an empty prefix cache
    rows = [{"input": f"w{i} v{i}", "expected": "2"} for i in range(4)]
    report = evaluate(
        pc.FewShotPrompt(POOL, defaults=PARAMS),
        data=rows,
        backend=local_backend,
        batch_size=2,
        progress=False,
    )
    ids = [local_backend.generator.encode(item.prompt) for item in report.items]
    common = next(i for i, column in enumerate(zip(*ids, strict=False)) if len(set(column)) > 1)
    # the second batch finds the prefix the four prompts share already prefilled by the first
    reused = [item.cached_prompt_tokens for item in report.items]
    assert common > 0
    assert sum(cached >= common for cached in reused) == 2
