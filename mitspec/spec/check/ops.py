"""Class-body operations -> OpIR, one checker per node type (`Ops.table`), each updating
the static layout (ClassState) the way the compiled operation will change every instance."""
from __future__ import annotations

import math

from ...sequence import IUPAC
from ...text import did_you_mean
from .. import ast
from .. import program as ir
from ..errors import Span
from .diagnostics import Invalid
from .motifs import Motifs
from .positions import Positions
from .scope import Scope
from .state import ClassState, mirror, relayout, shift_features


class Ops:
    def __init__(self, scope: Scope, motifs: Motifs, positions: Positions):
        self.scope, self.diag, self.motifs, self.positions = scope, scope.diag, motifs, positions
        self.table = {ast.Place: self.place, ast.Mutate: self.mutate, ast.Shuffle: self.shuffle,
                      ast.RevComp: self.revcomp, ast.Move: self.move, ast.Swap: self.swap, ast.Use: self.use,
                      ast.Sweep: self.sweep,
                      ast.Insert: self.insert, ast.Delete: self.delete, ast.Erase: self.erase,
                      ast.Origin: self.origin}

    def check(self, op: ast.Op, state: ClassState, class_overlap: bool) -> ir.OpIR:
        return self.table[type(op)](op, state, class_overlap)

    def sweep(self, op: ast.Sweep, state: ClassState, class_overlap: bool):
        self.diag.fail("a sweep belongs in a class body", op.span, "write it as the class's last statement")

    def mutate(self, op: ast.Mutate, state: ClassState, class_overlap: bool) -> ir.MutateOp | list:
        at = self.positions.position(op.at, state)
        if op.end is not None:  # `mutate A..B -> "WW"`: one code per base
            end = self.positions.position(op.end, state)
            self.positions.bounds(at, end, op.span, "mutation")
            codes = op.base.text.upper()
            if end - at != len(codes):
                self.diag.fail(f"{at}..{end} is {end - at} bp but {len(codes)} code(s) are given", op.base.span,
                               f"give one base or IUPAC code per position, {end - at} in all")
            bad = sorted({c for c in codes if c not in IUPAC})
            if bad:
                self.diag.fail(f"{', '.join(repr(c) for c in bad)} {'is not a nucleotide code' if len(bad) == 1 else 'are not nucleotide codes'}",
                               op.base.span, "use A, C, G, T, N or IUPAC codes (W, S, R, ...)")
            return [ir.MutateOp(at + k, code) for k, code in enumerate(codes)]
        self.positions.bounds(at, at + 1, op.at.span, "mutation")
        code = op.base.text.upper()
        if len(code) != 1 or code not in IUPAC:
            self.diag.fail(f"`{op.base.text}` is not a single nucleotide", op.base.span,
                           'write one base ("G") or one IUPAC code ("R"); for several, a range: '
                           '`mutate 12..14 -> "GG"`')
        return ir.MutateOp(at, code)

    def random_guard(self, state: ClassState, start: int, end: int, verb: str, span: Span) -> None:
        for f in state.features:
            if f.within is not None and f.overlaps(start, end):
                self.diag.fail(f"{verb} {start}..{end} overlaps `{f.name}`, placed at random in {f.start}..{f.end}",
                               span, "keep edits clear of the window a random placement draws from")

    def sliced(self, region: ast.Region, state: ClassState) -> ir.Feature | None:
        """The element a slice (`s3[0..5]`) edits in part; None for other regions (and for a
        slice of a whole element, which edits it as `revcomp s3` would)."""
        if not isinstance(region, ast.SliceRegion):
            return None
        start, end, _ = self.positions.locate(region.ref, state)
        if (region.lo.value, region.hi.value) == (0, end - start):
            return None
        return next((f for f in state.features if f.within is None and (f.start, f.end) == (start, end)), None)

    def shuffle(self, op: ast.Shuffle, state: ClassState, class_overlap: bool) -> ir.ShuffleOp | ir.ShuffleOutsideOp:
        if isinstance(op.region, ast.OutsideRegion):
            return self.shuffle_outside(op, state)
        start, end, label = self.positions.region(op.region, state)
        sliced = self.sliced(op.region, state)
        self.random_guard(state, start, end, "shuffle", op.span)
        if not (op.allow_overlap or class_overlap):
            self.cut_check(state, start, end, "shuffle", op.span, sliced)
        if sliced is not None:  # the element stays; its bases in the slice are permuted
            state.features[:] = [f for f in state.features if f is sliced or not f.overlaps(start, end)]
            return ir.ShuffleOp(start, end, op.distinct, op.dinucleotide)
        kept = [f for f in state.features if not f.overlaps(start, end)]
        name = label if label not in ("region", "all") else "shuffled"
        if name in self.scope.reserved or any(f.name == name for f in kept):
            name = f"{name}_shuffled"
        state.features[:] = kept + [ir.Feature(name, start, end, ".", "shuffle")]
        return ir.ShuffleOp(start, end, op.distinct, op.dinucleotide)

    def shuffle_outside(self, op: ast.Shuffle, state: ClassState) -> ir.ShuffleOutsideOp:
        """`shuffle background`: the bases outside every element, per instance (random
        placements included); the elements keep their places and bases."""
        if op.distinct:
            self.diag.fail("`distinct` is not offered with `shuffle background`", op.span,
                           "drop `distinct`; an outcome equal to the original is as likely as any other")
        fixed = [f for f in state.features if f.within is None]
        for k, f in enumerate(fixed):
            for g in fixed[k + 1:]:
                if f.overlaps(g.start, g.end):
                    self.diag.fail(f"`{f.name}` ({f.start}..{f.end}) and `{g.name}` ({g.start}..{g.end}) overlap, so "
                                   "what lies outside the elements is not well defined", op.span,
                                   "shuffle the background of a class whose elements do not overlap")
        randoms = tuple((f.name, f.within[2]) for f in state.features if f.within is not None)
        return ir.ShuffleOutsideOp(tuple((f.start, f.end) for f in fixed), randoms, op.dinucleotide)

    def revcomp(self, op: ast.RevComp, state: ClassState, class_overlap: bool) -> ir.RevCompOp:
        start, end, _ = self.positions.region(op.region, state)
        sliced = self.sliced(op.region, state)
        self.random_guard(state, start, end, "revcomp", op.span)
        if not (op.allow_overlap or class_overlap):
            self.cut_check(state, start, end, "revcomp", op.span, sliced)
        mirror(state, start, end, sliced)
        return ir.RevCompOp(start, end)

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

    def move(self, op: ast.Move, state: ClassState, class_overlap: bool) -> ir.MoveOp | ir.RotateOp | ir.PermuteOp:
        element = self.element(op.element, state, "moved")
        length = element.end - element.start
        if op.mode is not None:
            return self.move_along(op, element, state, op.allow_overlap or class_overlap)
        if op.by is not None:
            return self.move_by(op, element, state, class_overlap)
        to = self.positions.position(op.to, state)
        self.positions.bounds(to, to + length, op.span, f"`{element.name}` moved")
        self.random_guard(state, to, to + length, "moving onto", op.span)
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

    def move_by(self, op: ast.Move, element: ir.Feature, state: ClassState, class_overlap: bool) -> ir.RotateOp:
        """Rotate the window spanning the old and new places: the element moves by k and
        the k bases it moves over fill the space it left (composition kept)."""
        k = op.by.value
        if k == 0:
            self.diag.fail("`move ... by 0` does nothing", op.by.span, "give a shift such as `by 5` or `by -3`")
        start, end = min(element.start, element.start + k), max(element.end, element.end + k)
        self.positions.bounds(start, end, op.span, f"`{element.name}` moved by {k:+d}")
        self.random_guard(state, start, end, "moving over", op.span)
        others = [f for f in state.features if f is not element]
        if not (op.allow_overlap or class_overlap):
            for f in others:
                if f.overlaps(start, end):
                    self.diag.fail(f"moving `{element.name}` by {k:+d} rotates {start}..{end}, which holds `{f.name}` "
                                   f"({f.start}..{f.end})", op.span,
                                   "shift it less, or add `allow overlap` (the element it moves over is lost)")
        kept = [f for f in others if not f.overlaps(start, end)]
        state.features[:] = kept + [ir.Feature(element.name, element.start + k, element.end + k, element.strand,
                                               element.source)]
        return ir.RotateOp(start, end, k)

    def move_along(self, op: ast.Move, element: ir.Feature, state: ClassState, allow: bool) -> ir.PermuteOp:
        """`move E by K push`: E moves by K and each element in its way moves along just far
        enough to stay clear of the one before it; `hop`: E jumps over the elements in its
        way, which shift back by E's length. Either way the other bases of the window keep
        their order and fill what is left (composition kept)."""
        k, size = op.by.value, element.end - element.start
        if k == 0:
            self.diag.fail("`move ... by 0` does nothing", op.by.span, "give a shift such as `by 5` or `by -3`")
        others = [f for f in state.features if f is not element and f.within is None]
        starts = {element.name: element.start + k}
        if op.mode == "hop":
            lo, hi = min(element.start, element.start + k), max(element.end, element.end + k)
            for f in others:
                if f.inside(lo, hi) and not f.overlaps(element.start, element.end):
                    starts[f.name] = f.start - size if k > 0 else f.start + size
        elif k > 0:
            frontier = element.end + k
            for f in sorted((f for f in others if f.start >= element.end), key=lambda f: f.start):
                if f.start >= frontier:
                    break
                starts[f.name], frontier = frontier, frontier + f.end - f.start
            lo, hi = element.start, frontier
        else:
            frontier = element.start + k
            for f in sorted((f for f in others if f.end <= element.start), key=lambda f: -f.end):
                if f.end <= frontier:
                    break
                starts[f.name] = frontier = frontier - (f.end - f.start)
            lo, hi = frontier, element.end
        what = f"`{element.name}` moved by {k:+d} ({op.mode})"
        self.positions.bounds(lo, hi, op.span, what)
        self.random_guard(state, lo, hi, f"moving `{element.name}` over", op.span)
        for f in state.features:
            if f.name not in starts and f.overlaps(lo, hi):
                if not allow:
                    self.diag.fail(f"{what} rearranges {lo}..{hi}, which cuts `{f.name}` ({f.start}..{f.end})",
                                   op.span, "shift it less, or add `allow overlap` (the cut element is lost)")
        state.features[:] = [f for f in state.features if f.name in starts or not f.overlaps(lo, hi)]
        return relayout(state, lo, hi, starts)

    def swap(self, op: ast.Swap, state: ClassState, class_overlap: bool) -> ir.PermuteOp:
        """`swap A, B`: B takes A's start and A ends where B ended; the bases between them
        keep their order and shift by len(B) - len(A) (elements among them too)."""
        a, b = self.element(op.first, state, "swapped"), self.element(op.second, state, "swapped")
        if a is b:
            self.diag.fail(f"`swap` names `{a.name}` twice", op.span, "swap two different elements")
        first, second = sorted((a, b), key=lambda f: f.start)
        if first.overlaps(second.start, second.end):
            self.diag.fail(f"`{first.name}` ({first.start}..{first.end}) and `{second.name}` "
                           f"({second.start}..{second.end}) overlap", op.span, "swap elements that do not overlap")
        lo, hi = first.start, second.end
        self.random_guard(state, lo, hi, "swapping over", op.span)
        shift = (second.end - second.start) - (first.end - first.start)
        starts = {second.name: lo, first.name: hi - (first.end - first.start)}
        for f in state.features:
            if f is first or f is second or not f.overlaps(lo, hi):
                continue
            if f.inside(lo, hi):
                starts[f.name] = f.start + shift
            elif not (op.allow_overlap or class_overlap):
                self.diag.fail(f"swapping `{first.name}` and `{second.name}` rearranges {lo}..{hi}, which cuts "
                               f"`{f.name}` ({f.start}..{f.end})", op.span,
                               "add `allow overlap` to drop the cut element")
        state.features[:] = [f for f in state.features if f.name in starts or not f.overlaps(lo, hi)]
        return relayout(state, lo, hi, starts)

    # ---- indels: downstream elements shift, the length stays ----
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

    def insert_background(self, op: ast.Insert, state: ClassState, class_overlap: bool) -> ir.GapOp:
        """`insert background(K) at P`: K fresh bases of the class's background before P (a
        neutral length control: downstream shifts right, the 3' end is cut, as for a motif)."""
        call = op.motif
        usage = "insert background(10) at 40"
        if len(call.args) != 1 or call.kwargs or not isinstance(call.args[0], ast.Number) \
                or call.args[0].value != int(call.args[0].value) or call.args[0].value < 1:
            self.diag.fail("background() takes one whole number of bases", call.span, f"usage: {usage}")
        count = int(call.args[0].value)
        at = self.positions.position(op.at, state)
        self.positions.bounds(at, at + 1, op.at.span, "insertion point")
        allow = op.allow_overlap or class_overlap
        split = next((f for f in state.features if f.start < at < f.end), None)
        if split is not None and not allow:
            self.diag.fail(f"inserting at {at} splits `{split.name}` ({split.start}..{split.end})", op.span,
                           "insert before or after it, or add `allow overlap` (the split element is dropped)")
        state.features[:] = [f for f in state.features if not f.start < at < f.end]
        self.shifted(state, at, count, allow, f"inserting {count} bp at {at}", op.span)
        if op.alias is not None:
            name = self.new_name(op, op.alias, state)
            state.features.append(ir.Feature(name, at, min(at + count, self.scope.length), ".", "background"))
        return ir.GapOp(at, count, state.fill(count))

    def insert(self, op: ast.Insert, state: ClassState, class_overlap: bool) -> ir.InsertOp | ir.GapOp:
        if isinstance(op.motif, ast.Call) and op.motif.func.text == "background":
            return self.insert_background(op, state, class_overlap)
        motif = self.motifs.resolve(op.motif, state)
        at = self.positions.position(op.at, state)
        self.positions.bounds(at, at + 1, op.at.span, "insertion point")
        allow = op.allow_overlap or class_overlap
        for f in state.features:
            if f.start < at < f.end and not allow:
                self.diag.fail(f"inserting at {at} splits `{f.name}` ({f.start}..{f.end})", op.span,
                               "insert before or after it, or add `allow overlap` (the split element is dropped)")
        state.features[:] = [f for f in state.features if not f.start < at < f.end]
        self.shifted(state, at, motif.length, allow, f"inserting {motif.length} bp at {at}", op.span)
        name = self.new_name(op, op.alias, state)
        if at + motif.length <= self.scope.length:
            state.features.append(ir.Feature(name, at, at + motif.length, op.strand, self.diag.text(op.motif.span)))
        elif not allow:
            self.diag.fail(f"the inserted `{name}` runs past the end", op.span, "insert it further upstream")
        return ir.InsertOp(at, motif, op.strand)

    def delete(self, op: ast.Delete, state: ClassState, class_overlap: bool) -> ir.DeleteOp:
        start, end, _ = self.positions.region(op.region, state)
        self.random_guard(state, start, end, "delete", op.span)
        allow = op.allow_overlap or class_overlap
        for f in state.features:
            if f.overlaps(start, end) and not allow:
                self.diag.fail(f"deleting {start}..{end} removes bases of `{f.name}` ({f.start}..{f.end})", op.span,
                               "delete around elements, or add `allow overlap` (the element is dropped)")
        state.features[:] = [f for f in state.features if not f.overlaps(start, end)]
        self.shifted(state, end, start - end, allow, f"deleting {start}..{end}", op.span)
        return ir.DeleteOp(start, end, state.fill(end - start))

    def erase(self, op: ast.Erase, state: ClassState, class_overlap: bool) -> ir.EraseOp:
        element = self.element(op.element, state, "erased")
        state.features[:] = [f for f in state.features if f is not element]
        return ir.EraseOp(element.start, element.end, state.fill(element.end - element.start))

    def origin(self, op: ast.Origin, state: ClassState, class_overlap: bool) -> None:
        at = self.positions.position(op.at, state)
        self.positions.bounds(at, at + 1, op.at.span, "origin")
        state.origin = (self.diag.text(op.at.span), at)
        return None

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

    def place(self, op: ast.Place, state: ClassState, class_overlap: bool) -> ir.PlaceOp | list:
        """One element per position (`NAME_1`, `NAME_2`, ... when several are listed), or
        one at a start drawn per instance (`at random(A..B)`)."""
        motif = self.motifs.resolve(op.motif, state)
        if op.random:
            name = self.new_name(op, op.alias, state)
            if len(op.random) == 1:
                return self.place_random(op, motif, state, op.random[0], name)
            return [self.place_random(op, motif, state, window, f"{name}_{k + 1}")
                    for k, window in enumerate(op.random)]
        if op.every is not None:
            return self.place_periodic(op, motif, state, class_overlap)
        label = None
        first = op.at[0].base
        if (len(op.at) == 1 and isinstance(first, ast.Ref) and not op.at[0].offsets
                and first.parts[0].text in self.scope.layouts):
            s, slot_end, slot_name = self.positions.locate(first, state)
            if len(first.parts) == 2:
                label = slot_name
            if slot_end is not None and len(first.parts) == 2 and slot_end - s != motif.length:
                self.diag.fail(f"motif `{self.diag.text(op.motif.span)}` is {motif.length} bp but slot "
                               f"`{first.dotted}` spans {slot_end - s} bp ({s}..{slot_end})", op.span,
                               "use a motif of the slot's length, or position it with an offset")
        name = self.new_name(op, op.alias, state, label)
        out = []
        for k, pos in enumerate(op.at):
            start = self.positions.position(pos, state)
            copy = name if len(op.at) == 1 and not op.numbered else f"{name}_{k + 1}"
            out.append(self.place_one(op, copy, start, motif, state, class_overlap))
        return out[0] if len(out) == 1 else out

    def place_periodic(self, op: ast.Place, motif: ir.MotifIR, state: ClassState, class_overlap: bool) -> list:
        """`at A..B step S`: copies at A + k S for every k with A + k S < B, each rounded half
        up (floor(x + 0.5): 30 + 10.5 -> 41), named NAME_1, NAME_2, ..."""
        first, stop, step = op.every
        a, b = self.positions.position(first, state), self.positions.position(stop, state)
        if not step.value > 0:
            self.diag.fail("a step must be positive", step.span, "e.g. `at 30..170 step 10.5`")
        if b <= a:
            self.diag.fail(f"the range {a}..{b} holds no position", op.span, "write the first position first")
        count = math.ceil((b - a) / step.value)
        if count > self.scope.length:
            self.diag.fail(f"{count:,} copies do not fit a {self.scope.length} bp sequence", step.span,
                           "use a larger step")
        name = self.new_name(op, op.alias, state, None)
        spacing = op.period.value if op.period is not None else step.value  # `sweep period(M)` keeps the count
        starts = [math.floor(a + op.phase + k * spacing + 0.5) for k in range(count)]
        return [self.place_one(op, f"{name}_{k + 1}", start, motif, state, class_overlap)
                for k, start in enumerate(starts)]

    def place_one(self, op: ast.Place, name: str, start: int, motif: ir.MotifIR, state: ClassState,
                  class_overlap: bool) -> ir.PlaceOp:
        diag, end = self.diag, start + motif.length
        self.positions.bounds(start, end, op.span, f"`{name}` ({motif.length} bp)")
        kept = [f for f in state.features if (f.start, f.end) != (start, end) or f.within is not None]  # same span: replace
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

    def place_random(self, op: ast.Place, motif: ir.MotifIR, state: ClassState, window: ast.RangeRegion,
                     name: str) -> ir.RandomPlaceOp:
        """Starts lo..hi-length that overlap no fixed element; another random element
        must leave room in every instance (checked for the worst case)."""
        lo, hi, _ = self.positions.region(window, state)
        length = motif.length
        if any(f.name == name for f in state.features):
            self.diag.fail(f"an element named `{name}` is already placed", op.span, f"name this one with `as {name}_2`")
        fixed = [f for f in state.features if f.within is None]
        starts = [s for s in range(lo, hi - length + 1) if not any(f.overlaps(s, s + length) for f in fixed)]
        randoms = [f for f in state.features if f.within is not None]
        blocked = sum(f.within[2] - 1 + length for f in randoms if f.overlaps(lo, hi))  # starts each can take away
        if len(starts) <= blocked:
            room = f"{len(starts)} free start(s)" + (f", and the random elements before it can block {blocked}"
                                                      if blocked else "")
            self.diag.fail(f"no room to place `{name}` ({length} bp) at random in {lo}..{hi}: {room}", window.span,
                           "widen the range, or move elements out of it")
        avoid = tuple((f.name, f.within[2]) for f in randoms)
        state.features.append(ir.Feature(name, lo, hi, op.strand, self.diag.text(op.motif.span), (lo, hi, length)))
        return ir.RandomPlaceOp(name, tuple(starts), motif, op.strand, avoid)

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

