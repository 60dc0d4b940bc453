"""Sweeps: one condition class per level, all levels on the class's own random streams.

`TARGETS` maps each sweep target with a meaning of its own to the function that turns a
level into what that condition runs; any other target names an element the class
places, whose position is swept. The target names are reserved words.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from ...text import did_you_mean
from .. import ast
from .. import program as ir
from .diagnostics import Invalid
from .state import ClassState, level_label, mirror, shift_features

ORIENTATIONS = ("forward", "motifs_reversed", "all_reversed", "motifs_shuffled")
MAX_LEVELS = 10_000


@dataclass(frozen=True)
class Level:
    """One level of a sweep, as the target functions see it."""

    node: ast.ClassDef
    parent: tuple | None  # (ClassIR, ClassState) of the parent class, or None
    ops: list[tuple[int, ast.Op]]  # the class body without the sweep: (index, op)
    background: ir.BackgroundIR
    sweep: ast.Sweep
    label: str
    value: float | str
    item: ast.Number | ast.Name | ast.SweepRange  # where the level is written


@dataclass(frozen=True)
class Condition:
    """What a level runs: the body (ops), its background, and operations appended after
    the body (`extra(state) -> [OpIR]`, which also updates the layout)."""

    ops: list[tuple[int, ast.Op]]
    background: ir.BackgroundIR
    extra: Callable[[ClassState], list[ir.OpIR]] | None = None


def at_content(sweeps: Sweeps, level: Level) -> Condition:
    value = level.value
    if not isinstance(value, float) or not 0 <= value <= 1:
        sweeps.diag.fail(f"AT fraction {level.label} is not in [0, 1]", level.item.span, "AT fractions lie in [0, 1]")
    if not isinstance(level.background, ir.IidBackground) or (level.parent is not None and not level.node.independent):
        sweeps.diag.fail("sweeping at_content needs the class's own iid background", level.sweep.span,
                         "put the sweep in a root (or independent) class `on` an iid(...) background")
    return Condition(level.ops, ir.IidBackground((value / 2, (1 - value) / 2, (1 - value) / 2, value / 2)))


def orientation(sweeps: Sweeps, level: Level) -> Condition:
    if level.value not in ORIENTATIONS:
        sweeps.diag.fail(f"unknown orientation `{level.label}`", level.item.span,
                         did_you_mean(str(level.label), ORIENTATIONS, "orientations"))
    return Condition(level.ops, level.background, lambda state: sweeps.orient(state, level.value))


def spacer(sweeps: Sweeps, level: Level) -> Condition:
    value = level.value
    if not isinstance(value, float) or value != int(value) or value < 0:
        sweeps.diag.fail(f"spacer length {level.label} is not a whole number of bases", level.item.span,
                         "a spacer is 0 or more bases, e.g. 12..25")
    if not isinstance(level.background, ir.IidBackground):
        sweeps.diag.fail("sweeping the spacer needs an iid background (inserted bases are drawn from it)",
                         level.sweep.span, "sweep it in a class `on` an iid(...) background")
    return Condition(level.ops, level.background,
                     lambda state: sweeps.respace(state, int(value), level.background, level.sweep))


TARGETS: dict[str, Callable[[Sweeps, Level], Condition]] = {
    "at_content": at_content, "orientation": orientation, "spacer": spacer}
RESERVED = {name: "a sweep target" for name in TARGETS}


class Sweeps:
    def __init__(self, ops, simulate):
        """ops: the class-body checker; simulate(node, parent, ops, background, n, level, extra)."""
        self.ops, self.diag, self.simulate = ops, ops.diag, simulate

    @property
    def length(self) -> int:
        return self.ops.scope.length

    def levels(self, sweep: ast.Sweep) -> list[tuple[str, object, object]]:
        """(label, value, node) per level; value is a float or a level name."""
        if isinstance(sweep.levels, ast.SweepRange):
            r = sweep.levels
            step = r.step.value if r.step is not None else 1.0
            if step <= 0 or r.stop.value < r.start.value:
                self.diag.fail("a sweep range runs from low to high with a positive step", r.span, "e.g. 0.3..0.8 step 0.1")
            count = int(math.floor((r.stop.value - r.start.value) / step + 1e-9)) + 1
            if count > MAX_LEVELS:
                self.diag.fail(f"this range has {count} levels", r.span, f"use a larger step (at most {MAX_LEVELS:,} levels)")
            values = [round(r.start.value + k * step, 10) for k in range(count)]
            levels = [(level_label(v), v, r) for v in values]
            for (label, value, _), (other, value2, _) in zip(levels, levels[1:]):
                if label == other:
                    self.diag.fail(f"levels {value!r} and {value2!r} of this range are both named {label}", r.span,
                                   "use a coarser step, or list the levels you want")
            return levels
        out = [(level_label(item.value), item.value, item) if isinstance(item, ast.Number) else (item.text, item.text, item)
               for item in sweep.levels]
        labels = [label for label, _, _ in out]
        for before, (label, _, item) in enumerate(out):
            if label in labels[:before]:
                self.diag.fail(f"level {label} appears twice", item.span, "list each level once")
        return out

    def expand(self, node, parent, ops, background, n, sweep: ast.Sweep) -> list:
        """[(ClassIR, ClassState)] per level; a mistake shared by levels is reported once."""
        target = sweep.target.text
        levels = self.levels(sweep)
        built, found = [], {}
        for label, value, item in levels:
            with self.diag.per_level(target, label, found):
                try:
                    level = Level(node, parent, ops, background, sweep, label, value, item)
                    condition = TARGETS.get(target, element_position)(self, level)
                    tag = (target, label, value if isinstance(value, str) else (int(value) if value == int(value) else value))
                    built.append(self.simulate(node, parent, condition.ops, condition.background, n, tag, condition.extra))
                except Invalid:
                    pass
        self.diag.flush_levels(target, found, [label for label, _, _ in levels])
        if len(built) != len(levels):
            raise Invalid
        return built

    def producer_of(self, level: Level) -> int:
        """Index of the place statement that creates the element being swept (a
        placement appends its element last). Errors on the way are the level runs' to report."""
        target = level.sweep.target.text
        state = level.parent[1].copy() if level.parent else ClassState()
        for i, op in level.ops:
            with self.diag.muted():
                try:
                    self.ops.check(op, state, True)
                except Invalid:
                    continue
            if isinstance(op, ast.Place) and state.features and state.features[-1].name == target:
                return i
        special = ", ".join(f"`{s}`" for s in TARGETS)
        self.diag.fail(f"nothing in class `{level.node.name.text}` places an element named `{target}`",
                       level.sweep.target.span, f"sweep an element this class places, or one of {special}")

    def orient(self, state: ClassState, value: str) -> list[ir.OpIR]:
        motifs = [f for f in state.features if f.source != "shuffle"]
        if value == "forward":
            return []
        if value == "all_reversed":
            mirror(state, 0, self.length)
            return [ir.RevCompOp(0, self.length)]
        if value == "motifs_reversed":
            for f in motifs:
                mirror(state, f.start, f.end)
            return [ir.RevCompOp(f.start, f.end) for f in motifs]
        return [ir.ShuffleOp(f.start, f.end, True, False) for f in motifs]

    def respace(self, state: ClassState, length: int, background: ir.IidBackground, sweep: ast.Sweep) -> list[ir.OpIR]:
        m35, m10 = state.feature("minus35"), state.feature("minus10")
        if m35 is None or m10 is None:
            self.diag.fail("sweeping the spacer needs elements named `minus35` and `minus10`", sweep.target.span,
                           "place them with those names (`as minus35`), or at layout slots of those names")
        delta = length - (m10.start - m35.end)
        q = m10.start
        if delta < 0:
            for f in state.features:
                if f.overlaps(q + delta, q):
                    self.diag.fail(f"a {length} bp spacer deletes bases of `{f.name}` ({f.start}..{f.end})", sweep.span,
                                   "remove elements from the spacer before sweeping it")
        shifted = shift_features(state.features, q, delta)
        for f in shifted:
            if f.end > self.length:
                self.diag.fail(f"a {length} bp spacer pushes `{f.name}` to {f.start}..{f.end}, past the end "
                               f"(length {self.length})", sweep.span, "use a shorter spacer range or a longer sequence")
        state.features[:] = shifted
        return [ir.SpacerOp(q, delta, background.probs)] if delta else []


def element_position(sweeps: Sweeps, level: Level) -> Condition:
    """An element's position: the place statement that creates it moves to the level
    (`none`: it is not placed)."""
    producer = sweeps.producer_of(level)
    value, sweep = level.value, level.sweep
    if value == "none":
        return Condition([(i, op) for i, op in level.ops if i != producer], level.background)
    if not (isinstance(value, float) and value == int(value) and value >= 0):
        sweeps.diag.fail(f"`{level.label}` is not a position; levels are 0-based starts or `none`", level.item.span,
                         "e.g. sweep up over [0, 15, 70, none]")
    kept = []
    for i, op in level.ops:
        if i == producer:
            position = ast.Position(ast.Int(int(value), level.item.span), (), level.item.span)
            op = replace(op, at=position, allow_overlap=op.allow_overlap or sweep.allow_overlap)
        kept.append((i, op))
    return Condition(kept, level.background)
