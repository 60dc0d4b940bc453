"""What the static simulation knows about a class at one point of its body, and the
layout edits several operations share."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import program as ir


@dataclass
class ClassState:
    """The elements placed so far (every instance has the same layout, except randomly
    placed elements, which have a window), the table rows selected with `use`, the
    class's background, its origin (what, position), and how many bases of a genome
    background's continuation its edits have used."""

    features: list[ir.Feature] = field(default_factory=list)
    tables: dict = field(default_factory=dict)  # table name -> the UseOp that picked its rows
    background: ir.BackgroundIR | None = None
    origin: tuple[str, int] | None = None
    consumed: int = 0

    def copy(self) -> ClassState:
        return ClassState(list(self.features), dict(self.tables), self.background, self.origin, self.consumed)

    def fill(self, count: int) -> ir.Fill:
        """Where `count` fresh background bases for an edit come from (and, for a genome
        background, that they are now used)."""
        if isinstance(self.background, ir.GivenBackground):
            raise GivenFill()
        fill = ir.Fill(self.background, self.consumed)
        if isinstance(self.background, ir.GenomeBackground):
            self.consumed += count
        return fill

    def feature(self, name: str) -> ir.Feature | None:
        return next((f for f in self.features if f.name == name), None)


class GivenFill(Exception):
    """An edit needs fresh background bases, and a given-sequences background has no model to draw them from."""


def mirror(state: ClassState, start: int, end: int, keep: ir.Feature | None = None) -> None:
    """Reverse-complement start..end in the layout: elements inside are mirrored and
    change strand; elements the region cuts are dropped, except `keep` (the element a
    slice such as `revcomp s3[0..5]` edits), which stays where it is."""
    flip = {"+": "-", "-": "+", ".": "."}
    state.features[:] = [
        f if f is keep else
        replace(f, start=start + end - f.end, end=start + end - f.start, strand=flip[f.strand])
        if f.inside(start, end) else f
        for f in state.features if f is keep or f.inside(start, end) or not f.overlaps(start, end)
    ]


def shift_features(features: list[ir.Feature], at: int, delta: int) -> list[ir.Feature]:
    """The layout after inserting (delta > 0) or deleting (delta < 0) bases right before
    position `at`: every element starting at or after `at` moves by delta. Callers check
    that a deletion removes no element and that nothing is pushed past the end."""
    return [replace(f, start=f.start + delta, end=f.end + delta,
                    within=f.within and (f.within[0] + delta, f.within[1] + delta, f.within[2]))
            if f.start >= at else f for f in features]


def level_label(value: float, signed: bool = False) -> str:
    """`17`, `0.3`; signed (positions relative to an origin): `+28`, `-5`, `0`."""
    text = str(int(value)) if value == int(value) else f"{value:g}"
    return f"+{text}" if signed and value > 0 else text
