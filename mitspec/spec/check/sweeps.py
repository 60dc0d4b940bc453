"""Sweeps: one condition class per level, all levels on the class's own random streams;
two or more sweeps in a class make the full factorial (`T[23, cons]`).

`TARGETS` maps each sweep target with a meaning of its own to the function that turns a
level into what that condition runs: `at_content`, `orientation`, the named gaps of
`GAP_ALIASES` (`spacer`), and the call forms `gap(A, B)`, `copies(M)`, `period(M)` and
`phase(M)`. A sweep over
`motifs [...]` swaps the motif placed at an element; any other target names an element
the class places, whose position is swept. The plain target names are reserved words.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from ...text import did_you_mean
from .. import ast
from .. import program as ir
from ..layout import ClassState, level_label, mirror, shift_features
from ..ops import GapOp, Place, RevCompOp, ShuffleOp
from .diagnostics import Invalid

ORIENTATIONS = ("forward", "motifs_reversed", "all_reversed", "motifs_shuffled")
MAX_LEVELS = 10_000


@dataclass(frozen=True)
class Level:
    """One level of a sweep, as the target functions see it."""

    node: ast.ClassDef
    parent: tuple | None  # (ClassIR, ClassState) of the parent class, or None
    ops: list[tuple[int, object]]  # the class body without the sweeps: (index, op)
    background: ir.BackgroundIR
    sweep: ast.Sweep
    label: str
    value: float | int | str  # a number, a level name, or (position sweeps) the absolute start
    item: object  # where the level is written (a Number, Name, Position, SweepRange or motif)


@dataclass(frozen=True)
class Condition:
    """What a level runs: the body (ops), its background, and operations appended after
    the body (`extra(state) -> [OpIR]`, which also updates the layout)."""

    ops: list[tuple[int, object]]
    background: ir.BackgroundIR
    extra: Callable[[ClassState], list] | None = None


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
    return Condition(level.ops, level.background, lambda state: sweeps.orient(state, level.value, level.sweep))


def whole(sweeps: Sweeps, level: Level, what: str, example: str) -> int:
    value = level.value
    if not isinstance(value, float) or value != int(value) or value < 0:
        sweeps.diag.fail(f"{what} {level.label} is not a whole number", level.item.span, f"e.g. {example}")
    return int(value)


# plain sweep targets that name a gap between two elements: `sweep spacer` is
# gap(minus35, minus10), the sigma70 spacer (the language's only domain word, kept for the
# specs written with it; a new grammar sweeps gap(A, B))
GAP_ALIASES = {"spacer": ("minus35", "minus10")}


def gap(sweeps: Sweeps, level: Level) -> Condition:
    """Bases between the end of the upstream element and the start of the downstream one."""
    target = level.sweep.target
    a, b = level.sweep.args or tuple(ast.Name(name, target.span) for name in GAP_ALIASES[target.text])
    length = whole(sweeps, level, "gap length", "sweep gap(A, B) over 12..25")
    return Condition(level.ops, level.background, lambda state: sweeps.regap(state, a, b, length, level.sweep))


def copies(sweeps: Sweeps, level: Level) -> Condition:
    """Keep the first k of the positions the element's `place` statement lists."""
    name = level.sweep.args[0]
    k = whole(sweeps, level, "copy count", "sweep copies(gata) over 1..3")
    producer = next((i for i, op in level.ops if isinstance(op, Place) and len(op.at) > 1
                     and sweeps.ops.base_name(op) == name.text), None)
    if producer is None:
        sweeps.diag.fail(f"no `place` in class `{level.node.name.text}` lists several positions for `{name.text}`",
                         name.span, f"write `place {name.text} at P1, P2, P3`, then sweep copies({name.text})")
    op = dict(level.ops)[producer]
    if k > len(op.at):
        sweeps.diag.fail(f"`{name.text}` is placed at {len(op.at)} positions, so it has no {k} copies",
                         level.item.span, f"sweep copies({name.text}) over 0..{len(op.at)}")
    kept = [(i, replace(o, at=o.at[:k], numbered=True)) if i == producer else (i, o)
            for i, o in level.ops if not (i == producer and k == 0)]
    return Condition(kept, level.background)


