"""Every task family of the curriculum, by name, and the prompt kinds each is rendered as."""

from __future__ import annotations

from .family import Family
from .in_context import (
    InContextCipher,
    InContextLabels,
    InContextLookup,
    InContextTransform,
    RecallDrill,
)
from .list_tasks import (
    CaesarShift,
    CopyList,
    CountItems,
    DedupeWords,
    PickItem,
    ReverseList,
    SortWords,
    Uppercase,
)
from .record_tasks import Arithmetic, ExtractField, LookupValue, ToJson
from .word_problems import TOOL_FAMILIES

__all__ = [
    "EVALUATED_FAMILIES",
    "FAMILIES",
    "TEXT_FAMILIES",
    "TOOL_FAMILIES",
    "is_drill",
    "kinds_of",
]

TEXT_FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        CopyList(),
        ReverseList(),
        SortWords(),
        DedupeWords(),
        CountItems(),
        PickItem(),
        Uppercase(),
        CaesarShift(),
        Arithmetic(),
        ExtractField(),
        LookupValue(),
        ToJson(),
        InContextTransform(),
        InContextLookup(),
        InContextCipher(),
        InContextLabels(),
        RecallDrill(),
    )
}
FAMILIES: tuple[str, ...] = (*TEXT_FAMILIES, *TOOL_FAMILIES)


def is_drill(family: str) -> bool:
    """Whether ``family`` is training practice (:attr:`Family.drill`), never a target."""
    return family in TEXT_FAMILIES and TEXT_FAMILIES[family].drill


# Drills are practice, not capabilities: the held-out evaluation leaves them out.
EVALUATED_FAMILIES: tuple[str, ...] = tuple(name for name in FAMILIES if not is_drill(name))


def kinds_of(family: str) -> frozenset[str]:
    """The sample kinds a family is rendered as."""
    if family in TOOL_FAMILIES:
        return frozenset({"tool"})
    try:
        return TEXT_FAMILIES[family].kinds
    except KeyError:
        raise ValueError(
            f"unknown task family {family!r}; expected one of {', '.join(FAMILIES)}"
        ) from None
