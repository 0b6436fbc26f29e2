"""The record types the extraction benchmarks ask SmolLM2 for (``extraction.py`` and
``real_prompts.py``), one definition for both."""

from __future__ import annotations

from pydantic import BaseModel


class Person(BaseModel):
    name: str
    age: int
    city: str


class Order(BaseModel):
    item: str
    quantity: int


class Meeting(BaseModel):
    day: str
    time: str
