"""A model's chat template: Hugging Face's Jinja format, rendered in a sandbox and encoded so
that only the template, never a message, can produce control tokens.

The template sees what ``transformers``' ``apply_chat_template`` gives it: ``messages`` (a
list of role/content mappings), ``add_generation_prompt``, the special token strings
(``bos_token``, ``eos_token``, ``pad_token``), the ``raise_exception`` and ``strftime_now``
functions and a ``tojson`` filter that keeps non-ASCII text.

A chat template comes with the model file, and a model file is untrusted input (a GGUF from
anywhere): it renders in the same sandbox, with the same bounds, as a ``.prompt`` file
(:mod:`promptcraft.prompts.foreign`), and an escape attempt is refused naming the file.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn

from ..errors import TemplateRenderError
from ..prompts.diagnostics import locate
from ..prompts.foreign import compile_foreign
from ..tokenizers.tokenizer import Tokenizer
from ..types import Message, ToolCall

__all__ = ["ChatTemplate"]

# Private-use characters around a placeholder: no real text holds them, and no string
# method a template may call (strip, upper, title, ...) changes them or the digits between.
_OPEN, _CLOSE = "\ue000", "\ue001"


class _RaisedByTemplate(Exception):
    """What ``raise_exception`` raises inside a template."""


def _raise_exception(message: str) -> NoReturn:
    raise _RaisedByTemplate(message)


def _strftime_now(format: str) -> str:
    return datetime.now().strftime(format)


class ChatTemplate:
    """A compiled chat template. ``origin`` names it in errors (the file it came from)."""

    def __init__(
        self,
        source: str,
        *,
        origin: str,
        bos_token: str | None = None,
        eos_token: str | None = None,
        pad_token: str | None = None,
    ):
        self.source = source
        self.origin = origin
        self._tokens = {
            name: value
            for name, value in (
                ("bos_token", bos_token),
                ("eos_token", eos_token),
                ("pad_token", pad_token),
            )
            if value is not None
        }
        self._template = compile_foreign(source, origin=origin)

    def render(self, messages: Sequence[Message], *, add_generation_prompt: bool = True) -> str:
        """The conversation as the model reads it, ending with the assistant's cue."""
        return self._render([_as_dict(m) for m in messages], add_generation_prompt)

    def encode(
        self,
        messages: Sequence[Message],
        tokenizer: Tokenizer,
        *,
        add_generation_prompt: bool = True,
    ) -> list[int]:
        """Token ids of the rendered conversation.

        Special-token text in the template becomes the special token; the same text inside
        a message (or its name) stays ordinary text. To tell the two apart, such text in a
        message is swapped for a placeholder before rendering and restored after.
        """
        specials = {
            text: token_id
            for text, token_id in tokenizer.special_tokens.items()
            if text not in tokenizer.added_tokens  # added tokens are ordinary text (HF)
        }
        if not specials:
            return tokenizer.encode(
                self.render(messages, add_generation_prompt=add_generation_prompt)
            )
        # Longest first, so a special that extends another is matched whole.
        split = re.compile(
            "(" + "|".join(re.escape(s) for s in sorted(specials, key=len, reverse=True)) + ")"
        )
        nonce = str(secrets.randbelow(10**20)).zfill(20)
        hidden: list[str] = []

        def hide(match: re.Match[str]) -> str:
            hidden.append(match.group(0))
            return f"{_OPEN}{nonce}.{len(hidden) - 1}{_CLOSE}"

        def hide_all(value: Any) -> Any:  # every string of a message, tool calls included
            if isinstance(value, str):
                return split.sub(hide, value)
            if isinstance(value, dict):
                return {hide_all(k): hide_all(v) for k, v in value.items()}
            if isinstance(value, list):
                return [hide_all(item) for item in value]
            return value

        dicts = [hide_all(_as_dict(m)) for m in messages]
        text = self._render(dicts, add_generation_prompt)
        placeholder = re.compile(re.escape(_OPEN + nonce) + r"\.(\d+)" + re.escape(_CLOSE))
        ids: list[int] = []
        for i, piece in enumerate(split.split(text)):
            if i % 2:  # the template's own special token
                ids.append(specials[piece])
            elif piece:
                ids.extend(tokenizer.encode(placeholder.sub(lambda m: hidden[int(m[1])], piece)))
        return ids

    def _render(self, messages: list[dict[str, Any]], add_generation_prompt: bool) -> str:
        context = {
            "messages": messages,
            "add_generation_prompt": add_generation_prompt,
            "raise_exception": _raise_exception,
            "strftime_now": _strftime_now,
            **self._tokens,
        }
        try:
            return self._template.render(context, passthrough=(_RaisedByTemplate,))
        except _RaisedByTemplate as exc:
            raise TemplateRenderError(
                f"the chat template rejected the messages: {exc}",
                template=self.origin,
                line=locate(exc, {})[1],
            ) from None


def _as_dict(message: Message) -> dict[str, Any]:
    """A message as Hugging Face chat templates read it. Absent optional fields are left
    out, so ``message.name is defined`` works as in HF; tool calls take the OpenAI shape
    (``{"id", "type", "function": {"name", "arguments"}}``), with the arguments as a mapping
    when they are a JSON object, as transformers documents them."""
    data = message.model_dump(exclude_none=True, exclude={"tool_calls"})
    if message.tool_calls is not None:
        data["tool_calls"] = [_tool_call_as_dict(call) for call in message.tool_calls]
    return data


def _tool_call_as_dict(call: ToolCall) -> dict[str, Any]:
    arguments: Any
    try:
        arguments = call.parsed_arguments()
    except ValueError:  # malformed, as the model wrote it: the template gets the text
        arguments = call.arguments
    return {
        "id": call.id,
        "type": call.type,
        "function": {"name": call.name, "arguments": arguments},
    }
