"""``tune()``: teach the local model a task from examples, and save the result as an adapter.

::

    path = pc.tune(method="prompt", data="train.jsonl", template="label.prompt")
    backend = pc.load_backend("local", adapter=path)

:func:`run_tuning` does the same and returns the whole :class:`TuningReport` (trained
parameters, time, validation loss and exact match before and after, adapter size).

Ctrl-C stops training without losing it: the best tensors so far are saved as the adapter
(marked ``interrupted`` in its metadata) and :class:`TuningInterrupted`, a
``KeyboardInterrupt``, says where.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import TuningConfigError
from ..nn.adapters import (
    AdapterInfo,
    adapter_path,
    base_model_config,
    model_fingerprint,
    save_adapter,
)
from ..nn.catalog import resolve_local_model
from ..nn.generate import Generator
from ..nn.loaders import load_model
from ..nn.model import Decoder
from ..nn.quantized import is_quantized
from ..tokenizers.tokenizer import Tokenizer
from ..utils.suggestions import did_you_mean
from .data import (
    TemplateRef,
    TuningData,
    check_held_out,
    read_examples,
    resolve_template,
    split_examples,
)
from .encode import EncodedExample, encode_examples
from .methods import METHODS, TuningMethod, make_tuned_part
from .trainer import TrainLog, TrainOutcome, TuningConfig, exact_match, train_part

__all__ = ["ModelRef", "TuningInterrupted", "TuningReport", "run_tuning", "tune"]

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


class TuningInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a tuning run. ``report`` is the run so far, its adapter holding the
    best tensors reached (exact match is not measured); None when training had not yet
    improved on the start, so nothing was saved."""

    def __init__(self, message: str, report: TuningReport | None) -> None:
        super().__init__(message)
        self.report = report


