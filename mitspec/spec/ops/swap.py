"""`swap A, B`: two elements trade places; what lies between keeps its order."""
from __future__ import annotations

from dataclasses import dataclass

from .. import ast
from ..layout import ClassState
from ..errors import Span
from .base import EditOp
from .move import PermuteOp, relayout


@dataclass(frozen=True, slots=True)
class Swap:
    """`swap A, B`: the two elements trade places; the bases between them keep their order
    (they shift by the difference of the lengths)."""

    first: ast.Ref
    second: ast.Ref
    allow_overlap: bool
    span: Span


def parse(t, span: Span, first: ast.Ref, second: ast.Ref, *allow) -> Swap:
    return Swap(first, second, bool(allow), span)


def check(edits, op: Swap, state: ClassState, class_overlap: bool) -> PermuteOp:
    """B takes A's start and A ends where B ended; the bases between them keep their order
    and shift by len(B) - len(A) (elements among them too)."""
    a, b = edits.element(op.first, state, "swapped"), edits.element(op.second, state, "swapped")
    if a is b:
        edits.diag.fail(f"`swap` names `{a.name}` twice", op.span, "swap two different elements")
    first, second = sorted((a, b), key=lambda f: f.start)
    if first.overlaps(second.start, second.end):
        edits.diag.fail(f"`{first.name}` ({first.start}..{first.end}) and `{second.name}` "
                        f"({second.start}..{second.end}) overlap", op.span, "swap elements that do not overlap")
    lo, hi = first.start, second.end
    edits.random_guard(state, lo, hi, "swapping over", op.span)
    shift = (second.end - second.start) - (first.end - first.start)
    starts = {second.name: lo, first.name: hi - (first.end - first.start)}
    for f in state.features:
        if f is first or f is second or not f.overlaps(lo, hi):
            continue
        if f.inside(lo, hi):
            starts[f.name] = f.start + shift
        elif not (op.allow_overlap or class_overlap):
            edits.diag.fail(f"swapping `{first.name}` and `{second.name}` rearranges {lo}..{hi}, which cuts "
                            f"`{f.name}` ({f.start}..{f.end})", op.span, "add `allow overlap` to drop the cut element")
    state.features[:] = [f for f in state.features if f.name in starts or not f.overlaps(lo, hi)]
    return relayout(state, lo, hi, starts)


OP = EditOp("swap", Swap, {"swap": parse}, check, {}, "two elements trade places (a PermuteOp, applied by move)",
            usage="swap A, B")
