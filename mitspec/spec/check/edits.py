"""The checker's context for class-body edits: what every operation's check (spec/ops,
one module each) is handed, with the layout helpers they share. `check` dispatches a
statement to its operation, which updates the static layout (ClassState) the way the
compiled operation will change every instance."""
from __future__ import annotations

from ...text import did_you_mean
from .. import ast
from .. import ops as edit_ops
from .. import program as ir
from ..errors import Span
from ..layout import ClassState, shift_features
from .diagnostics import Invalid
from .motifs import Motifs
from .positions import Positions
from .scope import Scope


class Edits:
    def __init__(self, scope: Scope, motifs: Motifs, positions: Positions):
        self.scope, self.diag, self.motifs, self.positions = scope, scope.diag, motifs, positions

    def check(self, op, state: ClassState, class_overlap: bool):
        """An edit statement -> its IR op(s) (a list: one random stream each) or None."""
        if isinstance(op, ast.Sweep):
            self.diag.fail("a sweep belongs in a class body", op.span, "write it as the class's last statement")
        return edit_ops.BY_NODE[type(op)].check(self, op, state, class_overlap)

    def skip(self) -> None:
        """Give up on this statement without a diagnostic (one is already reported)."""
        raise Invalid

    def random_guard(self, state: ClassState, start: int, end: int, verb: str, span: Span) -> None:
        for f in state.features:
            if f.within is not None and f.overlaps(start, end):
                self.diag.fail(f"{verb} {start}..{end} overlaps `{f.name}`, placed at random in {f.start}..{f.end}",
                               span, "keep edits clear of the window a random placement draws from")

    def edited_region(self, op, state: ClassState, verb: str,
                      class_overlap: bool) -> tuple[int, int, str, ir.Feature | None]:
        """(start, end, label, the element a slice edits or None) of the region an edit such
        as shuffle or revcomp rewrites in place; a random element's window in it is an
        error, and so is an element it cuts (the sliced one aside) unless overlap is allowed."""
        start, end, label = self.positions.region(op.region, state)
        sliced = self.sliced(op.region, state)
        self.random_guard(state, start, end, verb, op.span)
        if not (op.allow_overlap or class_overlap):
            self.cut_check(state, start, end, verb, op.span, sliced)
        return start, end, label, sliced

    def sliced(self, region: ast.Region, state: ClassState) -> ir.Feature | None:
        """The element a slice (`s3[0..5]`) edits in part; None for other regions (and for a
        slice of a whole element, which edits it as `revcomp s3` would)."""
        if not isinstance(region, ast.SliceRegion):
            return None
        start, end, _ = self.positions.locate(region.ref, state)
        if (region.lo.value, region.hi.value) == (0, end - start):
            return None
        return next((f for f in state.features if f.within is None and (f.start, f.end) == (start, end)), None)

    def element(self, ref: ast.Name | ast.Ref, state: ClassState, verb: str) -> ir.Feature:
        """The placed element `ref` names (with a fixed position): by its name, or as
        LAYOUT.SLOT, the element that sits in that slot."""
        if isinstance(ref, ast.Ref) and len(ref.parts) > 1:
            head = ref.parts[0].text
            if not (head in self.scope.layouts and isinstance(self.scope.defs.get(head), ast.Layout)):
                self.diag.fail(f"`{ref.dotted}` is not an element", ref.span,
                               "name an element, or the layout slot it sits in (LAYOUT.SLOT)")
            start, end, slot = self.positions.locate(ref, state.copy())
            found = next((f for f in state.features if f.within is None and f.start == start
                          and (end is None or f.end == end)), None)
            if found is None:
                where = f"{start}..{end}" if end is not None else f"at {start}"
                self.diag.fail(f"no element sits in slot `{ref.dotted}` ({where})", ref.span,
                               "place one there first, or name the element")
            return found
        name = ref.parts[0] if isinstance(ref, ast.Ref) else ref
        element = state.feature(name.text)
        if element is None:
            self.diag.fail(f"nothing named `{name.text}` is placed here", name.span,
                           did_you_mean(name.text, [f.name for f in state.features], "elements"))
        if element.within is not None:
            self.diag.fail(f"`{name.text}` is placed at random, so it cannot be {verb}", name.span,
                           "edit elements with a fixed place")
        return element

    def shifted(self, state: ClassState, at: int, delta: int, allow: bool, what: str, span: Span) -> None:
        """Apply an indel of `delta` bases before `at` to the layout; elements pushed past
        the end are an error unless `allow` (then they are dropped)."""
        moved = shift_features(state.features, at, delta)
        for f in moved:
            if f.within is not None and f.start >= at:
                self.diag.fail(f"{what} shifts `{f.name}`, which is placed at random", span,
                               "make the edit downstream of it, or place it at a fixed position")
        past = [f for f in moved if f.end > self.scope.length]
        if past and not allow:
            f = past[0]
            self.diag.fail(f"{what} pushes `{f.name}` to {f.start}..{f.end}, past the end (length {self.scope.length})",
                           span, "make room, or add `allow overlap` to drop what runs off the end")
        state.features[:] = [f for f in moved if f.end <= self.scope.length]

    def base_name(self, op: ast.Place) -> str:
        """What a place statement names its element(s) before numbering copies."""
        if op.alias:
            return op.alias.text
        motif = op.motif
        return (motif.parts[-1].text if isinstance(motif, ast.Ref) else
                motif.text.upper() if isinstance(motif, ast.Literal) else self.diag.text(motif.span))

    def new_name(self, op, alias: ast.Name | None, state: ClassState, label: str | None = None) -> str:
        """An element's name: its alias, else `label` (the motif's name or text); reserved words refused."""
        name = alias.text if alias else label if label is not None else self.base_name(op)
        if name in self.scope.reserved:
            self.diag.fail(f"`{name}` is reserved ({self.scope.reserved[name]}), so no element can be named so",
                           alias.span if alias else op.span, f"name the element another way: `as {name}_element`")
        return name

    def cut_check(self, state: ClassState, start: int, end: int, verb: str, span: Span,
                  sliced: ir.Feature | None = None) -> None:
        for f in state.features:
            if f is not sliced and f.overlaps(start, end) and not f.inside(start, end):
                self.diag.fail(f"{verb} {start}..{end} cuts element `{f.name}` ({f.start}..{f.end})", span,
                               "make the region cover the whole element or none of it, "
                               "or add `allow overlap` to drop the cut element")
