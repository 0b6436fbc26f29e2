"""An agent on pc-tiny, our bundled model, fully offline: it calls the calculator and a lookup table
through the text tool protocol until it can answer.

Run: python examples/agent_calculator.py
"""

import tempfile
from pathlib import Path

import promptcraft as pc
from promptcraft.agents import (
    Agent,
    AgentError,
    FinalOutput,
    ToolCallEvent,
    ToolResultEvent,
    calculator,
    lookup,
)

backend = pc.load_backend("pc-tiny")  # our curriculum model, trained on the tool protocol

# What `lookup` knows; the description is the one pc-tiny was trained with. The keys
# are items and names its training problems used: given a name it never saw ("Ann"), the tiny
# model looks up a name it knows instead.
prices = lookup(
    {"pen": 4, "cup": 3, "Ana": 31, "Ben": 24},
    description="look up a price or an age by its key",
)
trace = Path(tempfile.mkdtemp()) / "agent_trace.jsonl"
agent = Agent(backend, tools=[calculator, prices], max_steps=6, trace=trace)

questions = [
    "A box holds 12 apples. Tom buys 3 boxes and gives away 5 apples. "
    "How many apples does Tom have left?",
    "How much do 7 pens cost?",
    "How many years older is Ana than Ben?",
]
for question in questions:
    print(f"Q: {question}")
    try:
        result = agent.run(question)
    except AgentError as error:  # max_steps or a retry budget ran out: the trace says why
        print(f"   no answer ({error.reason}) after {len(error.steps)} steps\n")
        continue
    for step in result.steps:
        for call, observation in zip(step.tool_calls, step.tool_results, strict=True):
            print(f"   {call.name}({call.arguments}) -> {observation.content}")
    print(f"A: {result.output}   [{len(result.steps)} steps, {result.usage.total_tokens} tokens]\n")

# The same run as a stream of typed events.
print("streamed:")
task = "Mia has 14 marbles. Leo gives Mia 9 more, and then Mia loses 6. How many does Mia have now?"
for event in agent.stream(task):
    if isinstance(event, ToolCallEvent):
        print(f"   call   {event.call.name} {event.call.arguments}")
    elif isinstance(event, ToolResultEvent):
        print(f"   result {event.result.content}")
    elif isinstance(event, FinalOutput):
        print(f"   answer {event.output}")

print(f"\ntrace: {sum(1 for _ in trace.open())} JSONL records in {trace}")
