"""The backend's completions and chunks → OpenAI response bodies, whole or streamed.

A stream's events are built by a small formatter per request, which remembers what OpenAI's
format needs across events: the chat stream's opening ``role`` delta and the completions
format's running ``text_offset``.
"""

from __future__ import annotations

import secrets
import time

from pydantic import BaseModel

from ..types import Chunk, Completion, TokenLogprob, Usage
from .schemas import (
    ChatChoice,
    ChatChunkChoice,
    ChatCompletionChunk,
    ChatCompletionResponse,
    ChatDelta,
    ChatLogprobs,
    ChatMessageOut,
    ChatTokenLogprob,
    ChatTopLogprob,
    CompletionChoice,
    CompletionLogprobs,
    CompletionResponse,
    PromptTokensDetails,
    UsageOut,
)

__all__ = [
    "ChatStreamFormatter",
    "CompletionStreamFormatter",
    "chat_response",
    "completion_response",
    "new_id",
    "usage_out",
]


def new_id(prefix: str) -> str:
    """An id like OpenAI's (``cmpl-…``, ``chatcmpl-…``)."""
    return f"{prefix}-{secrets.token_hex(12)}"


def usage_out(usage: Usage) -> UsageOut:
    return UsageOut(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=usage.cached_prompt_tokens),
    )


def completion_response(id: str, model: str, completion: Completion) -> CompletionResponse:
    logprobs = None
    if completion.logprobs is not None:
        logprobs = _completion_logprobs(completion.logprobs, start=0)
    choice = CompletionChoice(
        text=completion.text, logprobs=logprobs, finish_reason=completion.finish_reason
    )
    return CompletionResponse(
        id=id,
        created=int(time.time()),
        model=model,
        choices=[choice],
        usage=usage_out(completion.usage),
    )


def chat_response(id: str, model: str, completion: Completion) -> ChatCompletionResponse:
    logprobs = None
    if completion.logprobs is not None:
        logprobs = ChatLogprobs(content=[_chat_logprob(lp) for lp in completion.logprobs])
    choice = ChatChoice(
        message=ChatMessageOut(content=completion.text),
        logprobs=logprobs,
        finish_reason=completion.finish_reason,
    )
    return ChatCompletionResponse(
        id=id,
        created=int(time.time()),
        model=model,
        choices=[choice],
        usage=usage_out(completion.usage),
    )


class CompletionStreamFormatter:
    """The events of a ``/v1/completions`` stream, chunk by chunk."""

    def __init__(self, id: str, model: str, *, include_usage: bool):
        self.id, self.model, self.include_usage = id, model, include_usage
        self.created = int(time.time())
        self._offset = 0  # text_offset of the next token

    def events(self, chunk: Chunk) -> list[BaseModel]:
        out: list[BaseModel] = []
        if chunk.text or chunk.logprobs:
            logprobs = None
            if chunk.logprobs is not None:
                logprobs = _completion_logprobs(chunk.logprobs, start=self._offset)
                self._offset += sum(len(lp.token) for lp in chunk.logprobs)
            out.append(self._event(CompletionChoice(text=chunk.text, logprobs=logprobs)))
        if chunk.finish_reason is not None:
            out.append(self._event(CompletionChoice(text="", finish_reason=chunk.finish_reason)))
            if self.include_usage and chunk.usage is not None:
                out.append(self._event(None, usage=usage_out(chunk.usage)))
        return out

    def _event(
        self, choice: CompletionChoice | None, usage: UsageOut | None = None
    ) -> CompletionResponse:
        return CompletionResponse(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[] if choice is None else [choice],
            usage=usage,
        )


class ChatStreamFormatter:
    """The events of a ``/v1/chat/completions`` stream: first the assistant's role, then the
    content deltas, then the finish reason (and the usage, when asked for)."""

    def __init__(self, id: str, model: str, *, include_usage: bool):
        self.id, self.model, self.include_usage = id, model, include_usage
        self.created = int(time.time())

    def opening(self) -> ChatCompletionChunk:
        return self._event(ChatChunkChoice(delta=ChatDelta(role="assistant", content="")))

    def events(self, chunk: Chunk) -> list[BaseModel]:
        out: list[BaseModel] = []
        if chunk.text or chunk.logprobs:
            logprobs = None
            if chunk.logprobs is not None:
                logprobs = ChatLogprobs(content=[_chat_logprob(lp) for lp in chunk.logprobs])
            delta = ChatDelta(content=chunk.text)
            out.append(self._event(ChatChunkChoice(delta=delta, logprobs=logprobs)))
        if chunk.finish_reason is not None:
            final = ChatChunkChoice(delta=ChatDelta(), finish_reason=chunk.finish_reason)
            out.append(self._event(final))
            if self.include_usage and chunk.usage is not None:
                out.append(self._event(None, usage=usage_out(chunk.usage)))
        return out

    def _event(
        self, choice: ChatChunkChoice | None, usage: UsageOut | None = None
    ) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[] if choice is None else [choice],
            usage=usage,
        )


def _completion_logprobs(logprobs: list[TokenLogprob], *, start: int) -> CompletionLogprobs:
    offsets: list[int] = []
    offset = start
    for lp in logprobs:
        offsets.append(offset)
        offset += len(lp.token)
    return CompletionLogprobs(
        tokens=[lp.token for lp in logprobs],
        token_logprobs=[lp.logprob for lp in logprobs],
        top_logprobs=[{top.token: top.logprob for top in lp.top} for lp in logprobs],
        text_offset=offsets,
    )


def _chat_logprob(lp: TokenLogprob) -> ChatTokenLogprob:
    return ChatTokenLogprob(
        token=lp.token,
        logprob=lp.logprob,
        bytes=list(lp.token.encode("utf-8")),
        top_logprobs=[
            ChatTopLogprob(token=t.token, logprob=t.logprob, bytes=list(t.token.encode("utf-8")))
            for t in lp.top
        ],
    )
