"""Sweeps: one condition class per level, all levels on the class's own random streams."""
from __future__ import annotations

import math
from dataclasses import replace

from . import ast
from . import program as ir
from .errors import did_you_mean
from .state import ClassState, Invalid, level_label

ORIENTATIONS = ("forward", "motifs_reversed", "all_reversed", "motifs_shuffled")


class SweepChecks:
    """Checker methods for `sweep`; mixed into `Checker`."""

    def sweep_levels(self, sweep: ast.Sweep) -> list[tuple[str, object, ast.Node]]:
        """(label, value, node) per level; value is a float or a level name."""
        if isinstance(sweep.levels, ast.SweepRange):
            r = sweep.levels
            step = r.step.value if r.step is not None else 1.0
            if step <= 0 or r.stop.value < r.start.value:
                self.fail("a sweep range runs from low to high with a positive step", r.span, "e.g. 0.3..0.8 step 0.1")
            count = int(math.floor((r.stop.value - r.start.value) / step + 1e-9)) + 1
            if count > 10_000:
                self.fail(f"this range has {count} levels", r.span, "use a larger step")
            values = [round(r.start.value + k * step, 10) for k in range(count)]
            return [(level_label(v), v, r) for v in values]
        out = []
        for item in sweep.levels:
            out.append((level_label(item.value), item.value, item) if isinstance(item, ast.Number) else (item.text, item.text, item))
        labels = [label for label, _, _ in out]
        for (label, _, item), before in zip(out, range(len(out))):
            if label in labels[:before]:
                self.fail(f"level {label} appears twice", item.span, "list each level once")
        return out

    def expand_sweep(self, node, parent, ops, background, n, sweep: ast.Sweep):
        target = sweep.target.text
        levels = self.sweep_levels(sweep)
        built = []
        for label, value, item in levels:
            self.context = f"at {target} = {label}: "
            try:
                built.append(self.sweep_level(node, parent, ops, background, n, sweep, target, label, value, item))
            except Invalid:
                pass
            finally:
                self.context = ""
        if len(built) != len(levels):
            raise Invalid
        return built

    def sweep_level(self, node, parent, ops, background, n, sweep, target, label, value, item):
        level = (target, label, value if isinstance(value, str) else (int(value) if value == int(value) else value))
        if target == "at_content":
            if not isinstance(value, float) or not 0 <= value <= 1:
                self.fail(f"AT fraction {label} is not in [0, 1]", item.span)
            if not isinstance(background, ir.IidBackground) or (parent is not None and not node.independent):
                self.fail("sweeping at_content needs the class's own iid background", sweep.span,
                          "put the sweep in a root (or independent) class `on` an iid(...) background")
            swept = ir.IidBackground((value / 2, (1 - value) / 2, (1 - value) / 2, value / 2))
            return self.simulate(node, parent, ops, swept, n, level)
        if target == "orientation":
            if value not in ORIENTATIONS:
                self.fail(f"unknown orientation `{label}`", item.span,
                          did_you_mean(str(label), ORIENTATIONS, "orientations"))
            return self.simulate(node, parent, ops, background, n, level, lambda state: self.orient(state, value))
        if target == "spacer":
            if not isinstance(value, float) or value != int(value) or value < 0:
                self.fail(f"spacer length {label} is not a whole number of bases", item.span)
            if not isinstance(background, ir.IidBackground):
                self.fail("sweeping the spacer needs an iid background (inserted bases are drawn from it)", sweep.span)
            return self.simulate(node, parent, ops, background, n, level,
                                 lambda state: self.respace(state, int(value), background, sweep))
        # an element's position: move the place statement that creates it
        producer = self.producer_of(node, parent, ops, target, sweep)
        if value == "none":
            kept = [(i, op) for i, op in ops if i != producer]
        elif isinstance(value, float) and value == int(value) and value >= 0:
            kept = []
            for i, op in ops:
                if i == producer:
                    position = ast.Position(ast.Int(int(value), item.span), (), item.span)
                    op = replace(op, at=position, allow_overlap=op.allow_overlap or sweep.allow_overlap)
                kept.append((i, op))
        else:
            self.fail(f"`{label}` is not a position; levels are 0-based starts or `none`", item.span)
        return self.simulate(node, parent, kept, background, n, level)

    def producer_of(self, node, parent, ops, target: str, sweep: ast.Sweep) -> int:
        """Index of the place statement that creates the element `target` (a placement
        appends its element last). Errors met on the way are reported by the level runs."""
        state = parent[1].copy() if parent else ClassState()
        mark = len(self.errors)
        for i, op in ops:
            try:
                self.check_op(op, state, True)
            except Invalid:
                continue
            finally:
                del self.errors[mark:]
            if isinstance(op, ast.Place) and state.features and state.features[-1].name == target:
                return i
        special = ", ".join(f"`{s}`" for s in ("at_content", "spacer", "orientation"))
        self.fail(f"nothing in class `{node.name.text}` places an element named `{target}`", sweep.target.span,
                  f"sweep an element this class places, or one of {special}")

    def orient(self, state: ClassState, value: str) -> list[ir.OpIR]:
        motifs = [f for f in state.features if f.source != "shuffle"]
        if value == "forward":
            return []
        if value == "all_reversed":
            self.mirror(state, 0, self.length)
            return [ir.RevCompOp(0, self.length)]
        if value == "motifs_reversed":
            for f in motifs:
                self.mirror(state, f.start, f.end)
            return [ir.RevCompOp(f.start, f.end) for f in motifs]
        return [ir.ShuffleOp(f.start, f.end, True, False) for f in motifs]

    def respace(self, state: ClassState, spacer: int, background: ir.IidBackground, sweep: ast.Sweep) -> list[ir.OpIR]:
        m35, m10 = state.feature("minus35"), state.feature("minus10")
        if m35 is None or m10 is None:
            self.fail("sweeping the spacer needs elements named `minus35` and `minus10`", sweep.target.span,
                      "place them with those names (`as minus35`), or at layout slots of those names")
        delta = spacer - (m10.start - m35.end)
        q = m10.start
        if delta < 0:
            for f in state.features:
                if f.overlaps(q + delta, q):
                    self.fail(f"a {spacer} bp spacer deletes bases of `{f.name}` ({f.start}..{f.end})", sweep.span,
                              "remove elements from the spacer before sweeping it")
        shifted = []
        for f in state.features:
            if f.start >= q:
                f = ir.Feature(f.name, f.start + delta, f.end + delta, f.strand, f.source)
                if f.end > self.length:
                    self.fail(f"a {spacer} bp spacer pushes `{f.name}` to {f.start}..{f.end}, past the end "
                              f"(length {self.length})", sweep.span, "use a shorter spacer range or a longer sequence")
            shifted.append(f)
        state.features[:] = shifted
        return [ir.SpacerOp(q, delta, background.probs)] if delta else []
