"""Run one tool call for the agent: the tool's output, or the error the model is told."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from ..errors import ToolError
from .records import ToolResultRecord
from .tools import (
    DEFAULT_MAX_OUTPUT_CHARS,
    Tool,
    ToolArgumentsError,
    ToolTimeoutError,
    serialise_output,
)
from .turns import ParsedCall, error_observation

__all__ = ["execute_call"]


async def execute_call(tools: Mapping[str, Tool], call: ParsedCall) -> ToolResultRecord:
    """Validate and run ``call``. Whatever goes wrong (an unknown tool, arguments that do not
    validate, a tool that raises or times out) becomes the result's ``content``, in
    the ``error: ...`` form, with ``problem`` saying which; nothing is raised."""
    start = time.perf_counter()
    tool = tools.get(call.name)
    problem: Any = None
    if tool is None:
        offered = ", ".join(tools) or "none"
        content = error_observation(f"unknown tool '{call.name}'; use one of: {offered}")
        problem = "unknown_tool"
    elif call.arguments is None:
        spec = json.dumps(tool.protocol_spec()["args"])
        content = error_observation(f"{tool.name} takes args {spec}: {call.problem}")
        problem = "invalid_arguments"
    else:
        try:
            content = await tool.acall(call.arguments)
        except ToolTimeoutError as exc:
            content, problem = error_observation(exc.message), "timeout"
        except ToolArgumentsError as exc:
            content, problem = error_observation(exc.message), "invalid_arguments"
        except ToolError as exc:
            content, problem = error_observation(exc.message), "tool_error"
        except Exception as exc:  # a failing tool is an observation
            content, problem = error_observation(describe_exception(exc)), "tool_error"
    if problem is not None:
        limit = tool.max_output_chars if tool is not None else DEFAULT_MAX_OUTPUT_CHARS
        content = serialise_output(content, limit)
    return ToolResultRecord(
        id=call.id,
        name=call.name,
        content=content,
        ok=problem is None,
        problem=problem,
        seconds=time.perf_counter() - start,
    )


def describe_exception(exc: BaseException) -> str:
    """``ValueError: bad input``; the type alone when the message is empty or cannot be
    had (an exception whose ``__str__`` itself fails)."""
    try:
        message = str(exc).strip()
    except Exception:
        message = ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
