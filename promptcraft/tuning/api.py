"""``tune()``: teach the local model a task from examples, and save the result as an adapter.

::

    path = pc.tune(method="prompt", data="train.jsonl", template="label.prompt")
    backend = pc.load_backend("local", adapter=path)

:func:`run_tuning` does the same and returns the whole :class:`TuningReport` (trained
parameters, time, validation loss and exact match before and after, adapter size).
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict

from ..nn.checkpoint import load_model
from ..nn.generate import Generator
from ..nn.model import Decoder
from ..paths import bundled_models_dir
from ..tokenizer import Tokenizer
from .adapter import AdapterInfo, model_fingerprint, save_adapter
from .data import (
    TemplateRef,
    TuningData,
    read_examples,
    resolve_template,
    split_examples,
)
from .encode import EncodedExample, encode_examples
from .methods import TuningMethod, make_tuned_part
from .trainer import TrainOutcome, TuningConfig, exact_match, train_part

__all__ = ["ModelRef", "TuningReport", "run_tuning", "tune"]

ModelRef = str | os.PathLike[str] | tuple[Decoder, Tokenizer] | None


class TuningReport(BaseModel):
    """What one tuning run did and measured."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    adapter: Path
    adapter_bytes: int
    info: AdapterInfo
    outcome: TrainOutcome
    test_examples: int = 0
    test_exact_match_before: float | None = None
    test_exact_match: float | None = None


def tune(
    method: TuningMethod = "prompt",
    *,
    data: TuningData,
    template: TemplateRef = None,
    model: ModelRef = None,
    out: str | os.PathLike[str] | None = None,
    config: TuningConfig | None = None,
    **options: Any,
) -> Path:
    """Tune the local model on ``data`` with ``method`` and save an adapter; return its path.

    - ``method``: ``"prompt"`` (virtual tokens), ``"prefix"`` (per-layer keys/values),
      ``"ffn"`` (MLP weights), ``"top_layers"`` (the top blocks) or ``"full"``.
    - ``data``: a JSONL file of ``{"input": ..., "output": ...}`` lines, or a list of such
      dicts. ``input`` is a string (the template's one input) or an object of inputs.
    - ``template``: a ``.prompt`` path, a library name or a :class:`~promptcraft.PromptTemplate`
      (default ``Input: ...\\nOutput:``). Use the template your app renders.
    - ``model``: a checkpoint directory, ``(decoder, tokenizer)``, or None for the bundled
      model. A loaded decoder is trained in place by the weight methods.
    - ``out``: the adapter file (default ``adapters/<template>-<method>.safetensors``).
    - ``options``: :class:`TuningConfig` fields (``virtual_tokens``, ``lr``, ``max_epochs``,
      ``max_seconds``, ``seed``, ``val_fraction``, ``progress``, ...).
    """
    report = run_tuning(
        method, data=data, template=template, model=model, out=out, config=config, **options
    )
    return report.adapter


def run_tuning(
    method: TuningMethod = "prompt",
    *,
    data: TuningData,
    template: TemplateRef = None,
    model: ModelRef = None,
    out: str | os.PathLike[str] | None = None,
    config: TuningConfig | None = None,
    test_data: TuningData | None = None,
    **options: Any,
) -> TuningReport:
    """:func:`tune`, returning the full report. ``test_data`` (never trained or early-stopped
    on) adds exact match on it before and after."""
    settings = (config or TuningConfig()).model_copy(update=options)
    settings = TuningConfig.model_validate(settings.model_dump())
    prompt_template = resolve_template(template)
    examples = read_examples(data)
    tests = read_examples(test_data) if test_data is not None else []
    decoder, tokenizer, base_name = _load(model)
    fingerprint = model_fingerprint(decoder)  # before any weight can change
    generator = Generator(decoder, tokenizer)
    reserved = settings.virtual_tokens if method in ("prompt", "prefix") else 0

    train_examples, val_examples = split_examples(examples, settings.val_fraction, settings.seed)
    train = encode_examples(train_examples, prompt_template, generator, reserved=reserved)
    val = encode_examples(val_examples, prompt_template, generator, reserved=reserved)
    test = encode_examples(tests, prompt_template, generator, reserved=reserved)
    before = exact_match(generator, val)
    test_before = exact_match(generator, test) if test else None

    init_ids = _init_ids(settings, train, tokenizer)
    torch.manual_seed(settings.seed)  # the prefix MLP's initialisation
    part = make_tuned_part(
        decoder,
        method,
        init_ids=init_ids,
        top_layers=settings.top_layers,
        prefix_hidden=settings.prefix_hidden,
    )
    outcome = train_part(decoder, part, train, val, settings)
    generator.set_kv_prefix(part.kv_prefix(decoder))  # None for the weight methods
    after = exact_match(generator, val)
    test_after = exact_match(generator, test) if test else None

    info = AdapterInfo(
        method=method,
        base_model=base_name,
        base_model_hash=fingerprint,
        template=prompt_template.name,
        template_path=None
        if prompt_template.source_path is None
        else str(prompt_template.source_path),
        template_hash=_template_hash(prompt_template.jinja_source),
        virtual_tokens=reserved,
        trained_params=part.trained_params,
        total_params=sum(p.numel() for p in decoder.parameters()),
        train_examples=len(train),
        val_examples=len(val),
        steps=outcome.steps,
        train_seconds=round(outcome.train_seconds, 3),
        best_val_loss=outcome.best_val_loss,
        val_exact_match_before=before,
        val_exact_match=after,
        seed=settings.seed,
    )
    target = Path(out) if out is not None else Path("adapters") / f"{prompt_template.name}-{method}"
    path = save_adapter(target, part.adapter_tensors(), info)
    return TuningReport(
        adapter=path,
        adapter_bytes=path.stat().st_size,
        info=info,
        outcome=outcome,
        test_examples=len(test),
        test_exact_match_before=test_before,
        test_exact_match=test_after,
    )


def _load(model: ModelRef) -> tuple[Decoder, Tokenizer, str]:
    if isinstance(model, tuple):
        decoder, tokenizer = model
        return decoder, tokenizer, "model"
    if model is None:
        found = sorted(p for p in bundled_models_dir().iterdir() if (p / "config.json").is_file())
        name = found[0].name if len(found) == 1 else "bundled"
    else:
        name = Path(model).name
    decoder, tokenizer = load_model(model)
    return decoder, tokenizer, name


def _init_ids(
    settings: TuningConfig, train: list[EncodedExample], tokenizer: Tokenizer
) -> list[int]:
    """Token ids whose embeddings start the virtual tokens: ``init_text`` (cycled to length),
    else tokens drawn (seeded) from the training prompts, so the start is in-distribution."""
    n = settings.virtual_tokens
    if settings.init_text:
        ids = tokenizer.encode(settings.init_text)
        if ids:
            return [ids[i % len(ids)] for i in range(n)]
    pool = [t for e in train for t in e.prompt_ids]
    rng = random.Random(settings.seed)
    return [rng.choice(pool) for _ in range(n)]


def _template_hash(source: str) -> str:
    return "sha256:" + hashlib.sha256(source.encode()).hexdigest()[:16]
