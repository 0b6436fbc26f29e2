"""Teach pc-tiny, our small bundled model, a label mapping no prompt can show: prompt tuning.

The task: tag an item by its colour word, red -> "zap", blue -> "mop". No prompt can say
that without giving it away, so the untuned model fails; 16 trained virtual tokens (3,072
numbers, a 13 kB adapter) teach it. The adapter then serves through load_backend, exactly
as `promptcraft serve --adapter` would.

Run: python examples/tuning.py   (under a minute on 2 CPU cores)
"""

import random

import promptcraft as pc
from promptcraft.tuning import run_tuning

rng = random.Random(0)
nouns = ["cat", "dog", "sun", "car", "hat", "cup", "pen", "box", "key", "map", "owl", "pig"]
tags = {"red": "zap", "blue": "mop"}
examples = []
for _ in range(80):
    colour = rng.choice(sorted(tags))
    examples.append({"input": f"{colour} {rng.choice(nouns)}", "output": tags[colour]})

template = pc.PrefixPrompt(input_label="Item", output_label="Tag", name="colour-tag")
report = run_tuning(
    "prompt",
    model="pc-tiny",  # fast to tune on a CPU; the default model, SmolLM2-135M, is far larger
    data=examples,  # or a JSONL file of {"input": ..., "output": ...} lines
    template=template,  # the template the app renders: tuning learns that exact text
    out="adapters/colour-tag",
    max_steps=100,
    batch_size=8,
    val_fraction=0.25,
    eval_every=10,
    progress=False,
)
info = report.info
print(f"adapter: {report.adapter} ({report.adapter_bytes:,} bytes)")
print(f"trained {info.trained_params:,} of {info.total_params:,} parameters", end=" ")
print(f"in {info.train_seconds:.0f} s")
print(f"held-out exact match: {info.val_exact_match_before:.0%} -> {info.val_exact_match:.0%}")

backend = pc.load_backend("pc-tiny", adapter=report.adapter)
for item in ["red kite", "blue lamp"]:
    completion = backend.generate(template.render(input=item), max_tokens=4, temperature=0)
    print(f"{item!r} -> {completion.text.strip()!r}")