def periodic_producer(sweeps: Sweeps, level: Level, usage: str) -> int:
    """Index of the `place M at A..B step S` statement that places the swept motif."""
    name = level.sweep.args[0]
    producer = next((i for i, op in level.ops if isinstance(op, Place) and op.every is not None
                     and sweeps.ops.base_name(op) == name.text), None)
    if producer is None:
        sweeps.diag.fail(f"no `place ... at A..B step S` in class `{level.node.name.text}` places `{name.text}`",
                         name.span, f"write `place {name.text} at 30..170 step 10.5`, then sweep {usage}")
    return producer


def period(sweeps: Sweeps, level: Level) -> Condition:
    """The spacing of a periodic placement's copies: as many as it places at its own step,
    copy k at A + k x level (rounded half up), so only the period changes between levels."""
    producer = periodic_producer(sweeps, level, "period(M)")
    value = level.value
    if not isinstance(value, float) or value < 1:
        sweeps.diag.fail(f"period {level.label} is not a number of bases of at least 1", level.item.span,
                         "copies closer than a base would land on one another; e.g. sweep period(ww) over 9..12 step 0.5")
    kept = [(i, replace(op, period=ast.Number(value, level.label, level.item.span))) if i == producer else (i, op)
            for i, op in level.ops]
    return Condition(kept, level.background)


def phase(sweeps: Sweeps, level: Level) -> Condition:
    """A periodic placement shifted by the level (bp, may be fractional): as many copies,
    each at A + level + k S, rounded half up."""
    producer = periodic_producer(sweeps, level, "phase(M)")
    if not isinstance(level.value, float):
        sweeps.diag.fail(f"phase {level.label} is not a number of bases", level.item.span,
                         "e.g. sweep phase(ww) over 0..10")
    kept = [(i, replace(op, phase=op.phase + level.value)) if i == producer else (i, op) for i, op in level.ops]
    return Condition(kept, level.background)


def in_turn(sweeps: Sweeps, condition: Condition, steps: list[tuple[Callable, Level]]) -> Condition:
    """Each (target function, level) applied in order, each to the body and background the
    one before left (the level's own ops and background are replaced by those); the
    operations they append after the body run in the same order."""
    extras = []
    for func, level in steps:
        condition = func(sweeps, replace(level, ops=condition.ops, background=condition.background))
        if condition.extra is not None:
            extras.append(condition.extra)
    extra = (lambda state, fs=tuple(extras): [op for f in fs for op in f(state)]) if extras else None
    return Condition(condition.ops, condition.background, extra)


TARGETS: dict[str, Callable[[Sweeps, Level], Condition]] = {
    "at_content": at_content, "orientation": orientation, **{alias: gap for alias in GAP_ALIASES}}
CALL_TARGETS: dict[str, tuple[Callable[[Sweeps, Level], Condition], int, str]] = {
    "gap": (gap, 2, "gap(A, B)"), "copies": (copies, 1, "copies(MOTIF)"), "period": (period, 1, "period(MOTIF)"),
    "phase": (phase, 1, "phase(MOTIF)")}
RESERVED = {name: "a sweep target" for name in TARGETS}


