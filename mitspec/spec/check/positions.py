"""Positions and regions -> integer coordinates (0-based, half-open), and layouts."""
from __future__ import annotations

from ...text import did_you_mean
from .. import ast
from .. import program as ir
from ..errors import Span
from ..layout import ClassState
from .diagnostics import Invalid
from .scope import Scope


class Positions:
    def __init__(self, scope: Scope):
        self.scope, self.diag = scope, scope.diag

    def check_layout(self, node: ast.Layout) -> dict[str, tuple[int, int | None]]:
        slots: dict[str, tuple[int, int | None]] = {}
        pseudo = ClassState()
        for slot in node.slots:
            name = slot.name.text
            if name in slots:
                self.diag.error(f"duplicate slot `{name}` in layout `{node.name.text}`", slot.name.span,
                                f"first at line {next(x.span.line for x in node.slots if x.name.text == name)}")
                continue
            try:
                start = self.position(slot.start, pseudo)
                end = self.position(slot.end, pseudo) if slot.end is not None else None
                self.bounds(start, end if end is not None else start + 1, slot.span, f"slot `{name}`")
            except Invalid:
                continue
            slots[name] = (start, end)
            pseudo.features.append(ir.Feature(name, start, end if end is not None else start, ".", "slot"))
        if node.origin is not None and node.origin.text not in slots:
            self.diag.error(f"layout `{node.name.text}` has no slot `{node.origin.text}`", node.origin.span,
                            did_you_mean(node.origin.text, slots, "slots"))
        elif node.origin is not None:
            self.scope.layout_origins[node.name.text] = node.origin.text
        return slots

    def bounds(self, start: int, end: int, span: Span, what: str) -> None:
        if start < 0:
            self.diag.fail(f"{what} starts at {start}, before the sequence", span, "positions are 0-based")
        if end <= start:
            self.diag.fail(f"{what} is empty or reversed ({start}..{end})", span, "ranges are start..end with end > start")
        length = self.scope.length
        if length and end > length:
            self.diag.fail(f"{what} at {start}..{end} runs past the end of the sequence (length {length})", span,
                           "positions are 0-based and ranges half-open")

    def locate(self, ref: ast.Ref, state: ClassState) -> tuple[int, int | None, str]:
        """A reference to a layout slot or a placed element -> (start, end or None, name)."""
        scope, diag = self.scope, self.diag
        head = ref.parts[0].text
        parts = [p.text for p in ref.parts]
        if head in scope.layouts and isinstance(scope.defs.get(head), ast.Layout):
            slots = scope.layouts[head]
            if len(parts) < 2:
                diag.fail(f"`{head}` is a layout; name one of its slots", ref.span,
                          f"e.g. {head}.{next(iter(slots), 'slot')}")
            slot = parts[1]
            if slot not in slots:
                diag.fail(f"layout `{head}` has no slot `{slot}`", ref.parts[1].span, did_you_mean(slot, slots, "slots"))
            start, end = slots[slot]
            rest, name = parts[2:], slot
            origin = scope.layout_origins.get(head)
            if origin is not None and state is not None and state.origin is None:
                state.origin = (f"{head}.{origin}", slots[origin][0])  # the layout's own origin
        else:
            feature = state.feature(head)
            if feature is None:
                if isinstance(scope.defs.get(head), ast.Layout):
                    raise Invalid  # the layout has errors, already reported
                known = [f.name for f in state.features] + list(scope.layouts)
                hint = did_you_mean(head, known, "elements or layouts")
                if isinstance(scope.defs.get(head), ast.Motif):
                    hint = f"motif `{head}` is not placed at this point; positions refer to placed elements or layout slots"
                diag.fail(f"nothing named `{head}` is placed here", ref.parts[0].span, hint)
            if feature.within is not None:
                diag.fail(f"`{head}` is placed at random, so it has no fixed position", ref.parts[0].span,
                          "refer to an element with a fixed place, or a layout slot")
            start, end, rest, name = feature.start, feature.end, parts[1:], feature.name
        if len(rest) > 1 or (rest and rest[0] not in ("start", "end")):
            bad = ref.parts[len(parts) - len(rest)]
            diag.fail(f"unknown attribute `{bad.text}`", bad.span, "use `.start` or `.end`")
        if rest == ["start"]:
            return start, None, name
        if rest == ["end"]:
            if end is None:
                diag.fail(f"`{name}` has no end", ref.span, f"declare the slot as a range: `{name} at {start}..END`")
            return end, None, name
        return start, end, name

    def position(self, pos: ast.Position, state: ClassState) -> int:
        base = pos.base
        if isinstance(base, ast.Int):
            value = base.value
        elif isinstance(base, ast.End):
            value = self.scope.length
        else:
            value = self.locate(base, state)[0]
        return value + sum(pos.offsets)

    def region(self, region: ast.Region, state: ClassState) -> tuple[int, int, str]:
        """(start, end, label): label is `all`, `region`, or the slot/element name."""
        if isinstance(region, ast.WholeRegion):
            return 0, self.scope.length, "all"
        if isinstance(region, ast.OutsideRegion):
            self.diag.fail("`background` (every base outside the elements) is a region only `shuffle` takes",
                           region.span, "write `shuffle background`, or give this edit a range")
        if isinstance(region, ast.SliceRegion):
            start, end, name = self.locate(region.ref, state)
            if end is None:
                self.diag.fail(f"`{region.ref.dotted}` is a point, not an element", region.ref.span,
                               "slice an element or a slot declared as a range")
            lo, hi, size = region.lo.value, region.hi.value, end - start
            if not lo < hi <= size:
                self.diag.fail(f"`{name}` is {size} bp, so [{lo}..{hi}] is not a range of its bases", region.span,
                               f"write {name}[a..b] with 0 <= a < b <= {size}")
            return start + lo, start + hi, name
        if isinstance(region, ast.RangeRegion):
            start, end = self.position(region.start, state), self.position(region.end, state)
            self.bounds(start, end, region.span, "region")
            return start, end, "region"
        start, end, name = self.locate(region.ref, state)
        if end is None:
            self.diag.fail(f"`{region.ref.dotted}` is a point, not a region", region.span,
                           f"declare the slot as a range (`{name} at {start}..END`) or write START..END")
        return start, end, name
