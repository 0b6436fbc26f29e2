"""``LocalBackend``: the in-process decoder of :mod:`promptcraft.nn` behind the Backend API.

One :class:`~promptcraft.nn.Generator` owns the model's KV cache, so a prompt that starts
like the previous one (same instructions, same few-shot examples) reuses that work; each
Completion reports how many prompt tokens were reused. A lock serialises generations, which
makes the backend safe to share between threads: calls run one at a time, each exactly as
if it ran alone.

Streams run in a thread of their own that holds the lock until the generation ends (or the
stream is closed), so a consumer may pause between chunks, or call the backend again, without
deadlocking it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ..coerce import MessagesLike, ParamsLike, coerce_messages
from ..errors import (
    BackendError,
    EngineError,
    ModelLoadError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
)
from ..nn import Decoder, Generator, StreamEvent, load_model
from ..nn.adapters import Adapter, apply_adapter, load_adapter
from ..nn.catalog import reinstall_hint, resolve_adapter, resolve_local_model
from ..nn.context import ContextWindow, Truncation
from ..tokenizers.tokenizer import Tokenizer
from ..types import (
    Capabilities,
    ChoiceRanking,
    Chunk,
    Completion,
    GenerationParams,
    Message,
    Request,
)
from ..utils.threads import resolve_threads, threads_applied
from .base import Backend
from .chat_template import ChatTemplate
from .concurrency import BackgroundIterator, iterate_in_thread
from .requests import build_request

if TYPE_CHECKING:
    from ..constraints.automaton import TokenAutomaton
    from ..nn.continuous_batching import BatchEngine

__all__ = ["LocalBackend", "Truncation", "chat_template_origin", "chunk_of"]


class LocalBackend(Backend):
    """A decoder and its tokenizer, generating in this process.

    Build one with :meth:`load` (or ``pc.load_backend("local:PATH")``), or wrap a model you
    already hold with the constructor. Options:

    - ``max_context``: the most prompt plus completion tokens; at most (and by default) the
      model's own context length.
    - ``truncate``: ``None`` (default) raises :class:`~promptcraft.errors.ContextLengthError`
      for a prompt that does not fit with its ``max_tokens``; ``"left"`` drops the prompt's
      oldest tokens instead (keeping a leading BOS).

    When a call does not set ``max_tokens``, the completion may use up to the default (256)
    tokens but never more than the context leaves after the prompt. (This is the engine's
    one context policy, :class:`~promptcraft.nn.context.ContextWindow`, with these knobs:
    :attr:`context_window`.)
    """

    def __init__(
        self,
        decoder: Decoder,
        tokenizer: Tokenizer,
        *,
        model: str = "local",
        max_context: int | None = None,
        truncate: Truncation | None = None,
        chat_template_origin: str | None = None,
        threads: int | None = None,
        compile: bool = False,
    ):
        context = decoder.config.max_seq_len
        if max_context is not None and not 1 <= max_context <= context:
            raise ValueError(
                f"max_context must be between 1 and the model's context ({context}), "
                f"not {max_context}"
            )
        if truncate not in (None, "left"):
            raise ValueError(f"truncate must be None or 'left', not {truncate!r}")
        self.decoder = decoder
        self.tokenizer: Tokenizer = tokenizer
        self.generator = Generator(decoder, tokenizer, compile=compile)
        self.model = model
        self.max_context = max_context or context
        self.truncate: Truncation | None = truncate
        #: CPU threads each call computes with (:mod:`promptcraft.nn.threads`).
        self.threads = resolve_threads(threads)
        self._lock = threading.Lock()
        source = decoder.config.chat_template
        self._chat_source = source
        self._chat_origin = chat_template_origin or f"chat template of {model}"
        self._chat_template: ChatTemplate | None = None
        self.capabilities = Capabilities(
            completion=True,
            chat=source is not None,
            streaming=True,
            logprobs=True,
            native_tool_calls=False,
            # constraint= (choices, regex, JSON schema), and response_format mapped onto it.
            constrained_decoding=True,
            response_format=True,
            prefix_cache=True,
            batching=True,
            max_context=self.max_context,
        )
        #: Seconds :meth:`load` took to read the checkpoint and build the backend.
        self.load_seconds: float | None = None
        #: The template the attached adapter was tuned on (``LocalBackend.load(adapter=...)``),
        #: so an agent can speak to it as it was tuned, whatever the file is called.
        self.adapter_template: str | None = None

    def cache_identity(self) -> str:
        """The model, a fingerprint of its weights, the context policy, and the adapter's
        keys and values when one is attached: a response cache is never reused across them."""
        parts = [
            super().cache_identity(),
            self.decoder.fingerprint(),
            f"context={self.max_context}",
            f"truncate={self.truncate}",
        ]
        prefix = self.generator.kv_prefix
        if prefix is not None:  # a prompt- or prefix-tuning adapter: part of the model
            parts.append(f"prefix={prefix.fingerprint()}")
        return "|".join(parts)

    @property
    def context_window(self) -> ContextWindow:
        """How a prompt and its completion fit :attr:`max_context` (see the class notes)."""
        return ContextWindow(
            self.max_context,
            truncate=self.truncate,
            bos=self.decoder.config.bos_token_id,
            model=self.model,
            shrink=True,
        )

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        dtype: str | torch.dtype | None = None,
        max_context: int | None = None,
        truncate: Truncation | None = None,
        adapter: str | os.PathLike[str] | None = None,
        threads: int | None = None,
        compile: bool = False,
        device: str | torch.device | None = None,
    ) -> LocalBackend:
        """Load a local model: ``None`` is the default model (SmolLM2-135M-Instruct), a
        name from :mod:`promptcraft.nn.catalog` (``"smollm2"``, ``"pc-tiny"``) that model,
        anything else a Hugging Face layout checkpoint directory or a ``.gguf`` file.
        ``dtype``: ``"float32"`` (the default), ``"bfloat16"``, ``"float16"``, ``"auto"``
        (the checkpoint's own), ``"int8"`` or ``"int4"`` (quantised weights,
        :mod:`promptcraft.nn.quantized`). ``threads``: CPU threads for every call (default
        :data:`promptcraft.utils.threads.DEFAULT_THREADS`, chosen by measurement). ``compile``:
        decode through torch.compile (about 1.6x faster per token after a first call that
        compiles for about a minute; :mod:`promptcraft.nn.compiled_step`). ``adapter``:
        a file written by ``pc.tune`` / ``promptcraft tune`` for this model, or a bundled
        adapter's name (``"smollm2-tool-use"``:
        :data:`promptcraft.nn.catalog.BUNDLED_ADAPTERS`), applied by :meth:`attach_adapter`.
        ``device``: where the model computes, ``"cpu"`` (the default) or ``"cuda"``
        (``"cuda:1"``), where torch has it; :class:`~promptcraft.errors.DeviceError` naming
        the device otherwise. Quantised weights (int8, int4) compute on the CPU only."""
        start = time.perf_counter()
        source, name = resolve_local_model(path)
        try:
            decoder, tokenizer = load_model(source, dtype=dtype, device=device)
        except ModelLoadError as exc:
            if name is not None:  # a catalog model: say how to reinstall it
                raise ModelLoadError(
                    f"the local model {name!r} at {source} cannot be loaded: {exc}. "
                    + reinstall_hint(name),
                    path=exc.path,
                    tensor=exc.tensor,
                ) from None
            raise
        backend = cls(
            decoder,
            tokenizer,
            model=name or (source.stem if source.is_file() else source.name),
            max_context=max_context,
            truncate=truncate,
            chat_template_origin=chat_template_origin(source),
            threads=threads,
            compile=compile,
        )
        backend.check_chat_template()
        if compile:
            backend.warm_up()
        if adapter is not None:
            backend.attach_adapter(resolve_adapter(adapter))
        backend.load_seconds = time.perf_counter() - start
        return backend

    def attach_adapter(self, path: str | os.PathLike[str]) -> Adapter:
        """Serve with the adapter at ``path`` (a file written by ``pc.tune``): apply it to the
        model (:func:`promptcraft.nn.adapters.apply_adapter`), shrink :attr:`max_context` by
        the prefix it takes, and name the model ``<base>+<adapter>``. Raises
        :class:`~promptcraft.errors.AdapterError` for an adapter of another model."""
        adapter = load_adapter(path)
        with self._calling():
            apply_adapter(adapter, self.decoder, self.generator)
        self.max_context = min(self.max_context, self.generator.context_length)
        self.capabilities = self.capabilities.model_copy(update={"max_context": self.max_context})
        self.model_aliases = (*self.model_aliases, self.model, adapter.name)
        self.model = f"{self.model}+{adapter.name}"
        self.adapter_template = adapter.info.template
        return adapter

    def warm_up(self) -> None:
        """Run one short generation, so that work done once (compiling the decoding step,
        with ``compile=True``) happens now rather than in the first real request. The cache
        is reset after it."""
        with self._calling():
            start = [self.decoder.config.bos_token_id or 0]
            self.generator.generate(start, max_tokens=3, temperature=0, ignore_eos=True)
            self.generator.reset_cache()

    def check_chat_template(self) -> None:
        """Compile the model's chat template and render one plain conversation with it, so
        a template that does not parse, or that reaches outside the sandbox, is refused when
        the model loads, naming its file, rather than at the first chat. (A template may
        still reject some conversations; that is its right and comes at chat time.)"""
        if self._chat_source is None:
            return
        try:
            self.chat_template.render([Message(role="user", content="Hello")])
        except (TemplateSyntaxError, TemplateSecurityError) as exc:
            raise ModelLoadError(f"the model's chat template is refused: {exc}") from None
        except TemplateRenderError:
            pass

    def generate_batch(
        self,
        prompts: Sequence[str | MessagesLike],
        params: ParamsLike = None,
        **overrides: Any,
    ) -> list[Completion]:
        """Complete several prompts (texts, or conversations for chat) in one decoder batch.
        The prefix they all share (an instruction, few-shot examples) is computed once, and a
        batch that starts like the previous one reuses it from the cache. Each completion is
        what ``generate``/``chat`` returns for its prompt alone, up to float rounding."""
        requests = [build_request(p, params, overrides, self.capabilities) for p in prompts]
        if any(
            getattr(r, "constraint", None) is not None or r.response_format is not None
            for r in requests
        ):  # constrained decoding runs one sequence at a time
            return [self._complete(r) for r in requests]
        prepared = [self._prepare(r) for r in requests]
        # A long prompt may get a shorter max_tokens from the context window: batch equal
        # params only.
        groups: dict[str, list[int]] = {}
        for i, (_, fitted) in enumerate(prepared):
            groups.setdefault(fitted.model_dump_json(), []).append(i)
        completions: list[Completion | None] = [None] * len(prepared)
        with self._calling():
            for rows in groups.values():
                outs = self.generator.generate_batch(
                    [prepared[i][0] for i in rows], prepared[rows[0]][1]
                )
                for i, out in zip(rows, outs, strict=True):
                    completions[i] = Completion(
                        text=out.text,
                        finish_reason=out.finish_reason,
                        usage=out.usage,
                        logprobs=out.logprobs,
                        model=self.model,
                    )
        return [c for c in completions if c is not None]

    def rank_choices(
        self, prompts: Sequence[str | MessagesLike], options: Sequence[str]
    ) -> list[ChoiceRanking]:
        """Score every option as the continuation of each prompt (a text, or messages in
        the chat template), for ``choices(..., mode="rank")``: the sum of its tokens'
        log-probabilities and its token count, per prompt. The prefix the prompts share runs
        once, each prompt's own tokens once, and all options of a prompt in one batch (see
        :mod:`promptcraft.nn.continuation_scoring`); the prefix cache of
        ``generate`` is left as it was."""
        from ..nn.continuation_scoring import rank_options

        if isinstance(prompts, str):
            raise TypeError("rank_choices takes a list of prompts, not one string")
        encoded = [
            self.generator.encode(p)
            if isinstance(p, str)
            else self.chat_template.encode(coerce_messages(p), self.tokenizer)
            for p in prompts
        ]
        with self._calling():
            return rank_options(
                self.decoder,
                self.tokenizer,
                encoded,
                options,
                window=self.context_window,
                kv_prefix=self.generator.kv_prefix,
            )

    # --- the Backend core ------------------------------------------------------------------

    def _complete(self, request: Request) -> Completion:
        ids, params = self._prepare(request)
        constraint = self._token_constraint(request)
        with self._calling():
            out = self.generator.generate(ids, params, constraint=constraint)
        return Completion(
            text=out.text,
            finish_reason=out.finish_reason,
            usage=out.usage,
            logprobs=out.logprobs,
            model=self.model,
        )

    def _stream(self, request: Request) -> Iterator[Chunk]:
        ids, params = self._prepare(request)  # here, so bad input fails at the call
        constraint = self._token_constraint(request)

        def produce(cancelled: threading.Event) -> Iterator[Chunk]:
            with self._calling():  # held until the generation ends or the stream is closed
                if cancelled.is_set():  # closed (or its task cancelled) while it waited
                    return
                for event in self.generator.stream(ids, params, constraint=constraint):
                    chunk = chunk_of(event)
                    if chunk is not None:
                        yield chunk

        return BackgroundIterator(produce, name=f"promptcraft-stream-{self.model}")

    async def _acomplete(self, request: Request) -> Completion:
        # Through the stream, so cancelling the awaiting task stops the generation (and frees
        # the model for the next caller) after the current token.
        chunks = iterate_in_thread(lambda: self._stream(request))
        try:
            return Completion.from_chunks([chunk async for chunk in chunks], model=self.model)
        finally:
            await chunks.aclose()

    # --- serving many callers at once -------------------------------------------------------

    def batch_engine(
        self, *, max_batch: int, chunk: int | None = None, own_thread: bool = True
    ) -> BatchEngine:
        """An engine that generates up to ``max_batch`` requests at once, each exactly as it
        would alone (:mod:`promptcraft.nn.continuous_batching`); ``promptcraft serve`` runs
        on one. It takes its turns under this backend's lock, between other calls.
        Feed it :meth:`prepare_generation`'s results."""
        from ..nn.continuous_batching import DEFAULT_CHUNK, BatchEngine

        return BatchEngine(
            self.generator,
            max_batch=max_batch,
            chunk=chunk or DEFAULT_CHUNK,
            guard=self._calling,
            own_thread=own_thread,
            translate=_backend_error,
        )

    def prepare_generation(
        self, request: Request
    ) -> tuple[list[int], GenerationParams, TokenAutomaton | None]:
        """A request's prompt tokens and parameters fitted to the context, and its constraint
        (or ``response_format``) compiled: what :meth:`batch_engine`'s ``submit`` takes.
        Raises for a request this backend refuses."""
        ids, params = self._prepare(request)
        return ids, params, self._token_constraint(request)

    # --- preparing a request ---------------------------------------------------------------

    def _prepare(self, request: Request) -> tuple[list[int], GenerationParams]:
        """The prompt's token ids and the parameters, fitted to the context."""
        if request.messages is not None:
            ids = self.chat_template.encode(request.messages, self.tokenizer)
        else:
            assert request.prompt is not None
            ids = self.generator.encode(request.prompt)
        return self.context_window.fit(ids, request.params)

    def _token_constraint(self, request: Request) -> TokenAutomaton | None:
        """The request's constraint (or response_format) compiled for this model's
        vocabulary; compiled automata are cached, so a repeated schema costs nothing."""
        from ..constraints.automaton import compile_constraint
        from ..constraints.constraints import constraint_from_response_format

        constraint = request.constraint
        if constraint is None and request.response_format is not None:
            constraint = constraint_from_response_format(request.response_format)
        if constraint is None:
            return None
        return compile_constraint(
            constraint,
            self.tokenizer,
            vocab_size=self.decoder.config.vocab_size,
            eos_ids=sorted(self.generator.eos_ids),
            device=self.decoder.device,
        )

    @property
    def chat_template(self) -> ChatTemplate:
        """The model's chat template, compiled on first use."""
        if self._chat_template is None:
            if self._chat_source is None:
                raise BackendError(
                    f"model {self.model!r} has no chat template (no chat_template.jinja and no "
                    "chat_template in tokenizer_config.json), so chat() cannot format messages "
                    "for it; use generate() with a text prompt, or add a chat template to the "
                    "checkpoint"
                )
            tok = self.tokenizer
            self._chat_template = ChatTemplate(
                self._chat_source,
                origin=self._chat_origin,
                bos_token=tok.bos_token,
                eos_token=tok.eos_token,
                pad_token=tok.pad_token,
            )
        return self._chat_template

    @contextlib.contextmanager
    def _calling(self) -> Iterator[None]:
        """One call at a time, each with this backend's threads (the process's own setting
        is put back after it: training or another library keeps its threads). An engine
        error that is not a backend error already leaves as one."""
        with self._lock, threads_applied(self.threads):
            try:
                yield
            except EngineError as exc:
                translated = _backend_error(exc)
                if translated is exc:
                    raise
                raise translated from exc

    def close(self) -> None:
        """Free the KV cache; the model stays loaded and the next call rebuilds the cache."""
        with self._calling():
            self.generator.reset_cache()


