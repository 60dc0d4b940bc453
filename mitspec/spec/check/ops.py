"""Class-body operations -> OpIR, one checker per node type (`Ops.table`), each updating
the static layout (ClassState) the way the compiled operation will change every instance."""
from __future__ import annotations

from ...sequence import IUPAC
from ...text import did_you_mean
from .. import ast
from .. import program as ir
from ..errors import Span
from .diagnostics import Invalid
from .motifs import Motifs
from .positions import Positions
from .scope import Scope
from .state import ClassState, mirror


class Ops:
    def __init__(self, scope: Scope, motifs: Motifs, positions: Positions):
        self.scope, self.diag, self.motifs, self.positions = scope, scope.diag, motifs, positions
        self.table = {ast.Place: self.place, ast.Mutate: self.mutate, ast.Shuffle: self.shuffle,
                      ast.RevComp: self.revcomp, ast.Move: self.move, ast.Use: self.use, ast.Sweep: self.sweep}

    def check(self, op: ast.Op, state: ClassState, class_overlap: bool) -> ir.OpIR:
        return self.table[type(op)](op, state, class_overlap)

    def sweep(self, op: ast.Sweep, state: ClassState, class_overlap: bool):
        self.diag.fail("a sweep belongs in a class body", op.span, "write it as the class's last statement")

    def mutate(self, op: ast.Mutate, state: ClassState, class_overlap: bool) -> ir.MutateOp:
        at = self.positions.position(op.at, state)
        self.positions.bounds(at, at + 1, op.at.span, "mutation")
        code = op.base.text.upper()
        if len(code) != 1 or code not in IUPAC:
            self.diag.fail(f"`{op.base.text}` is not a single nucleotide", op.base.span,
                           'write one base ("G") or one IUPAC code ("R")')
        return ir.MutateOp(at, code)

    def shuffle(self, op: ast.Shuffle, state: ClassState, class_overlap: bool) -> ir.ShuffleOp:
        start, end, label = self.positions.region(op.region, state)
        if not (op.allow_overlap or class_overlap):
            self.cut_check(state, start, end, "shuffle", op.span)
        kept = [f for f in state.features if not f.overlaps(start, end)]
        name = label if label not in ("region", "all") else "shuffled"
        if name in self.scope.reserved or any(f.name == name for f in kept):
            name = f"{name}_shuffled"
        state.features[:] = kept + [ir.Feature(name, start, end, ".", "shuffle")]
        return ir.ShuffleOp(start, end, op.distinct, op.dinucleotide)

    def revcomp(self, op: ast.RevComp, state: ClassState, class_overlap: bool) -> ir.RevCompOp:
        start, end, _ = self.positions.region(op.region, state)
        if not (op.allow_overlap or class_overlap):
            self.cut_check(state, start, end, "revcomp", op.span)
        mirror(state, start, end)
        return ir.RevCompOp(start, end)

    def move(self, op: ast.Move, state: ClassState, class_overlap: bool) -> ir.MoveOp:
        element = state.feature(op.element.text)
        if element is None:
            self.diag.fail(f"nothing named `{op.element.text}` is placed here", op.element.span,
                           did_you_mean(op.element.text, [f.name for f in state.features], "elements"))
        length = element.end - element.start
        to = self.positions.position(op.to, state)
        self.positions.bounds(to, to + length, op.span, f"`{element.name}` moved")
        if element.overlaps(to, to + length):
            self.diag.fail(f"`{element.name}` ({element.start}..{element.end}) would move onto itself "
                           f"({to}..{to + length})", op.span, f"move it at least {length} bp away")
        others = [f for f in state.features if f is not element]
        if not (op.allow_overlap or class_overlap):
            for f in others:
                if f.overlaps(to, to + length):
                    self.diag.fail(f"moving `{element.name}` to {to}..{to + length} lands on `{f.name}` "
                                   f"({f.start}..{f.end})", op.span,
                                   "pick a free window, or add `allow overlap` (the element it lands on is lost)")
        kept = [f for f in others if not f.overlaps(to, to + length)]
        state.features[:] = kept + [ir.Feature(element.name, to, to + length, element.strand, element.source)]
        return ir.MoveOp(element.start, to, length)

    def cut_check(self, state: ClassState, start: int, end: int, verb: str, span: Span) -> None:
        for f in state.features:
            if f.overlaps(start, end) and not f.inside(start, end):
                self.diag.fail(f"{verb} {start}..{end} cuts element `{f.name}` ({f.start}..{f.end})", span,
                               "make the region cover the whole element or none of it, "
                               "or add `allow overlap` to drop the cut element")

    def place(self, op: ast.Place, state: ClassState, class_overlap: bool) -> ir.PlaceOp:
        diag, positions = self.diag, self.positions
        motif = self.motifs.resolve(op.motif, state)
        start = positions.position(op.at, state)
        end = start + motif.length
        if isinstance(op.motif, ast.Ref):
            label = op.motif.parts[-1].text
        elif isinstance(op.motif, ast.Literal):
            label = op.motif.text.upper()
        else:
            label = diag.text(op.motif.span)
        base = op.at.base
        if isinstance(base, ast.Ref) and not op.at.offsets and base.parts[0].text in self.scope.layouts:
            s, slot_end, slot_name = positions.locate(base, state)
            if len(base.parts) == 2:
                label = slot_name
            if slot_end is not None and len(base.parts) == 2 and slot_end - s != motif.length:
                diag.fail(f"motif `{diag.text(op.motif.span)}` is {motif.length} bp but slot `{base.dotted}` spans "
                          f"{slot_end - s} bp ({s}..{slot_end})", op.span,
                          "use a motif of the slot's length, or position it with an offset")
        name = op.alias.text if op.alias else label
        if name in self.scope.reserved:
            diag.fail(f"`{name}` is reserved ({self.scope.reserved[name]}), so no element can be named so",
                      op.alias.span if op.alias else op.span, f"name the element another way: `as {name}_element`")
        positions.bounds(start, end, op.span, f"`{name}` ({motif.length} bp)")
        kept = [f for f in state.features if (f.start, f.end) != (start, end)]  # same span: replace
        if not (op.allow_overlap or class_overlap):
            for f in kept:
                if f.overlaps(start, end):
                    diag.fail(f"`{name}` ({start}..{end}) overlaps `{f.name}` ({f.start}..{f.end})", op.span,
                              "move it, or add `allow overlap` to the place statement if that is intended")
        clash = next((f for f in kept if f.name == name), None)
        if clash is not None:
            diag.fail(f"an element named `{name}` is already placed at {clash.start}..{clash.end}", op.span,
                      f"name this one with `as {name}_2`")
        state.features[:] = kept + [ir.Feature(name, start, end, op.strand, diag.text(op.motif.span))]
        return ir.PlaceOp(start, motif, op.strand)

    def use(self, op: ast.Use, state: ClassState, class_overlap: bool) -> ir.UseOp:
        table = self.scope.tables.get(op.table.text)
        if table is None:
            if op.table.text not in self.scope.defs or not isinstance(self.scope.defs[op.table.text], ast.Table):
                self.scope.undefined(op.table, ast.Table, "table")
            raise Invalid  # the table has errors, already reported
        if op.rows is None:
            rows = tuple(range(len(table.row_names)))
        else:
            picked = []
            for r in op.rows:
                if r.text not in table.row_names:
                    self.diag.fail(f"table `{table.name}` has no row `{r.text}`", r.span,
                                   did_you_mean(r.text, table.row_names, "rows"))
                picked.append(table.row_names.index(r.text))
            rows = tuple(picked)
        use = ir.UseOp(table.name, rows, op.mode)
        state.tables[table.name] = use
        return use

