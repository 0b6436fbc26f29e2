"""The requests of an evaluation: planned, then answered.

Every (variant, row, repeat) becomes a :class:`Slot` waiting for a completion. Slots whose
rendered prompt, parameters and declared ``output:`` are the same share one request, so a
request is generated once however many variants ask for it. A request of a template with
``output:`` carries it, and is answered as ``template.run()`` answers (see
:mod:`.execution`). Answering looks in the response cache first and sends
the rest to the backends (see :mod:`.execution`), with a progress bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..backends.base import Backend
from ..coerce import merge_params
from ..constraints.output_spec import OutputSpec
from ..errors import MissingInputError, PromptError
from ..prompts.template import PromptTemplate
from ..structured.session import content_free_prompts
from ..types import Message
from .dataset import DataRow
from .execution import PendingRequest, run_requests
from .response_cache import CachedCompletion, ResponseCache, request_key
from .variants import Variant

__all__ = ["EVAL_DEFAULTS", "Plan", "Slot", "answer_plan", "is_greedy", "plan_variant"]

# Evaluations compare prompts, so by default they decode greedily: the same prompt always
# gets the same answer. A template's own defaults, then ``params``, override this.
EVAL_DEFAULTS: dict[str, Any] = {"temperature": 0.0}


def is_greedy(template: PromptTemplate, overrides: dict[str, Any]) -> bool:
    """Whether the template decodes greedily in an evaluation (temperature 0): then every
    repeat of a row gets the same answer."""
    return {**EVAL_DEFAULTS, **template.defaults, **overrides}.get("temperature") == 0


@dataclass
class Slot:
    """One (variant, row, repeat): its inputs and rendered prompt, and the key of the request
    that answers it (None when the render failed, with the error)."""

    variant: Variant
    row: DataRow
    repeat: int
    inputs: dict[str, Any]
    prompt: str | list[dict[str, Any]] | None = None
    key: str | None = None  # None: the render failed
    error: str | None = None
    error_stage: str | None = None


@dataclass
class Plan:
    """Every slot of a run, the distinct requests they need, and the answers so far."""

    slots: list[Slot] = field(default_factory=list)
    # one request per distinct key, whichever slots share it
    requests: dict[str, tuple[str, PendingRequest]] = field(default_factory=dict)
    answers: dict[str, CachedCompletion | BaseException] = field(default_factory=dict)
    from_cache: set[str] = field(default_factory=set)
    generated: int = 0
    cache_hits: int = 0


def plan_variant(
    plan: Plan,
    variant: Variant,
    backend: Backend,
    rows: Sequence[DataRow],
    overrides: dict[str, Any],
    repeat: int,
) -> None:
    template = variant.template
    identity = backend.cache_identity()
    base = {**EVAL_DEFAULTS, **template.defaults, **overrides}
    # Greedy repeats share one request: a new seed would only buy the same answer again.
    sampled = not is_greedy(template, overrides)
    tokenizer = getattr(backend, "tokenizer", None)
    # A template with output: is answered as run() answers it (constrained, ranked or
    # parsed), so its requests differ from the same prompt's free text.
    declared = template.output.type != "text"
    for row in rows:
        inputs = _template_inputs(template, variant.template_name, row)
        try:
            rendered = template.render_prompt(inputs, tokenizer=tokenizer)
            output = template.output_for(inputs) if declared else None
            calibration = _calibration(template, output, inputs, tokenizer)
        except MissingInputError as exc:
            raise row.error(
                f"template {variant.template_name!r} needs input {exc.variable!r}, which the row "
                f"lacks (row fields: {', '.join(row.inputs) or 'none'})"
            ) from None
        except PromptError as exc:
            for r in range(repeat):
                plan.slots.append(
                    Slot(variant, row, r, inputs, error=str(exc), error_stage="render")
                )
            continue
        output_key = None if output is None else output.model_dump(mode="json", by_alias=True)
        prompt: str | list[dict[str, Any]]
        if rendered.messages is not None:
            prompt = [m.model_dump(mode="json", exclude_none=True) for m in rendered.messages]
        else:
            assert rendered.text is not None
            prompt = rendered.text
        for r in range(repeat):
            call = dict(base)
            if repeat > 1 and sampled:
                call["seed"] = int(call.get("seed") or 0) + r
            full = merge_params(call, {}).model_dump(mode="json")
            key = request_key(identity, prompt, full, output_key)
            plan.slots.append(Slot(variant, row, r, inputs, prompt=prompt, key=key))
            if key not in plan.requests:
                plan.requests[key] = (
                    variant.backend,
                    PendingRequest(
                        id=len(plan.requests),
                        text=rendered.text,
                        messages=rendered.messages,
                        params=call,
                        output=output,
                        calibration=calibration,
                    ),
                )


def _calibration(
    template: PromptTemplate, output: OutputSpec | None, inputs: Mapping[str, Any], tokenizer: Any
) -> tuple[str | list[Message], ...]:
    """The content-free prompts of calibrated choices (as ``run()`` scores them), else ()."""
    if output is None or not output.calibrate:
        return ()
    return content_free_prompts(template, inputs, tokenizer)


def _template_inputs(template: PromptTemplate, name: str, row: DataRow) -> dict[str, Any]:
    """The row's inputs the template takes. With declared inputs, only those (the rest of
    the row, such as ids or notes, is not the template's business), and every required one
    must be there."""
    if not template.inputs:
        return dict(row.inputs)
    missing = [
        key for key, spec in template.inputs.items() if spec.is_required and key not in row.inputs
    ]
    if missing:
        raise row.error(
            f"template {name!r} needs input {missing[0]!r}, which the row lacks "
            f"(row fields: {', '.join(row.inputs) or 'none'}; template inputs: "
            f"{', '.join(template.inputs)})"
        )
    return {key: value for key, value in row.inputs.items() if key in template.inputs}


def answer_plan(
    plan: Plan,
    store: ResponseCache | None,
    backends: dict[str, Backend],
    batch_size: int,
    concurrency: int,
    show_progress: bool,
) -> None:
    from tqdm import tqdm

    pending: dict[str, list[PendingRequest]] = {label: [] for label in backends}
    key_of: dict[int, str] = {}
    for key, (label, request) in plan.requests.items():
        hit = store.get(key) if store is not None else None
        if hit is not None:
            plan.answers[key] = hit
            plan.from_cache.add(key)
            plan.cache_hits += 1
        else:
            pending[label].append(request)
            key_of[request.id] = key
    bar = tqdm(
        total=len(plan.requests),
        initial=plan.cache_hits,
        desc="eval",
        unit="req",
        disable=not show_progress,
        dynamic_ncols=True,
    )
    try:
        for label, requests in pending.items():
            backend = backends[label]
            identity = backend.cache_identity() if store is not None else ""

            def done(
                request: PendingRequest,
                result: CachedCompletion | BaseException,
                identity: str = identity,
            ) -> None:
                key = key_of[request.id]
                plan.answers[key] = result
                if isinstance(result, CachedCompletion):
                    plan.generated += 1
                    if store is not None:
                        store.put(key, identity, result)
                bar.update(1)

            run_requests(backend, requests, done, batch_size=batch_size, concurrency=concurrency)
    finally:
        bar.close()
