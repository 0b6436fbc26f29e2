"""The ``{% message %}`` tag that marks chat messages in a template, and the split of a
rendered chat into :class:`~promptcraft.types.Message` records.

A chat template renders to one string in which each message is wrapped in two *markers*. The
markers carry a nonce of 128 random bits drawn afresh for every render, and the renderer splits
the output only on markers with that render's nonce. Input values are fixed before the nonce
exists, so no input, whatever text it holds (``{% message %}``, a marker from an earlier render,
the marker character), can open, close or forge a message: it stays content.
"""

from __future__ import annotations

import secrets
from typing import Any

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

from ..errors import TemplateRenderError
from ..types import ROLES, Message
from .guards import RenderState, current_state

__all__ = ["MessageExtension", "split_messages", "trim_body_edges"]

# Any character works: the nonce, not the character, makes a marker unforgeable.
_MARK = "\u241e"


class MessageExtension(Extension):
    """``{% message "user" %}...{% endmessage %}``, optionally with ``name=`` and
    ``tool_call_id=``. Literal whitespace at the edges of the body is dropped, like a block's."""

    tags = {"message"}  # noqa: RUF012 - Jinja's own attribute

    def parse(self, parser: Parser) -> list[nodes.Node]:
        lineno = next(parser.stream).lineno
        role = parser.parse_expression()
        options: dict[str, nodes.Expr] = {}
        while parser.stream.current.type != "block_end":
            parser.stream.skip_if("comma")
            key = parser.stream.expect("name")
            if key.value not in ("name", "tool_call_id"):
                parser.fail(
                    f"unknown option {key.value!r} of {{% message %}}; "
                    "expected name= or tool_call_id=",
                    key.lineno,
                )
            parser.stream.expect("assign")
            options[key.value] = parser.parse_expression()
        depth = getattr(parser, "_pc_message_depth", 0)
        if depth:
            parser.fail("a {% message %} cannot contain another message", lineno)
        parser._pc_message_depth = depth + 1  # type: ignore[attr-defined]
        try:
            body = parser.parse_statements(("name:endmessage",), drop_needle=True)
        finally:
            parser._pc_message_depth = depth  # type: ignore[attr-defined]
        trim_body_edges(body)
        none = nodes.Const(None)
        args = [role, options.get("name", none), options.get("tool_call_id", none)]
        return [
            nodes.Output([self.call_method("_open", args, lineno=lineno)], lineno=lineno),
            *body,
            nodes.Output([self.call_method("_close", lineno=lineno)], lineno=lineno),
        ]

    def _open(self, role: Any, name: Any, tool_call_id: Any) -> str:
        if role not in ROLES:
            raise TemplateRenderError(f"unknown message role {role!r}; expected one of {ROLES}")
        for label, value in (("name", name), ("tool_call_id", tool_call_id)):
            if value is not None and not isinstance(value, str):
                raise TemplateRenderError(f"message {label} must be a string, not {value!r}")
        state = _state()
        state.messages.append((role, name, tool_call_id))
        return f"{_MARK}{state.nonce}+{len(state.messages) - 1}{_MARK}"

    def _close(self) -> str:
        return f"{_MARK}{_state().nonce}-{_MARK}"


def _state() -> RenderState:
    state = current_state()
    if state is None:
        raise TemplateRenderError("{% message %} blocks render only through a PromptTemplate")
    if state.nonce is None:
        state.nonce = secrets.token_hex(16)
    return state


def trim_body_edges(body: list[nodes.Node]) -> None:
    """Drop literal whitespace at the start and end of a block or message body. Only template
    text is touched: whitespace that comes from an input value is kept."""
    if body and isinstance(body[0], nodes.Output) and body[0].nodes:
        first = body[0].nodes[0]
        if isinstance(first, nodes.TemplateData):
            first.data = first.data.lstrip()
            if not first.data:
                del body[0].nodes[0]
    if body and isinstance(body[-1], nodes.Output) and body[-1].nodes:
        last = body[-1].nodes[-1]
        if isinstance(last, nodes.TemplateData):
            last.data = last.data.rstrip()
            if not last.data:
                del body[-1].nodes[-1]


def split_messages(text: str, state: RenderState) -> list[Message]:
    """Cut a rendered chat template into messages at this render's markers."""
    if state.nonce is None:
        if text.strip():
            raise TemplateRenderError(
                "a chat template must put its text in {% message %} blocks; "
                "this one rendered text but no message"
            )
        return []
    segments = text.split(_MARK + state.nonce)
    if segments[0].strip():
        raise _outside(segments[0])
    messages: list[Message] = []
    open_index: int | None = None
    content = ""
    for segment in segments[1:]:
        head, _, rest = segment.partition(_MARK)
        if head.startswith("+"):
            if open_index is not None:
                raise TemplateRenderError("a message was opened inside another message")
            open_index, content = int(head[1:]), rest
        else:
            if open_index is None:
                raise TemplateRenderError("a message was closed twice")
            role, name, tool_call_id = state.messages[open_index]
            messages.append(
                Message(role=role, content=content, name=name, tool_call_id=tool_call_id)  # type: ignore[arg-type]
            )
            open_index = None
            if rest.strip():
                raise _outside(rest)
    return messages


def _outside(text: str) -> TemplateRenderError:
    snippet = text.strip()[:40]
    return TemplateRenderError(
        f"text outside a {{% message %}} block in a chat template: {snippet!r}; "
        "put it inside a message"
    )