def tune(
    method: TuningMethod = "prompt",
    *,
    data: TuningData,
    template: TemplateRef = None,
    model: ModelRef = None,
    out: str | os.PathLike[str] | None = None,
    config: TuningConfig | None = None,
    on_eval: Callable[[TrainLog], None] | None = None,
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
    - ``on_eval``: called with each validation's :class:`TrainLog` (step, losses, speed).
    - ``options``: :class:`TuningConfig` fields (``virtual_tokens``, ``lr``, ``max_epochs``,
      ``max_seconds``, ``seed``, ``val_fraction``, ``progress``, ...).

    Bad data raises :class:`~promptcraft.errors.TuningDataError` (file and line), a bad option
    :class:`~promptcraft.errors.TuningConfigError` (its name), both before training. Ctrl-C
    saves the best adapter so far and raises :class:`TuningInterrupted`.
    """
    report = run_tuning(
        method,
        data=data,
        template=template,
        model=model,
        out=out,
        config=config,
        on_eval=on_eval,
        **options,
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
    on_eval: Callable[[TrainLog], None] | None = None,
    **options: Any,
) -> TuningReport:
    """:func:`tune`, returning the full report. ``test_data`` (never trained or early-stopped
    on, and refused if it repeats a training input) adds exact match on it before and
    after."""
    if method not in METHODS:
        raise TuningConfigError(
            f"unknown method {method!r}; use one of {', '.join(METHODS)}", field="method"
        )
    settings = _settings(config, options)
    prompt_template = resolve_template(template)
    target = _target(out, prompt_template.name, method)
    examples = read_examples(data)
    tests = read_examples(test_data) if test_data is not None else []
    check_held_out(tests, examples)
    decoder, tokenizer, base_name = _load(model)
    if is_quantized(decoder):
        raise TuningConfigError(
            "this model has quantised weights (dtype int8 or int4), which cannot be trained: "
            "tune the float model (load it in float32 or bfloat16)",
            field="model",
        )
    fingerprint = model_fingerprint(decoder)  # before any weight can change
    generator = Generator(decoder, tokenizer)
    reserved = settings.virtual_tokens if method in ("prompt", "prefix") else 0
    if reserved >= decoder.config.max_seq_len:
        raise TuningConfigError(
            f"{reserved} virtual tokens leave no room in the model's context of "
            f"{decoder.config.max_seq_len} tokens; use fewer (the default is 16)",
            field="virtual_tokens",
        )

    train_examples, val_examples = split_examples(examples, settings.val_fraction, settings.seed)
    train = encode_examples(train_examples, prompt_template, generator, reserved=reserved)
    val = encode_examples(val_examples, prompt_template, generator, reserved=reserved)
    test = encode_examples(tests, prompt_template, generator, reserved=reserved)
    show = settings.progress
    before = exact_match(generator, val, progress=show, desc="exact match before (validation)")
    test_before = (
        exact_match(generator, test, progress=show, desc="exact match before (test)")
        if test
        else None
    )

    init_ids = _init_ids(settings, train, tokenizer)
    torch.manual_seed(settings.seed)  # the prefix MLP's initialisation
    part = make_tuned_part(
        decoder,
        method,
        init_ids=init_ids,
        top_layers=settings.top_layers,
        prefix_hidden=settings.prefix_hidden,
    )
    outcome = train_part(decoder, part, train, val, settings, on_eval=on_eval)
    generator.set_kv_prefix(part.kv_prefix(decoder))  # None for the weight methods
    after = test_after = None
    if not outcome.interrupted:  # else the user wants out: keep what was learned, measure no more
        try:
            after = exact_match(generator, val, progress=show, desc="exact match (validation)")
            if test:
                test_after = exact_match(generator, test, progress=show, desc="exact match (test)")
        except KeyboardInterrupt:  # the trained tensors are kept all the same
            after = test_after = None
            outcome = outcome.model_copy(update={"interrupted": True})

    info = AdapterInfo(
        method=method,
        base_model=base_name,
        base_model_hash=fingerprint,
        base_model_config=base_model_config(decoder),
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
        interrupted=outcome.interrupted,
    )
    if outcome.interrupted and not outcome.best_val_loss < outcome.first_val_loss:
        message = (
            f"tuning interrupted at step {outcome.steps}, before the validation loss improved "
            f"on its start ({outcome.first_val_loss:.3f}): no adapter saved"
        )
        print(message, file=sys.stderr)
        raise TuningInterrupted(message, None)
    path = save_adapter(target, part.adapter_tensors(), info)
    report = TuningReport(
        adapter=path,
        adapter_bytes=path.stat().st_size,
        info=info,
        outcome=outcome,
        test_examples=len(test),
        test_exact_match_before=test_before,
        test_exact_match=test_after,
    )
    if outcome.short_of_steps is not None:
        warnings.warn(outcome.short_of_steps, RuntimeWarning, stacklevel=2)
    if outcome.interrupted:
        message = (
            f"tuning interrupted at step {outcome.steps}: saved the best adapter so far "
            f"(validation loss {outcome.first_val_loss:.3f} -> {outcome.best_val_loss:.3f}) "
            f"to {path}"
        )
        print(message, file=sys.stderr)
        raise TuningInterrupted(message, report)
    return report


def _settings(config: TuningConfig | None, options: dict[str, Any]) -> TuningConfig:
    """``config`` with ``options`` over it, validated; a :class:`TuningConfigError` names an
    unknown option or the first bad value."""
    known = list(TuningConfig.model_fields)
    for name in options:
        if name not in known:
            hint = did_you_mean(name, known)
            hint = f"{hint} " if hint else ""
            raise TuningConfigError(
                f"unknown tuning option; {hint}options: {', '.join(known)}", field=name
            )
    fields = {**(config or TuningConfig()).model_dump(exclude_unset=True), **options}
    try:
        return TuningConfig.model_validate(fields)
    except ValidationError as exc:
        problem = exc.errors()[0]
        name = ".".join(str(part) for part in problem["loc"]) or "config"
        raise TuningConfigError(
            f"{problem['msg'][0].lower()}{problem['msg'][1:]} (got {problem.get('input')!r})",
            field=name,
        ) from None


def _target(out: str | os.PathLike[str] | None, template: str, method: str) -> Path:
    """The adapter file to write, checked before any training: a folder, or a place that
    cannot be written, would waste the run."""
    given = Path(out) if out is not None else Path("adapters") / f"{template}-{method}"
    target = adapter_path(given)
    if given.is_dir() or target.is_dir():
        target = given if given.is_dir() else target
        raise TuningConfigError(
            f"{target} is a folder; give the adapter file, such as "
            f"{target / (template + '-' + method + '.safetensors')}",
            field="out",
        )
    folder = target.parent.absolute()
    while not folder.exists() and folder != folder.parent:  # the folders save will create
        folder = folder.parent
    if not folder.is_dir():
        raise TuningConfigError(
            f"cannot write {target}: {folder} is a file, not a folder", field="out"
        )
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise TuningConfigError(f"cannot write {target}: permission denied", field="out")
    return target


def _load(model: ModelRef) -> tuple[Decoder, Tokenizer, str]:
    if isinstance(model, tuple):
        decoder, tokenizer = model
        return decoder, tokenizer, "model"
    source, name = resolve_local_model(model)
    decoder, tokenizer = load_model(source)
    return decoder, tokenizer, name or (source.stem if source.is_file() else source.name)


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