class Sweeps:
    def __init__(self, ops, simulate):
        """ops: the class-body checker; simulate(node, parent, ops, background, n, level, extra)."""
        self.ops, self.diag, self.simulate = ops, ops.diag, simulate

    @property
    def length(self) -> int:
        return self.ops.scope.length

    # ---- levels ----
    def target_of(self, sweep: ast.Sweep) -> tuple[str, Callable | None]:
        """(the target as the plan records it, its function or None for an element's position)."""
        name = sweep.target.text
        if isinstance(sweep.levels, ast.MotifLevels):
            if sweep.args is not None:
                self.diag.fail("`over motifs [...]` swaps the motif placed at an element", sweep.target.span,
                               "write `sweep ELEMENT over motifs [m1, m2]`")
            return name, motif_swap
        if sweep.args is None:
            return name, TARGETS.get(name)
        if name not in CALL_TARGETS:
            self.diag.fail(f"unknown sweep target `{name}(...)`", sweep.target.span,
                           did_you_mean(name, CALL_TARGETS, "targets")
                           or "targets written as calls: gap(A, B), copies(M), period(M), phase(M)")
        func, arity, usage = CALL_TARGETS[name]
        if len(sweep.args) != arity:
            self.diag.fail(f"{name}() takes {arity} element name{'s' if arity > 1 else ''}", sweep.target.span,
                           f"usage: sweep {usage} over ...")
        return f"{name}({', '.join(a.text for a in sweep.args)})", func

    def linked(self, sweep: ast.Sweep) -> tuple[str, Callable]:
        """`sweep gap(a, b), gap(b, c) over ...`: (the targets as the plan records them, a
        function that sets the level on each, in the order written)."""
        parts = [replace(sweep, target=name, args=args, linked=()) for name, args in sweep.linked]
        found = [self.target_of(sweep)] + [self.target_of(part) for part in parts]
        for part, (target, func) in zip([sweep] + parts, found):
            if func is None or func is motif_swap:
                self.diag.fail(f"`{target}` cannot be linked with other targets", part.target.span,
                               "link targets whose levels are numbers of their own meaning: "
                               "sweep gap(a, b), gap(b, c) over 12..25")
        names = [target for target, _ in found]
        for k, name in enumerate(names):
            if name in names[:k]:
                self.diag.fail(f"`{name}` is linked twice in this sweep", sweep.span, "name each target once")

        def run(sweeps: Sweeps, level: Level) -> Condition:
            return in_turn(sweeps, Condition(level.ops, level.background),
                           [(func, replace(level, sweep=part)) for part, (_, func) in zip([sweep] + parts, found)])

        return ", ".join(names), run

    def levels(self, sweep: ast.Sweep, positional: bool, origin: int | None, state: ClassState):
        """[(label, value, item)]. Position sweeps: value is the absolute start, items may be
        positions (`core.tss + 18`), and with an origin numbers are offsets from it and
        labels read relative to it (`+18`)."""
        if isinstance(sweep.levels, ast.MotifLevels):
            out = []
            for item in sweep.levels.motifs:
                label = (item.dotted if isinstance(item, ast.Ref) else item.text.upper() if isinstance(item, ast.Literal)
                         else self.diag.text(item.span))
                out.append((label, label, item))
            return self.distinct(out)

        def absolute(item) -> float:
            if isinstance(item, ast.Name):
                self.diag.fail(f"`{item.text}` is not a number or a position", item.span,
                               "a range runs between numbers (0.3..0.8) or positions (tss + 18 .. tss + 38)")
            if isinstance(item, ast.Position):
                if not positional:
                    self.diag.fail(f"`{sweep.target.text}` levels are numbers, not positions", item.span,
                                   "positions are levels of an element's position sweep")
                return float(self.ops.positions.position(item, state))
            return item.value + (origin or 0) if positional else item.value

        def label(value: float) -> str:
            if positional and origin is not None:
                return level_label(value - origin, signed=True)
            return level_label(value)

        if isinstance(sweep.levels, ast.SweepRange):
            r = sweep.levels
            low, high = absolute(r.start), absolute(r.stop)
            step = r.step.value if r.step is not None else 1.0
            if step <= 0 or high < low:
                self.diag.fail("a sweep range runs from low to high with a positive step", r.span, "e.g. 0.3..0.8 step 0.1")
            count = int(math.floor((high - low) / step + 1e-9)) + 1
            if count > MAX_LEVELS:
                self.diag.fail(f"this range has {count} levels", r.span, f"use a larger step (at most {MAX_LEVELS:,} levels)")
            values = [round(low + k * step, 10) for k in range(count)]
            levels = [(label(v), v, r) for v in values]
            for (one, value, _), (other, value2, _) in zip(levels, levels[1:]):
                if one == other:
                    self.diag.fail(f"levels {value!r} and {value2!r} of this range are both named {one}", r.span,
                                   "use a coarser step, or list the levels you want")
            return levels
        out = []
        for item in sweep.levels:
            if isinstance(item, ast.Name):
                out.append((item.text, item.text, item))
            else:
                value = absolute(item)
                out.append((label(value), value, item))
        return self.distinct(out)

    def distinct(self, levels: list) -> list:
        labels = [label for label, _, _ in levels]
        for before, (label, _, item) in enumerate(levels):
            if label in labels[:before]:
                self.diag.fail(f"level {label} appears twice", item.span, "list each level once")
        return levels

    def base_state(self, node, parent, ops, background) -> ClassState:
        """The layout after the body (without sweeps): what level positions refer to."""
        state = parent[1].copy() if parent else ClassState()
        state.background = background
        with self.diag.muted():
            for _, op in ops:
                try:
                    self.ops.check(op, state, True)
                except Invalid:
                    continue
        return state

    def expand(self, node, parent, ops, background, n, sweeps: list[ast.Sweep]) -> list:
        """[(ClassIR, ClassState)] per condition (the product of the sweeps' levels); a
        mistake shared by conditions is reported once."""
        base = self.base_state(node, parent, ops, background)
        origin = base.origin[1] if base.origin else None
        axes = []
        for sweep in sweeps:
            target, func = self.linked(sweep) if sweep.linked else self.target_of(sweep)
            positional = func is None
            axes.append((sweep, target, func, self.levels(sweep, positional, origin, base), positional))
        names = [target for _, target, _, _, _ in axes]
        for k, name in enumerate(names):
            if name in names[:k]:
                self.diag.fail(f"`{name}` is swept twice in this class", axes[k][0].span, "sweep each target once")
        key = " x ".join(names)
        built, found, labels = [], {}, []
        for combo in itertools.product(*(levels for _, _, _, levels, _ in axes)):
            label = ", ".join(lab for lab, _, _ in combo)
            labels.append(label)
            with self.diag.per_level(key, label, found):
                try:
                    condition = in_turn(self, Condition(ops, background), [
                        (func or element_position, Level(node, parent, ops, background, sweep, lab, value, item))
                        for (sweep, _, func, _, _), (lab, value, item) in zip(axes, combo)])
                    tag = self.tag(axes, combo, base.origin)
                    built.append(self.simulate(node, parent, condition.ops, condition.background, n, tag,
                                               condition.extra))
                except Invalid:
                    pass
        self.diag.flush_levels(key, found, labels)
        if len(built) != len(labels):
            raise Invalid
        return built

    @staticmethod
    def tag(axes, combo, origin) -> tuple[str, str, dict]:
        """(title part, label, the plan's condition record) of one condition."""
        def recorded(lab, value, positional):
            if isinstance(value, str):
                return value
            if positional and origin is not None:
                value -= origin[1]
            return int(value) if value == int(value) else value

        targets = [target for _, target, _, _, _ in axes]
        values = [recorded(lab, value, axis[4]) for axis, (lab, value, _) in zip(axes, combo)]
        label = ", ".join(lab for lab, _, _ in combo)
        title = ", ".join(f"{t} = {lab}" for t, (lab, _, _) in zip(targets, combo))
        record = {"sweep": targets[0], "level": values[0]} if len(axes) == 1 else {"sweeps": targets, "levels": values}
        if origin is not None and any(axis[4] for axis in axes):
            record["origin"] = {"at": origin[0], "position": origin[1]}
        return title, label, record

    # ---- what levels do ----
    def producer_of(self, level: Level) -> int:
        """Index of the place statement that creates the element being swept (a
        placement appends its element last). Errors on the way are the level runs' to report."""
        target = level.sweep.target.text
        state = level.parent[1].copy() if level.parent else ClassState()
        state.background = level.background
        for i, op in level.ops:
            with self.diag.muted():
                try:
                    self.ops.check(op, state, True)
                except Invalid:
                    continue
            if isinstance(op, Place) and state.features and state.features[-1].name == target:
                return i
        special = ", ".join(f"`{s}`" for s in TARGETS)
        self.diag.fail(f"nothing in class `{level.node.name.text}` places an element named `{target}`",
                       level.sweep.target.span, f"sweep an element this class places, one of {special}, "
                       "gap(A, B), copies(M), period(M) or phase(M)")

    def orient(self, state: ClassState, value: str, sweep: ast.Sweep) -> list:
        if any(f.within is not None for f in state.features):
            self.diag.fail("an orientation sweep needs every element at a fixed place", sweep.span,
                           "place the elements at fixed positions")
        motifs = [f for f in state.features if f.source != "shuffle"]
        if value == "forward":
            return []
        if value == "all_reversed":
            mirror(state, 0, self.length)
            return [RevCompOp(0, self.length)]
        if value == "motifs_reversed":
            for f in motifs:
                mirror(state, f.start, f.end)
            return [RevCompOp(f.start, f.end) for f in motifs]
        return [ShuffleOp(f.start, f.end, True, False) for f in motifs]

    def regap(self, state: ClassState, a: ast.Name, b: ast.Name, length: int, sweep: ast.Sweep) -> list:
        """Insert or delete right before the downstream element so the gap is `length` bp."""
        found = []
        for name in (a, b):
            f = state.feature(name.text)
            if f is None:
                hint = (did_you_mean(name.text, [x.name for x in state.features], "elements")
                        or "place it in this class (`as NAME` names an element)")
                if sweep.args is None:
                    hint = (f"`{sweep.target.text}` is gap({a.text}, {b.text}): place elements with those names, "
                            "or sweep gap(A, B)")
                self.diag.fail(f"sweeping the gap needs an element named `{name.text}`", name.span, hint)
            if f.within is not None:
                self.diag.fail(f"`{name.text}` is placed at random, so its gap cannot be swept", name.span,
                               "place it at a fixed position")
            found.append(f)
        up, down = sorted(found, key=lambda f: f.start)
        if up.end > down.start:
            self.diag.fail(f"`{up.name}` ({up.start}..{up.end}) and `{down.name}` ({down.start}..{down.end}) overlap, "
                           "so there is no gap between them", sweep.span, "sweep the gap between separate elements")
        delta = length - (down.start - up.end)
        q = down.start
        if delta < 0:
            for f in state.features:
                if f.overlaps(q + delta, q):
                    self.diag.fail(f"a {length} bp gap deletes bases of `{f.name}` ({f.start}..{f.end})", sweep.span,
                                   "remove elements from the gap before sweeping it")
        shifted = shift_features(state.features, q, delta)
        for f in shifted:
            if f.within is not None and f.start >= q and delta:
                self.diag.fail(f"the gap sweep shifts `{f.name}`, which is placed at random", sweep.span,
                               "place it at a fixed position, or upstream of the gap")
            if f.end > self.length:
                self.diag.fail(f"a {length} bp gap pushes `{f.name}` to {f.start}..{f.end}, past the end "
                               f"(length {self.length})", sweep.span, "use a shorter gap range or a longer sequence")
        state.features[:] = shifted
        return [GapOp(q, delta, state.fill(abs(delta)))] if delta else []


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
            op = replace(op, at=(position,), allow_overlap=op.allow_overlap or sweep.allow_overlap)
        kept.append((i, op))
    return Condition(kept, level.background)


def motif_swap(sweeps: Sweeps, level: Level) -> Condition:
    """`sweep E over motifs [...]`: the place statement that creates E places this motif."""
    producer = sweeps.producer_of(level)
    name = level.sweep.target
    kept = [(i, replace(op, motif=level.item, alias=op.alias or ast.Name(name.text, name.span))) if i == producer
            else (i, op) for i, op in level.ops]
    return Condition(kept, level.background)
