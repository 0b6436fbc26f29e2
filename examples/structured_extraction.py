"""Typed output from pc-tiny, our bundled model, offline: JSON records, a label, and a code.

Constrained decoding masks every token that would break the schema, so each output parses,
whatever the model would have written. Validation that a schema cannot express (here: the
age range) is checked afterwards; a failure goes back to the model as a retry.

Run: python examples/structured_extraction.py
"""

from pydantic import BaseModel, Field

import promptcraft as pc
from promptcraft.structured import choices, generate_structured, generate_structured_result, regex


class Person(BaseModel):
    name: str = Field(max_length=20)
    city: str = Field(max_length=20)
    age: int = Field(ge=0, le=130)


backend = pc.load_backend("pc-tiny")  # our small bundled model, in this process

example = {
    "input": "name: Ana; city: Oslo; age: 31",
    "output": '{"name": "Ana", "city": "Oslo", "age": 31}',
}
to_json = pc.HybridPrompt(instruction="Write the record as a JSON object.", examples=[example])

# Names and cities the tiny model met in training: an unseen name ("Mei") still gives a valid
# Person, but the model may write a name it knows instead.
records = ["name: Omar; city: Lima; age: 42", "name: Mia; city: Cairo; age: 27"]
for record in records:
    result = generate_structured_result(
        backend, to_json, Person, inputs={"input": record}, temperature=0
    )
    person = result.output
    assert isinstance(person, Person)
    print(f"{record!r:40} -> {person!r} ({result.usage.completion_tokens} tokens)")

# One of a fixed set of labels: the output can only be one of them.
label = generate_structured(
    backend,
    "Review: The strap broke after two days.\nSentiment:",
    choices(["positive", "negative"]),
    temperature=0,
)
assert label in ("positive", "negative")
print("sentiment:", label)

# A regular expression: always an upper-case code and four digits.
# Sampled (temperature 1 by default), yet always the right shape.
code = generate_structured(backend, "Booking reference:", regex(r"[A-Z]{3}-[0-9]{4}"))
print("reference:", code)
