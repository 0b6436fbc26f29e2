"""``@pc.tool``: a typed function becomes a Tool with a schema, validated calls and
serialised results."""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import BaseModel

from promptcraft.agents import ToolArgumentsError, ToolTimeoutError, tool
from promptcraft.agents.docstrings import parse_docstring
from promptcraft.agents.tools import serialise_output


@tool
def forecast(city: str, days: int = 3) -> str:
    """Forecast the weather.

    Args:
        city: The city's name.
        days (int): How many days ahead,
            at most ten.

    Returns:
        The forecast.
    """
    return f"sunny in {city} for {days} days"


def test_tool_takes_its_name_and_description_from_the_function() -> None:
    assert forecast.name == "forecast"
    assert forecast.description == "Forecast the weather."


def test_google_docstring_arguments_become_schema_descriptions() -> None:
    properties = forecast.parameters["properties"]
    assert properties["city"]["description"] == "The city's name."
    assert properties["days"]["description"] == "How many days ahead, at most ten."


def test_numpy_docstring_arguments_are_read() -> None:
    doc = parse_docstring(
        """Add two numbers.

        Parameters
        ----------
        a : int
            The first.
        b : int
            The second,
            added to the first.

        Returns
        -------
        int
        """
    )
    assert doc.description == "Add two numbers."
    assert doc.arguments == {"a": "The first.", "b": "The second, added to the first."}


def test_schema_marks_required_and_defaulted_arguments() -> None:
    schema = forecast.parameters
    assert schema["required"] == ["city"]
    assert schema["properties"]["days"] == {
        "default": 3,
        "description": "How many days ahead, at most ten.",
        "type": "integer",
    }


def test_openai_schema_wraps_the_parameters_as_a_function() -> None:
    entry = forecast.openai_schema()
    assert entry["type"] == "function"
    assert entry["function"]["name"] == "forecast"
    assert entry["function"]["parameters"] == forecast.parameters


def test_protocol_spec_maps_arguments_to_json_types() -> None:
    assert forecast.protocol_spec() == {
        "name": "forecast",
        "description": "Forecast the weather",
        "args": {"city": "string", "days": "integer"},
    }


def test_decorated_function_is_still_callable_directly() -> None:
    assert forecast("Oslo", days=1) == "sunny in Oslo for 1 days"


def test_decorator_options_override_name_and_description() -> None:
    @tool(name="weather", description="what the sky does")
    def f(city: str) -> str:
        return city

    assert (f.name, f.description) == ("weather", "what the sky does")


def test_arguments_are_validated_and_converted_before_the_call() -> None:
    assert forecast.call({"city": "Rome", "days": "2"}) == "sunny in Rome for 2 days"


def test_missing_argument_names_the_field() -> None:
    with pytest.raises(ToolArgumentsError, match=r"city: Field required"):
        forecast.call({"days": 2})


def test_unexpected_argument_is_rejected() -> None:
    with pytest.raises(ToolArgumentsError, match=r"town: unexpected argument"):
        forecast.call({"city": "Rome", "town": "Rome"})


def test_wrongly_typed_argument_names_the_field() -> None:
    with pytest.raises(ToolArgumentsError, match=r"days: Input should be a valid integer"):
        forecast.call({"city": "Rome", "days": "many"})


def test_async_function_becomes_an_awaitable_tool() -> None:
    @tool
    async def double(x: int) -> int:
        """Double a number."""
        await asyncio.sleep(0)
        return 2 * x

    assert double.is_async
    assert asyncio.run(double.acall({"x": 21})) == "42"


def test_pydantic_result_is_serialised_as_json() -> None:
    class City(BaseModel):
        name: str
        population: int

    @tool
    def city(name: str) -> City:
        """A city."""
        return City(name=name, population=7)

    assert city.call({"name": "Ur"}) == '{"name":"Ur","population":7}'


def test_dict_and_list_results_are_serialised_as_json() -> None:
    assert serialise_output({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert serialise_output([1, "x"]) == '[1, "x"]'


def test_none_result_is_empty_text() -> None:
    assert serialise_output(None) == ""


def test_huge_output_is_truncated_with_a_marker() -> None:
    @tool(max_output_chars=200)
    def dump() -> str:
        """Dump everything."""
        return "x" * 10_000

    out = dump.call({})
    assert len(out) == 200
    assert out.endswith("[truncated: 9800 of 10000 characters left out]")


def test_sync_tool_past_its_timeout_fails_without_waiting_for_it() -> None:
    @tool(timeout=0.05)
    def sleepy() -> str:
        """Sleep."""
        time.sleep(30)
        return "done"

    with pytest.raises(ToolTimeoutError, match=r"did not finish within 0\.05 seconds"):
        sleepy.call({})


def test_async_tool_past_its_timeout_is_cancelled() -> None:
    @tool(timeout=0.05)
    async def sleepy() -> str:
        """Sleep."""
        await asyncio.sleep(30)
        return "done"

    with pytest.raises(ToolTimeoutError):
        sleepy.call({})


def test_unannotated_argument_is_refused_at_decoration() -> None:
    with pytest.raises(TypeError, match="argument 'x' has no type annotation"):

        @tool
        def f(x) -> str:  # type: ignore[no-untyped-def]
            return str(x)


def test_var_arguments_are_refused_at_decoration() -> None:
    with pytest.raises(TypeError, match=r"tool 'f': \*args cannot be described"):

        @tool
        def f(*args: int) -> int:
            return sum(args)
