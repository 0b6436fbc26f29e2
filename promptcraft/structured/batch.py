"""Many structured generations at once, on a backend that batches (the local model's
``generate_batch`` and ``rank_choices``): each is exactly what
:func:`~.generate.generate_structured_result` gives for its prompt alone, and evaluation uses
this to score what ``template.run()`` returns.

Every job is a :class:`~.session.StructuredSession`. Ranked choices go to ``rank_choices`` in
calls of up to :data:`RANK_PROMPTS` prompts (at least ``batch_size``), sorted so that
neighbours share a prefix: the ranking computes the prefix a call's prompts share once, and
its memory does not grow with their number (the prompts' own tokens run one prompt at a time,
the choices of a prompt together). The others go in rounds: every unfinished session says
what it sends next, the calls with the same parameters and constraint go to
``generate_batch`` together, and each output is recorded on its session; a session with an
invalid output sends its retry in the next round. A batch that fails is re-run one prompt
at a time, so that one bad prompt (too long for the context, say) loses only its own job.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import BadRequestError, ContextLengthError, StructuredOutputError
from ..types import Message
from .ranking import ChoiceRanker
from .session import SchemaLike, StructuredResult, StructuredSession, reference_rankings
from .target import GenerationTarget

if TYPE_CHECKING:
    from ..coerce import MessagesLike

__all__ = ["RANK_PROMPTS", "StructuredJob", "generate_structured_batch"]

#: Prompts per ``rank_choices`` call: their shared prefix is computed once per call; more per
#: call would only delay the results (and the progress an evaluation reports).
RANK_PROMPTS = 64

Outcome = StructuredResult[Any] | BaseException
#: Called once per job as soon as it is finished: its index, its result (or the exception
#: that ended it) and its share of the time of the batches it took part in.
OnDone = Callable[[int, Outcome, float], None]


class StructuredJob(NamedTuple):
    """One structured generation: a prompt (text or messages), the schema (a constraint,
    model, JSON schema or list of choices) and the complete generation parameters."""

    prompt: str | MessagesLike
    schema: SchemaLike
    params: Mapping[str, Any]
    #: calibrated choices: the prompt's content-free versions (``content_free_prompts``)
    calibration: Sequence[str | list[Message]] = ()


def generate_structured_batch(
    backend: GenerationTarget,
    jobs: Sequence[StructuredJob],
    *,
    retries: int = 2,
    batch_size: int = 8,
    on_done: OnDone | None = None,
) -> list[Outcome]:
    """The result of every job, in order (an exception for a job that failed). A backend
    without ``generate_batch`` gets one prompt at a time; ranked choices need
    ``rank_choices``, as elsewhere (without it they are generated, with a warning)."""
    outcomes: list[Outcome | None] = [None] * len(jobs)
    seconds = [0.0] * len(jobs)

    def finish(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        if on_done is not None:
            on_done(index, outcome, seconds[index])

    sessions: dict[int, StructuredSession] = {}
    for index, job in enumerate(jobs):
        try:
            sessions[index] = StructuredSession(
                backend, job.prompt, job.schema, None, retries, job.params, {}, job.calibration
            )
        except Exception as exc:
            finish(index, exc)
    ranked = [i for i, s in sessions.items() if s.strategy == "ranked"]
    _rank(backend, sessions, ranked, batch_size, seconds, finish)
    active = [i for i in sessions if i not in set(ranked)]
    while active:
        active = _round(backend, sessions, active, batch_size, seconds, finish)
    return [o if o is not None else RuntimeError("job not run") for o in outcomes]


def _rank(
    backend: GenerationTarget,
    sessions: Mapping[int, StructuredSession],
    indices: Sequence[int],
    batch_size: int,
    seconds: list[float],
    finish: Callable[[int, Outcome], None],
) -> None:
    if not indices:
        return
    assert isinstance(backend, ChoiceRanker)
    groups: dict[tuple[str, ...], list[int]] = {}
    for i in indices:
        groups.setdefault(sessions[i].options_to_rank, []).append(i)
    size = max(batch_size, RANK_PROMPTS)
    for options, group in groups.items():
        group.sort(key=lambda i: _sort_key(sessions[i].prompt))
        for start in range(0, len(group), size):
            chunk = group[start : start + size]
            began = time.perf_counter()
            try:
                rankings = backend.rank_choices([sessions[i].prompt for i in chunk], options)
            except Exception:
                for i in chunk:  # one at a time, so only a bad prompt fails
                    began = time.perf_counter()
                    try:
                        sessions[i].rank()
                    except Exception as exc:
                        finish(i, exc)
                        continue
                    seconds[i] += time.perf_counter() - began
                    finish(i, sessions[i].result())
                continue
            share = (time.perf_counter() - began) / len(chunk)
            for i, ranking in zip(chunk, rankings, strict=True):
                references = reference_rankings(backend, sessions[i].calibration, options)
                sessions[i].record_ranking(ranking, references)
                seconds[i] += share
                finish(i, sessions[i].result())


def _round(
    backend: GenerationTarget,
    sessions: Mapping[int, StructuredSession],
    active: Sequence[int],
    batch_size: int,
    seconds: list[float],
    finish: Callable[[int, Outcome], None],
) -> list[int]:
    """Send every active session's next call, batched; return the sessions still going."""
    generate_batch = backend.generate_batch
    calls = {i: sessions[i].next_call() for i in active}
    groups: dict[str, list[int]] = {}
    for i, (_, options) in calls.items():
        groups.setdefault(_options_key(options), []).append(i)
    going: list[int] = []

    def take(i: int, completion: Any) -> None:
        try:
            done = sessions[i].record(completion)
        except StructuredOutputError as exc:
            finish(i, exc)
            return
        if done:
            finish(i, sessions[i].result())
        else:
            going.append(i)

    for group in groups.values():
        group.sort(key=lambda i: _sort_key(calls[i][0]))
        for start in range(0, len(group), batch_size):
            chunk = group[start : start + batch_size]
            options = dict(calls[chunk[0]][1])
            params = options.pop("params")
            began = time.perf_counter()
            try:
                completions = generate_batch([calls[i][0] for i in chunk], params, **options)
            except Exception:
                for i in chunk:
                    began = time.perf_counter()
                    try:
                        (completion,) = generate_batch([calls[i][0]], params, **options)
                    except ContextLengthError as exc:
                        _adapt(sessions[i].fit_context, exc, i, going, finish)
                        continue
                    except BadRequestError as exc:
                        _adapt(sessions[i].fall_back, exc, i, going, finish)
                        continue
                    except Exception as exc:
                        finish(i, exc)
                        continue
                    seconds[i] += time.perf_counter() - began
                    take(i, completion)
                continue
            share = (time.perf_counter() - began) / len(chunk)
            for i, completion in zip(chunk, completions, strict=True):
                seconds[i] += share
                take(i, completion)
    return going


def _adapt(
    adapt: Callable[[Any], None],
    exc: Exception,
    index: int,
    going: list[int],
    finish: Callable[[int, Outcome], None],
) -> None:
    """Let the session adapt to a refused call (it raises when it cannot): then it goes on
    to the next round."""
    try:
        adapt(exc)
    except Exception as final:
        finish(index, final)
        return
    going.append(index)


def _options_key(options: Mapping[str, Any]) -> str:
    """Calls with equal keys can share one ``generate_batch``."""
    constraint = options.get("constraint")
    return json.dumps(
        {
            "params": options["params"].model_dump(mode="json", exclude_unset=True),
            "constraint": None if constraint is None else [constraint.kind, constraint.pattern],
            "rest": {k: v for k, v in options.items() if k not in ("params", "constraint")},
        },
        sort_keys=True,
        default=str,
    )


def _sort_key(prompt: str | Sequence[Message] | MessagesLike) -> str:
    """Prompts sorted by this put those with long common prefixes next to each other."""
    if isinstance(prompt, str):
        return prompt
    return json.dumps(
        [m.model_dump(mode="json") if isinstance(m, Message) else dict(m) for m in prompt],
        default=str,
    )
