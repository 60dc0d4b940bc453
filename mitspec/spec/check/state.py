"""What the static simulation knows about a class at one point of its body, and the
layout edits several operations share."""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import program as ir


@dataclass
class ClassState:
    """The elements placed so far (every instance has the same layout) and the table
    rows selected with `use`."""

    features: list[ir.Feature] = field(default_factory=list)
    tables: dict[str, ir.UseOp] = field(default_factory=dict)

    def copy(self) -> ClassState:
        return ClassState(list(self.features), dict(self.tables))

    def feature(self, name: str) -> ir.Feature | None:
        return next((f for f in self.features if f.name == name), None)


def mirror(state: ClassState, start: int, end: int) -> None:
    """Reverse-complement start..end in the layout: elements inside are mirrored and
    change strand; elements the region cuts are dropped."""
    flip = {"+": "-", "-": "+", ".": "."}
    state.features[:] = [
        ir.Feature(f.name, start + end - f.end, start + end - f.start, flip[f.strand], f.source)
        if f.inside(start, end) else f
        for f in state.features if f.inside(start, end) or not f.overlaps(start, end)
    ]


def shift_features(features: list[ir.Feature], at: int, delta: int) -> list[ir.Feature]:
    """The layout after inserting (delta > 0) or deleting (delta < 0) bases right before
    position `at`: every element starting at or after `at` moves by delta. Callers check
    that a deletion removes no element and that nothing is pushed past the end."""
    return [ir.Feature(f.name, f.start + delta, f.end + delta, f.strand, f.source) if f.start >= at else f
            for f in features]


def level_label(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
