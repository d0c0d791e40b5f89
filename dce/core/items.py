"""The items of an item study (best-worst scaling, rankings) and its reference item."""


from __future__ import annotations

from dataclasses import dataclass

ITEM_TYPES = ("best-worst", "ranking")


@dataclass(frozen=True)
class Item:
    """One object of an item study: its name (key of ``items:``) and label."""

    name: str
    label: str


def items_of(study) -> tuple[Item, ...]:
    """The study's items in config order."""
    return tuple(Item(str(name), (spec.label if spec is not None and spec.label else str(name)))
                 for name, spec in (study.spec.items or {}).items())


def reference_item(study) -> str:
    """The item whose utility is fixed at 0 (``model.reference_item``, else the last)."""
    names = [i.name for i in items_of(study)]
    ref = study.spec.model.reference_item
    return ref if ref in names else names[-1]


def is_item_study(study) -> bool:
    return study.spec.type in ITEM_TYPES
