"""Typed, immutable AST for .mit specs. Every node carries the `Span` it came from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .errors import Span


@dataclass(frozen=True, slots=True)
class Name:
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Int:
    value: int
    span: Span


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Literal:
    """A string literal, quotes removed."""

    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Ref:
    """A dotted name: `minus10`, `sigma70.up`, `minus10.start`, `natural.minus35`."""

    parts: tuple[Name, ...]
    span: Span

    @property
    def dotted(self) -> str:
        return ".".join(p.text for p in self.parts)


@dataclass(frozen=True, slots=True)
class ListValue:
    items: tuple[Value, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class KwArg:
    name: Name
    value: Value
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    func: Name
    args: tuple[Value, ...]
    kwargs: tuple[KwArg, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ClassRef:
    """A condition of a swept class: `S[87]`, `S[+28]`, `T[23, cons]` (one key per sweep)."""

    name: Name
    keys: tuple[Number | Name, ...]
    span: Span

    @property
    def text(self) -> str:
        return f"{self.name.text}[{', '.join(k.text for k in self.keys)}]"


Value = Union[Number, Literal, Ref, Call, ListValue, ClassRef]
MotifExpr = Union[Literal, Ref, Call]


# ---- positions and regions -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class End:
    """`end`: the sequence's end (its length)."""

    span: Span


@dataclass(frozen=True, slots=True)
class Position:
    """`base (+|- offset)*`; base is an absolute coordinate, a reference or `end`."""

    base: Int | Ref | End
    offsets: tuple[int, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class RangeRegion:
    start: Position
    end: Position
    span: Span


@dataclass(frozen=True, slots=True)
class RefRegion:
    ref: Ref
    span: Span


@dataclass(frozen=True, slots=True)
class WholeRegion:
    span: Span


@dataclass(frozen=True, slots=True)
class SliceRegion:
    """`s3[0..5]`: bases lo..hi of an element, counted from its start (the element stays)."""

    ref: Ref
    lo: Int
    hi: Int
    span: Span


@dataclass(frozen=True, slots=True)
class OutsideRegion:
    """`background`: every base outside the class's elements, wherever each sits."""

    span: Span


Region = Union[RangeRegion, RefRegion, WholeRegion, SliceRegion, OutsideRegion]


# ---- top-level statements ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Benchmark:
    title: Literal
    seed: Int | None
    length: Int | None
    span: Span


@dataclass(frozen=True, slots=True)
class Import:
    """`import "lib/sigma70.mit"`: the file's motifs, layouts, backgrounds and tables."""

    path: Literal
    span: Span


@dataclass(frozen=True, slots=True)
class Background:
    name: Name
    expr: Call
    span: Span


@dataclass(frozen=True, slots=True)
class Motif:
    name: Name
    expr: MotifExpr
    span: Span


@dataclass(frozen=True, slots=True)
class Row:
    name: Name
    values: tuple[Literal, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Table:
    name: Name
    columns: tuple[Name, ...]
    rows: tuple[Row, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Slot:
    name: Name
    start: Position
    end: Position | None
    span: Span


@dataclass(frozen=True, slots=True)
class Layout:
    name: Name
    slots: tuple[Slot, ...]
    origin: Name | None  # `origin SLOT`: classes placed on this layout read positions from it
    span: Span


@dataclass(frozen=True, slots=True)
class Role:
    """`role minus35 = core.box35`: the layout slot that plays a role baselines read."""

    name: Name
    slot: Ref
    span: Span


# ---- class bodies: the edit statements are in spec/ops (one module each); sweeps here ----
@dataclass(frozen=True, slots=True)
class SweepRange:
    start: Number | Position
    stop: Number | Position
    step: Number | None
    span: Span


@dataclass(frozen=True, slots=True)
class MotifLevels:
    """`motifs [m1, m2, ...]`: which motif is placed at the swept element."""

    motifs: tuple[MotifExpr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Sweep:
    """`sweep TARGET over LEVELS`: one condition per level on shared backgrounds.
    `args` holds the operands of a target written as a call: gap(A, B), copies(M)."""

    target: Name
    args: tuple[Name, ...] | None
    levels: tuple[Number | Name | Position, ...] | SweepRange | MotifLevels
    allow_overlap: bool
    span: Span
    linked: tuple[tuple[Name, tuple[Name, ...] | None], ...] = ()  # `sweep gap(a, b), gap(b, c) over ...`


@dataclass(frozen=True, slots=True)
class ClassDef:
    name: Name
    title: Literal | None
    n: Int | None
    on: Name | None
    parent: Name | ClassRef | None
    independent: bool
    allow_overlap: bool
    ops: tuple  # the body: edit statements (spec/ops: one module each) and sweeps, in order
    span: Span


# ---- contrasts -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WinRate:
    """`X > Y paired [by index]`: fraction of pairs where score(X_i) > score(Y_i)."""

    name: Name
    better: Name | ClassRef
    worse: Name | ClassRef
    pairing: str | None  # "lineage", "index", or None when the spec omitted it
    span: Span


@dataclass(frozen=True, slots=True)
class Magnitude:
    """`D -> E toward C`: (mean E - mean D) / (mean C - mean D)."""

    name: Name
    start: Name | ClassRef
    end: Name | ClassRef
    toward: Name | ClassRef
    span: Span


@dataclass(frozen=True, slots=True)
class Ratio:
    name: Name
    numerator: Name
    denominator: Name
    span: Span


@dataclass(frozen=True, slots=True)
class Effect:
    """A named effect statistic, e.g. `cohens_d(C, D)`."""

    name: Name
    call: Call
    span: Span


Contrast = Union[WinRate, Magnitude, Ratio, Effect]


# ---- declared grammar and expectations ------------------------------------------------
@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of a `grammar { ... }` block. kind: spacing | position | orientation |
    period | cooperative; names: the elements (or, for period, the motif) it is about;
    value: preferred spacing, position or period, or the strand (+1/-1); tolerance (bp),
    phase (bp), within (bp) and weight (bits) when given."""

    kind: str
    names: tuple[Name, ...]
    value: Number | None
    tolerance: Number | None
    phase: Number | None
    within: Int | None
    weight: Number | None
    span: Span


@dataclass(frozen=True, slots=True)
class Rules:
    """`grammar { ... }`: the grammar the spec declares, which the oracle scores."""

    rules: tuple[Rule, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Expect:
    """`expect ...`. kind: direction (`expect CSS`), pair (`expect E > D`), above / below
    (`expect CM > 0.5`), peak (`expect peak(P) in 16..18`), periodic (`expect periodicity(H)`).
    subject: the contrast named, or for a pair the better class; other: the worse class;
    low/high: the threshold (above: low; below: high) or the peak's range."""

    kind: str
    subject: Name | ClassRef
    other: Name | ClassRef | None
    low: Number | None
    high: Number | None
    span: Span


Statement = Union[Benchmark, Import, Role, Background, Motif, Table, Layout, ClassDef, Contrast, Rules, Expect]


@dataclass(frozen=True, slots=True)
class Spec:
    statements: tuple[Statement, ...]
    path: str
    source: str
