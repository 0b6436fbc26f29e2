"""The bundled model's own chat format: its special tokens and its chat template.

A conversation renders as::

    <|system|>
    You are a helpful assistant.<|end|>
    <|user|>
    Reverse the list.
    cat dog sun<|end|>
    <|assistant|>
    sun dog cat<|end|>

Each message is its role token, a newline, the content and ``<|end|>``, then a newline. With
``add_generation_prompt`` the text ends with ``<|assistant|>`` and a newline, and the model
writes the reply followed by ``<|end|>``: a backend stops at ``<|end|>`` (end of turn) or at
``<|endoftext|>`` (end of document, the eos the trainer appends to every sample).

:data:`CHAT_TEMPLATE` is the Hugging Face ``chat_template`` (``tokenizer_config.json``); it
uses only ``messages``, ``add_generation_prompt`` and ``raise_exception``, and writes every
character through expressions, so Jinja's whitespace settings cannot change its output:
:func:`render_chat` here and ``transformers``' ``apply_chat_template`` give the same text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from jinja2 import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel

from promptcraft.errors import PromptError

__all__ = [
    "CHAT_TEMPLATE",
    "END_OF_TURN",
    "EOS_TOKEN",
    "ROLE_TOKENS",
    "SPECIAL_TOKENS",
    "render_chat",
]

EOS_TOKEN = "<|endoftext|>"
END_OF_TURN = "<|end|>"
ROLE_TOKENS: dict[str, str] = {
    "system": "<|system|>",
    "user": "<|user|>",
    "assistant": "<|assistant|>",
    "tool": "<|tool|>",
}
# In id order after the learned merges: eos first, so it is the first special id.
SPECIAL_TOKENS: tuple[str, ...] = (EOS_TOKEN, *ROLE_TOKENS.values(), END_OF_TURN)

CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] not in ['system', 'user', 'assistant', 'tool'] -%}"
    "{{- raise_exception('unknown chat role: ' ~ message['role']) -}}"
    "{%- endif -%}"
    "{{- '<|' ~ message['role'] ~ '|>\\n' ~ (message['content'] or '') ~ '<|end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|assistant|>\\n' -}}"
    "{%- endif -%}"
)


def render_chat(
    messages: Iterable[Mapping[str, Any] | BaseModel], *, add_generation_prompt: bool = False
) -> str:
    """The conversation in the bundled model's chat format. ``messages`` are mappings with
    ``role`` and ``content`` or :class:`~promptcraft.prompts.Message` objects."""
    plain = [m.model_dump() if isinstance(m, BaseModel) else dict(m) for m in messages]
    return _template().render(messages=plain, add_generation_prompt=add_generation_prompt)


def _raise_exception(message: str) -> NoReturn:
    raise PromptError(message, template="chat_template")


@functools.cache
def _template() -> Template:
    # The settings transformers renders chat templates with.
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise_exception
    return env.from_string(CHAT_TEMPLATE)
