"""Tool definitions that cannot work are refused when the tool is made, naming the function
and the argument; unusual but workable definitions (partials, callable objects, argument
names pydantic keeps for itself) work."""

from __future__ import annotations

import asyncio
import functools
import socket
import warnings
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from pydantic import Field

from promptcraft.agents import ToolArgumentsError, calculator, tool


def test_argument_of_a_type_without_json_schema_is_refused_naming_it() -> None:
    def send(conn: socket.socket, text: str) -> str:
        return text

    with pytest.raises(TypeError, match=r"tool 'send': argument 'conn' has type socket"):
        tool(send)


def test_callable_argument_is_refused_at_definition_not_at_run_time() -> None:
    def apply(f: Callable[[int], int]) -> int:
        return f(1)

    with pytest.raises(TypeError, match=r"tool 'apply': argument 'f' has type Callable"):
        tool(apply)


def test_keyword_variadic_arguments_are_refused_naming_them() -> None:
    def configure(**options: int) -> str:
        return ""

    with pytest.raises(TypeError, match=r"tool 'configure': \*\*options cannot be described"):
        tool(configure)


def test_arguments_named_like_pydantic_internals_reach_the_function() -> None:
    def query(schema: str, json: bool, model_config: int, _limit: int = 5) -> str:
        return f"{schema} {json} {model_config} {_limit}"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        made = tool(query)
    assert list(made.parameters["properties"]) == ["schema", "json", "model_config", "_limit"]
    assert made.call({"schema": "s", "json": True, "model_config": 1}) == "s True 1 5"


def test_annotated_constraints_on_an_argument_are_kept() -> None:
    @tool
    def repeat(times: Annotated[int, Field(ge=1, description="How often.")]) -> str:
        """Repeat."""
        return "x" * times

    assert repeat.parameters["properties"]["times"] == {
        "description": "How often.",
        "minimum": 1,
        "type": "integer",
    }
    with pytest.raises(ToolArgumentsError, match="times: Input should be greater than or equal"):
        repeat.call({"times": 0})


def test_tool_from_a_partial_takes_the_wrapped_functions_name_and_types() -> None:
    def power(base: int, exponent: int) -> int:
        """Raise base to exponent."""
        return base**exponent

    square = tool(functools.partial(power, exponent=2))
    assert (square.name, square.description) == ("power", "Raise base to exponent.")
    assert square.call({"base": 7}) == "49"


def test_tool_from_a_class_is_refused_naming_it() -> None:
    class Weather:
        def __init__(self, city: str):
            self.city = city

    with pytest.raises(TypeError, match="not the class Weather"):
        tool(Weather)


def test_callable_object_without_a_name_is_refused_asking_for_one() -> None:
    class Adder:
        def __call__(self, a: int, b: int) -> int:
            return a + b

    with pytest.raises(ValueError, match=r"has no name to call it by; write @tool\(name=...\)"):
        tool(Adder())
    assert tool(name="add")(Adder()).call({"a": 1, "b": 2}) == "3"


def test_callable_object_with_an_async_call_is_awaited() -> None:
    class Doubler:
        async def __call__(self, x: int) -> int:
            await asyncio.sleep(0)
            return 2 * x

    doubler = tool(name="double")(Doubler())
    assert doubler.is_async
    assert doubler.call({"x": 21}) == "42"


def test_generator_functions_are_refused_as_tools() -> None:
    async def numbers(n: int) -> Any:
        yield n

    with pytest.raises(TypeError, match="tool 'numbers' is a generator; a tool returns one"):
        tool(numbers)


def test_decorator_given_a_string_suggests_the_name_option() -> None:
    with pytest.raises(TypeError, match=r"write @tool\(name='calc'\)"):
        tool("calc")  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retries": -1}, "retries must be a non-negative integer or None, not -1"),
        ({"timeout": "5"}, "timeout must be positive seconds or None, not '5'"),
        ({"max_output_chars": 50}, "max_output_chars must be at least 100, not 50"),
    ],
)
def test_bad_tool_options_are_refused_naming_the_option(
    options: dict[str, Any], message: str
) -> None:
    def f(x: int) -> int:
        return x

    with pytest.raises(ValueError, match=message):
        tool(**options)(f)


def test_tool_names_longer_than_the_openai_limit_are_refused() -> None:
    with pytest.raises(ValueError, match="must be 1 to 64 letters"):
        tool(name="t" * 65)(calculator.function)


def test_tool_made_from_a_tool_keeps_its_own_name() -> None:
    calc = tool(name="calc")(calculator)
    assert calc.name == "calc"
    assert calculator.name == "calculator"
    assert calc.call({"expression": "6*7"}) == "42"


def test_tool_call_inside_an_event_loop_says_to_await_acall() -> None:
    async def inside() -> str:
        return calculator.call({"expression": "1+1"})

    with pytest.raises(RuntimeError, match=r"await calculator.acall\(arguments\)"):
        asyncio.run(inside())
