# ruff: noqa: E501  (each wording is one sentence on one line, as it reads)
"""Training problems for SmolLM2's tool-use adapter: word problems solved by the text
protocol, each with its planned calls, generated from wordings written for this recipe.

None of them is a held-out problem: the benchmark's problems
(``benchmarks/data/agent_problems.jsonl``) use other wordings, other tables, other items and
other names, and :func:`check_disjoint` refuses a training set that shares a question, a
table or a run of six words with them.

A problem is a question, the tools it offers (the calculator, and a lookup over a table),
and its plan: the calls a careful solver makes, one sub-quantity at a time, and the answer
(the last call's result). :func:`generate` draws ``n`` of them, an even mix of families.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["Problem", "check_disjoint", "generate"]


@dataclass
class Problem:
    question: str
    calls: list[tuple[str, str]]  # (tool, argument): ("calculator", "14*30"), ("lookup", "mug")
    table: dict[str, int] = field(default_factory=dict)
    description: str = ""
    family: str = ""


# --- arithmetic ------------------------------------------------------------------------------

NAMES = ["Omar", "Greta", "Kofi", "Ines", "Ravi", "Yuki", "Pablo", "Hana", "Lars", "Amara",
         "Tariq", "Sofia", "Bram", "Chen", "Noor", "Felix", "Zara", "Mateo", "Ilse", "Kwame"]  # fmt: skip


def _n(rng: random.Random, low: int, high: int) -> int:
    return rng.randint(low, high)


def _groups_plus_extra(rng: random.Random) -> Problem:
    """groups of a size, then some more (a*b+c)."""
    a, b, c = _n(rng, 3, 40), _n(rng, 6, 48), _n(rng, 5, 300)
    name = rng.choice(NAMES)
    wordings = [
        f"{name} packs {a} bags with {b} marbles in each and has {c} loose marbles. How many marbles does {name} have?",
        f"A warehouse stores {a} pallets of {b} tins plus {c} single tins. How many tins are stored?",
        f"There are {a} buses with {b} passengers each, and {c} more people arrive on foot. How many people are there?",
        f"{name} plants {a} rows of {b} tulips and then {c} more tulips by the gate. How many tulips are planted?",
        f"An orchard has {a} trees that give {b} kilos of plums each, and a neighbour brings {c} kilos. How many kilos of plums are there?",
        f"A choir sings {a} concerts of {b} minutes and a {c}-minute rehearsal. How many minutes do they sing?",
    ]
    return Problem(
        rng.choice(wordings), [("calculator", f"{a}*{b}"), ("calculator", f"{a * b}+{c}")]
    )


def _groups_minus_some(rng: random.Random) -> Problem:
    """groups of a size, minus some (a*b-c)."""
    a, b = _n(rng, 3, 40), _n(rng, 6, 48)
    c = _n(rng, 1, a * b - 1)
    name = rng.choice(NAMES)
    wordings = [
        f"{name} buys {a} cartons of {b} juice boxes and the class drinks {c}. How many juice boxes remain?",
        f"A ferry makes {a} crossings with {b} cars each; {c} of the cars were taxis. How many cars were not taxis?",
        f"A baker bakes {a} trays of {b} buns and {c} buns get burnt. How many buns can be sold?",
        f"{name} has {a} boxes of {b} nails and uses {c} nails on a fence. How many nails are left over?",
        f"A library receives {a} crates of {b} novels and gives {c} novels to a school. How many novels does it keep?",
        f"Each of {a} shelves holds {b} jars, and {c} jars are taken down. How many jars are still on the shelves?",
    ]
    return Problem(
        rng.choice(wordings), [("calculator", f"{a}*{b}"), ("calculator", f"{a * b}-{c}")]
    )


def _two_products(rng: random.Random) -> Problem:
    """two kinds at two prices (a*b+c*d)."""
    a, b, c, d = _n(rng, 2, 20), _n(rng, 2, 30), _n(rng, 2, 20), _n(rng, 2, 30)
    name = rng.choice(NAMES)
    wordings = [
        f"Scarves cost {b} dollars and hats cost {d} dollars. {name} buys {a} scarves and {c} hats. What is the total?",
        f"A van carries {a} sacks of {b} kilos and {c} sacks of {d} kilos. How many kilos does it carry?",
        f"{name} works {a} days at {b} euros a day and {c} days at {d} euros a day. How much does {name} earn?",
        f"A garden has {a} beds of {b} onions and {c} beds of {d} leeks. How many plants are in the garden?",
        f"Blue tiles are {b} pounds each and white tiles {d} pounds each. What do {a} blue and {c} white tiles cost?",
    ]
    return Problem(
        rng.choice(wordings), [("calculator", f"{a}*{b}"), ("calculator", f"{a * b}+{c}*{d}")]
    )


def _sum_then_times(rng: random.Random) -> Problem:
    """a weekly or per-round total, repeated ((a+b)*c)."""
    a, b, c = _n(rng, 2, 40), _n(rng, 2, 40), _n(rng, 2, 12)
    name = rng.choice(NAMES)
    wordings = [
        f"{name} cycles {a} km on Saturday and {b} km on Sunday every weekend. How far is that over {c} weekends?",
        f"Every round, a team scores {a} points in the first half and {b} in the second. How many points after {c} rounds?",
        f"A feeder gets {a} grams of seed in the morning and {b} grams at night. How many grams in {c} days?",
        f"Each box holds {a} red and {b} green pencils. How many pencils are in {c} boxes?",
        f"A shop spends {a} dollars on rent and {b} dollars on power each month. What does it spend in {c} months?",
    ]
    return Problem(
        rng.choice(wordings), [("calculator", f"{a}+{b}"), ("calculator", f"{a + b}*{c}")]
    )


def _take_away_twice(rng: random.Random) -> Problem:
    """a start, minus two amounts (a-b-c)."""
    b, c = _n(rng, 5, 300), _n(rng, 5, 300)
    a = b + c + _n(rng, 1, 500)
    name = rng.choice(NAMES)
    wordings = [
        f"{name} had {a} dollars, paid {b} dollars for shoes and {c} dollars for a jacket. How much money is left?",
        f"A cinema has {a} seats; {b} are sold online and {c} at the door. How many seats are unsold?",
        f"A reel holds {a} metres of rope. {name} cuts off {b} metres and then {c} metres. How much rope is left?",
        f"A school has {a} pupils. {b} go on a trip and {c} are ill at home. How many pupils are in school?",
        f"A tank has {a} litres of water; {b} litres water the lawn and {c} litres wash the car. How many litres remain?",
    ]
    return Problem(
        rng.choice(wordings), [("calculator", f"{a}-{b}"), ("calculator", f"{a - b}-{c}")]
    )


def _share_then_adjust(rng: random.Random) -> Problem:
    """shared equally, then each gets or pays more (a/b+c, a/b-c)."""
    b, q = _n(rng, 2, 12), _n(rng, 3, 60)
    a = b * q
    c = _n(rng, 1, q - 1)
    name = rng.choice(NAMES)
    plus = rng.random() < 0.5
    if plus:
        wordings = [
            f"{b} cousins split a prize of {a} dollars equally, and each gets {c} dollars more from grandma. How much does each cousin get?",
            f"{a} stickers are shared equally by {b} children, then each child finds {c} more. How many stickers does each child have?",
            f"A {a}-kilometre relay is run in {b} equal legs, and the last runner adds a {c} km cool-down. How far does the last runner go?",
        ]
        return Problem(
            rng.choice(wordings), [("calculator", f"{a}/{b}"), ("calculator", f"{q}+{c}")]
        )
    wordings = [
        f"{b} friends share a {a} dollar taxi fare equally, and each has a {c} dollar voucher. What does each friend owe?",
        f"{a} chairs are split equally between {b} rooms, and {c} chairs in each room are broken. How many good chairs does each room have?",
        f"{name} divides {a} grams of flour into {b} equal bowls and takes {c} grams out of each. How much flour is in each bowl?",
    ]
    return Problem(rng.choice(wordings), [("calculator", f"{a}/{b}"), ("calculator", f"{q}-{c}")])


def _three_factors(rng: random.Random) -> Problem:
    """a*b*c."""
    a, b, c = _n(rng, 2, 12), _n(rng, 2, 15), _n(rng, 2, 30)
    wordings = [
        f"A stadium has {a} stands with {b} blocks of {c} seats each. How many seats are there?",
        f"A hotel has {a} wings, each with {b} corridors of {c} rooms. How many rooms does it have?",
        f"{a} classes each have {b} groups of {c} pupils. How many pupils is that?",
        f"A crate holds {a} boxes, each with {b} packs of {c} screws. How many screws are in the crate?",
    ]
    return Problem(
        rng.choice(wordings), [("calculator", f"{a}*{b}"), ("calculator", f"{a * b}*{c}")]
    )


def _times_as_many(rng: random.Random) -> Problem:
    """x, then k times as many: together (x + k*x)."""
    x, k = _n(rng, 10, 400), rng.choice([2, 3, 4])
    word = {2: "twice", 3: "three times", 4: "four times"}[k]
    name = rng.choice(NAMES)
    wordings = [
        f"{name} picked {x} cherries on Monday and {word} as many on Tuesday. How many cherries did {name} pick on both days?",
        f"A bakery sold {x} pies in June and {word} as many in July. How many pies did it sell in the two months?",
        f"A museum had {x} visitors on Friday and {word} as many on Saturday. How many visitors came on those two days?",
    ]
    return Problem(
        rng.choice(wordings), [("calculator", f"{k}*{x}"), ("calculator", f"{x}+{k * x}")]
    )


def _fraction_off(rng: random.Random) -> Problem:
    """a fraction of a total goes, then some more (a - a/k - c)."""
    k = rng.choice([2, 3, 4, 5])
    a = k * _n(rng, 10, 200)
    part = a // k
    c = _n(rng, 1, a - part - 1)
    word = {2: "half", 3: "a third", 4: "a quarter", 5: "a fifth"}[k]
    wordings = [
        f"A market stall has {a} melons. It sells {word} of them before noon and {c} more in the afternoon. How many melons are left?",
        f"A printer has {a} sheets of paper. {word.capitalize()} of them are used on Monday and {c} on Tuesday. How many sheets remain?",
        f"A club has {a} members. {word.capitalize()} of them leave, and then {c} more leave. How many members stay?",
    ]
    return Problem(
        rng.choice(wordings), [("calculator", f"{a}/{k}"), ("calculator", f"{a}-{part}-{c}")]
    )


def _convert_then_add(rng: random.Random) -> Problem:
    """a unit conversion, then a part more (h*60+m, dozens*12+n, km*1000+m)."""
    kind = rng.randrange(3)
    if kind == 0:
        h, m = _n(rng, 1, 9), _n(rng, 1, 59)
        q = rng.choice(
            [
                f"A flight lasts {h} hours and {m} minutes. How many minutes is that?",
                f"The hike took {h} hours and {m} minutes. How long was it in minutes?",
            ]
        )
        return Problem(q, [("calculator", f"{h}*60"), ("calculator", f"{h * 60}+{m}")])
    if kind == 1:
        d, n = _n(rng, 2, 30), _n(rng, 1, 11)
        q = rng.choice(
            [
                f"A farm sells {d} dozen eggs and {n} single eggs. How many eggs is that?",
                f"{rng.choice(NAMES)} bakes {d} dozen cookies and {n} extra ones. How many cookies are there?",
            ]
        )
        return Problem(q, [("calculator", f"{d}*12"), ("calculator", f"{d * 12}+{n}")])
    k, m = _n(rng, 2, 40), _n(rng, 10, 900)
    q = rng.choice(
        [
            f"A river trip covers {k} km and then another {m} metres to the jetty. How many metres is the trip?",
            f"A cable is {k} km long plus {m} metres of spare. How many metres of cable are there?",
        ]
    )
    return Problem(q, [("calculator", f"{k}*1000"), ("calculator", f"{k * 1000}+{m}")])


def _rate_time_minus(rng: random.Random) -> Problem:
    """a rate for a time, minus a use (a*t - c), or a start minus a rate for a time."""
    rate, t = _n(rng, 5, 90), _n(rng, 2, 24)
    name = rng.choice(NAMES)
    if rng.random() < 0.5:
        c = _n(rng, 1, rate * t - 1)
        q = rng.choice(
            [
                f"A pump moves {rate} litres a minute for {t} minutes, and {c} litres spill. How many litres are pumped into the tank?",
                f"{name} earns {rate} dollars a day for {t} days and spends {c} dollars on food. How much is saved?",
                f"A machine makes {rate} bottles an hour for {t} hours; {c} bottles are faulty. How many good bottles are made?",
            ]
        )
        return Problem(q, [("calculator", f"{rate}*{t}"), ("calculator", f"{rate * t}-{c}")])
    start = rate * t + _n(rng, 1, 800)
    q = rng.choice(
        [
            f"A candle store has {start} candles and sells {rate} a day for {t} days. How many candles are left?",
            f"A savings jar holds {start} coins; {name} takes out {rate} coins a week for {t} weeks. How many coins stay in the jar?",
        ]
    )
    return Problem(q, [("calculator", f"{rate}*{t}"), ("calculator", f"{start}-{rate * t}")])


def _sum_of_three_times(rng: random.Random) -> Problem:
    """three amounts summed, then a unit price ((a+b+c)*p)."""
    a, b, c, p = _n(rng, 10, 300), _n(rng, 10, 300), _n(rng, 10, 300), _n(rng, 2, 15)
    wordings = [
        f"A fair sold {a} rides on day one, {b} on day two and {c} on day three, at {p} dollars a ride. How much money did it take?",
        f"A farmer fills {a}, {b} and {c} bottles of milk on three mornings and sells each for {p} euros. What does the milk bring in?",
    ]
    return Problem(
        rng.choice(wordings), [("calculator", f"{a}+{b}+{c}"), ("calculator", f"{a + b + c}*{p}")]
    )


ARITHMETIC: list[Callable[[random.Random], Problem]] = [
    _groups_plus_extra,
    _groups_minus_some,
    _two_products,
    _sum_then_times,
    _take_away_twice,
    _share_then_adjust,
    _three_factors,
    _times_as_many,
    _fraction_off,
    _convert_then_add,
    _rate_time_minus,
    _sum_of_three_times,
]

# --- lookups ---------------------------------------------------------------------------------

# Each table: its lookup's description, the value range of each key, and wordings per kind
# of question: "times" (n of a), "diff" (a minus b, a the larger), "sum" (a and b),
# "mix" (n of a and m of b), "left" (a budget minus n of a), "plus" (a plus x).
# {A}/{B} are the plurals of {a}/{b}. None of these tables is a held-out one.
TABLES: list[dict[str, Any]] = [
    {
        "description": "look up the price in dollars of a toy",
        "keys": {"kite": (5, 25), "yoyo": (2, 6), "puzzle": (8, 30), "ball": (3, 12), "robot": (20, 60)},
        "times": ["What do {n} {A} cost?", "{name} wants {n} {A} for a party. What is the bill?", "How much would {n} {A} come to?"],
        "diff": ["How much more does a {a} cost than a {b}?", "What is the price difference between a {a} and a {b}?"],
        "sum": ["What does a {a} and a {b} cost together?", "{name} buys one {a} and one {b}. How much is that?"],
        "mix": ["What do {n} {A} and {m} {B} cost?", "{name} orders {n} {A} and {m} {B}. What is the total price?"],
        "left": ["{name} has {budget} dollars and buys {n} {A}. How many dollars are left?", "With {budget} dollars, how much change is there after paying for {n} {A}?"],
        "plus": ["A {a} costs how much after a {x} dollar price rise?", "What is the price of a {a} plus {x} dollars of gift wrap?"],
    },
    {
        "description": "look up the price in euros of a tool",
        "keys": {"hammer": (8, 30), "saw": (10, 40), "drill": (40, 120), "spanner": (4, 15), "ladder": (30, 90)},
        "times": ["A workshop needs {n} {A}. What do they cost?", "What is the cost of {n} {A}?"],
        "diff": ["How many euros dearer is a {a} than a {b}?", "By how much does the price of a {a} beat the price of a {b}?"],
        "sum": ["What do a {a} and a {b} cost in all?", "Price a {a} and a {b} together."],
        "mix": ["How much for {n} {A} and {m} {B}?", "A builder buys {n} {A} and {m} {B}. What is spent?"],
        "left": ["{name} brings {budget} euros and buys {n} {A}. What money remains?", "From a budget of {budget} euros, what is left after {n} {A}?"],
        "plus": ["What does a {a} cost with a {x} euro delivery charge?", "A {a} plus a {x} euro case costs how much?"],
    },
    {
        "description": "look up an animal's weight in kilograms",
        "keys": {"dog": (10, 40), "cat": (3, 7), "goat": (30, 70), "sheep": (40, 90), "pony": (150, 300)},
        "times": ["What do {n} {A} weigh together?", "A trailer carries {n} {A}. How many kilograms is the load?"],
        "diff": ["How many kilograms heavier is a {a} than a {b}?", "What is the weight difference between a {a} and a {b}?"],
        "sum": ["What do a {a} and a {b} weigh together?", "A vet weighs a {a} and a {b} on one scale. What does it show?"],
        "mix": ["What do {n} {A} and {m} {B} weigh in total?", "A barn holds {n} {A} and {m} {B}. What is their total weight?"],
        "left": ["A ferry can take {budget} kilograms. After loading {n} {A}, how many kilograms can it still take?", "A lift is rated for {budget} kilograms; how much capacity is left with {n} {A} inside?"],
        "plus": ["A {a} gains {x} kilograms over winter. What does it weigh then?", "What does a {a} weigh with a {x} kilogram saddle bag?"],
    },
    {
        "description": "look up the monthly rent in euros of a flat in a city",
        "keys": {"Oslo": (1200, 2000), "Porto": (600, 1100), "Graz": (700, 1200), "Turin": (650, 1150)},
        "times": ["What does {n} months of rent in {a} cost?", "{name} rents a flat in {a} for {n} months. What is the total rent?"],
        "diff": ["How much more is the rent in {a} than in {b}?", "What is the monthly rent gap between {a} and {b}?"],
        "sum": ["What is the rent of a flat in {a} plus a flat in {b}?", "{name} pays rent for flats in {a} and {b}. What is that each month?"],
        "mix": ["What do {n} months in {a} and {m} months in {b} cost in rent?", "{name} lives {n} months in {a} and then {m} months in {b}. What is the rent in all?"],
        "left": ["{name} saved {budget} euros. After {n} months of rent in {a}, what is left?", "A budget of {budget} euros pays {n} months of rent in {a}. How much remains?"],
        "plus": ["The rent in {a} goes up by {x} euros. What is the new rent?", "What is the rent in {a} plus {x} euros for heating?"],
    },
    {
        "description": "look up the number of pages of a book",
        "keys": {"Dune": (400, 700), "Emma": (300, 500), "Ulysses": (600, 900), "Beloved": (250, 400)},
        "times": ["A class reads {n} copies of {a}. How many pages is that in all?", "How many pages are {n} copies of {a}?"],
        "diff": ["How many more pages does {a} have than {b}?", "What is the page difference between {a} and {b}?"],
        "sum": ["How many pages do {a} and {b} have together?", "{name} reads {a} and then {b}. How many pages is that?"],
        "mix": ["How many pages are {n} copies of {a} and {m} copies of {b}?", "A printer prints {n} copies of {a} and {m} copies of {b}. How many pages is that?"],
        "left": ["A box of {budget} sheets prints {n} copies of {a}. How many sheets are left?", "{name} has {budget} pages of paper and prints {a} {n} times. How many pages of paper remain?"],
        "plus": ["A new edition of {a} adds {x} pages. How long is it?", "{a} with a {x}-page preface has how many pages?"],
    },
    {
        "description": "look up a worker's hourly wage in dollars",
        "keys": {"Moses": (15, 40), "Petra": (15, 40), "Quinn": (15, 40), "Rosa": (15, 40)},
        "times": ["What does {a} earn in {n} hours?", "{a} works a {n}-hour shift. What is the pay?"],
        "diff": ["How much more does {a} earn per hour than {b}?", "What is the hourly pay gap between {a} and {b}?"],
        "sum": ["What do {a} and {b} cost together for one hour?", "What is the combined hourly wage of {a} and {b}?"],
        "mix": ["What does a job cost with {a} for {n} hours and {b} for {m} hours?", "{a} works {n} hours and {b} works {m} hours. What is the wage bill?"],
        "left": ["A budget of {budget} dollars pays {a} for {n} hours. How much is left?", "After paying {a} for {n} hours out of {budget} dollars, what remains?"],
        "plus": ["{a} gets a raise of {x} dollars an hour. What is the new wage?", "What is {a}'s hourly wage plus a {x} dollar bonus?"],
    },
    {
        "description": "look up the length in km of a cycling route",
        "keys": {"coast": (20, 90), "forest": (10, 60), "valley": (15, 70), "ridge": (25, 100)},
        "times": ["How far is it to ride the {a} route {n} times?", "{name} rides the {a} route on {n} days. How many km is that?"],
        "diff": ["How much longer is the {a} route than the {b} route?", "What is the difference in km between the {a} and {b} routes?"],
        "sum": ["How long are the {a} and {b} routes together?", "{name} rides the {a} route and then the {b} route. How far is that?"],
        "mix": ["How far is {n} rides of the {a} route and {m} rides of the {b} route?", "A club rides the {a} route {n} times and the {b} route {m} times. How many km?"],
        "left": ["{name} aims for {budget} km this month and has ridden the {a} route {n} times. How many km to go?", "Of a {budget} km goal, how many km remain after {n} rides of the {a} route?"],
        "plus": ["The {a} route with a {x} km detour is how long?", "How far is the {a} route plus {x} km home?"],
    },
    {
        "description": "look up the number of seats in a hall",
        "keys": {"north": (100, 600), "south": (100, 600), "east": (100, 600), "west": (100, 600)},
        "times": ["How many seats are there in {n} halls like the {a} hall?", "A show fills the {a} hall {n} nights running. How many tickets is that?"],
        "diff": ["How many more seats does the {a} hall have than the {b} hall?", "What is the seat difference between the {a} and {b} halls?"],
        "sum": ["How many seats do the {a} and {b} halls have together?", "If both the {a} and {b} halls are full, how many people are seated?"],
        "mix": ["A festival fills the {a} hall {n} times and the {b} hall {m} times. How many seats were sold?", "How many tickets are {n} full shows in the {a} hall and {m} in the {b} hall?"],
        "left": ["{budget} people come. After {n} full shows in the {a} hall, how many are still waiting?", "Of {budget} ticket holders, how many are left after the {a} hall is filled {n} times?"],
        "plus": ["The {a} hall adds {x} seats. How many seats does it have now?", "How many people fit in the {a} hall with {x} standing places?"],
    },
]  # fmt: skip


def _plural(key: str) -> str:
    if key.endswith(("sh", "ch", "s")):
        return key + "es"
    if key.endswith("y") and key[-2] not in "aeiou":
        return key[:-1] + "ies"
    return key + "s"


def _lookup_problem(rng: random.Random) -> Problem:
    spec = rng.choice(TABLES)
    table = {k: rng.randint(lo, hi) for k, (lo, hi) in spec["keys"].items()}
    a, b = rng.sample(list(table), 2)
    n, m, x = _n(rng, 2, 12), _n(rng, 2, 9), _n(rng, 2, 60)
    kind = rng.choice(["times", "diff", "sum", "mix", "left", "plus"])
    if kind == "diff" and table[a] < table[b]:
        a, b = b, a
    if kind == "diff" and table[a] == table[b]:
        kind = "sum"
    budget = n * table[a] + _n(rng, 1, 300)
    question = rng.choice(spec[kind]).format(
        a=a, b=b, A=_plural(a), B=_plural(b), n=n, m=m, x=x, budget=budget, name=rng.choice(NAMES)
    )
    va, vb = table[a], table[b]
    expression = {
        "times": f"{n}*{va}",
        "diff": f"{va}-{vb}",
        "sum": f"{va}+{vb}",
        "mix": f"{n}*{va}+{m}*{vb}",
        "left": f"{budget}-{n}*{va}",
        "plus": f"{va}+{x}",
    }[kind]
    lookups = [("lookup", a)] + ([("lookup", b)] if kind in ("diff", "sum", "mix") else [])
    calls = [*lookups, ("calculator", expression)]
    return Problem(question[0].upper() + question[1:], calls, table, spec["description"])


# --- the set ---------------------------------------------------------------------------------


def generate(n: int, seed: int) -> list[Problem]:
    """``n`` problems: two thirds arithmetic (the families in turn), one third lookups."""
    rng = random.Random(seed)
    problems: list[Problem] = []
    seen: set[str] = set()
    made = 0
    while len(problems) < n:
        made += 1
        if made % 3 == 0:
            problem = _lookup_problem(rng)
            problem.family = "lookup"
        else:
            maker = ARITHMETIC[made % len(ARITHMETIC)]
            problem = maker(rng)
            problem.family = maker.__name__.strip("_")
        if problem.question not in seen:
            seen.add(problem.question)
            problems.append(problem)
    return problems


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+|\d+", text.lower())


def check_disjoint(problems: Iterable[Problem], held_out: Path, *, ngram: int = 6) -> None:
    """Raise ``ValueError`` when a training problem shares its question, its table, or a run
    of ``ngram`` words with a held-out one."""
    rows = [json.loads(line) for line in held_out.read_text(encoding="utf-8").splitlines() if line]
    questions = {row["question"] for row in rows}
    tables = [set(row["table"]) for row in rows if row.get("table")]
    grams: set[tuple[str, ...]] = set()
    for row in rows:
        words = _words(row["question"])
        grams.update(tuple(words[i : i + ngram]) for i in range(len(words) - ngram + 1))
    for problem in problems:
        if problem.question in questions:
            raise ValueError(f"a held-out question is in the training set: {problem.question}")
        if problem.table and set(problem.table) in tables:
            raise ValueError(f"a held-out table is in the training set: {problem.table}")
        words = _words(problem.question)
        shared = [
            g
            for g in (tuple(words[i : i + ngram]) for i in range(len(words) - ngram + 1))
            if g in grams
        ]
        if shared:
            raise ValueError(
                f"{' '.join(shared[0])!r} is in a held-out question: {problem.question}"
            )


def solve(problem: Problem) -> list[str]:
    """The observation of each planned call (the calculator's answers, the table's values)."""
    from promptcraft.agents.arithmetic import calculate

    out = []
    for tool, argument in problem.calls:
        out.append(calculate(argument) if tool == "calculator" else str(problem.table[argument]))
    return out


def answer_of(problem: Problem) -> str:
    value = Fraction(solve(problem)[-1])
    return str(value.numerator) if value.denominator == 1 else str(float(value))


def as_row(problem: Problem) -> dict[str, Any]:
    return {
        "question": problem.question,
        "table": problem.table,
        "description": problem.description,
        "calls": problem.calls,
        "family": problem.family,
    }