def chunk_of(event: StreamEvent) -> Chunk | None:
    """The chunk a generator's stream event amounts to (None for one that adds nothing, such
    as a special token's)."""
    if event.finish_reason is not None:
        return Chunk(finish_reason=event.finish_reason, usage=event.usage)
    if event.text or event.logprobs:
        return Chunk(text=event.text, logprobs=event.logprobs)
    return None


def _backend_error(exc: BaseException) -> BaseException:
    """What a caller of the backend gets for an engine error: the engine's refusals that are
    backend errors already (:class:`~promptcraft.errors.EngineContextLengthError`,
    :class:`~promptcraft.errors.EngineRequestError`) as they are, any other
    :class:`~promptcraft.errors.EngineError` (the batch engine closing) as a
    :class:`~promptcraft.errors.BackendError` with its message; anything else unchanged."""
    if isinstance(exc, EngineError) and not isinstance(exc, BackendError):
        translated = BackendError(str(exc))
        translated.__cause__ = exc
        return translated
    return exc


def chat_template_origin(source: Path) -> str:
    """Where a checkpoint's chat template comes from, as errors name it."""
    if source.is_file():  # a GGUF file keeps it in its metadata
        return f"{source} (tokenizer.chat_template)"
    template_file = source / "chat_template.jinja"
    return str(template_file if template_file.is_file() else source / "tokenizer_config.json")
