"""`move E to POS`, `move E by K [push | hop]`: an element changes place, the sequence
keeps its composition."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import ast
from .. import program as ir
from ..layout import ClassState
from ..errors import Span
from .base import EditOp


@dataclass(frozen=True, slots=True)
class Move:
    """`move ELEMENT to POS`: the element swaps places with the window at POS;
    `move ELEMENT by K`: the window spanning old and new places rotates by K. Either way
    the sequence keeps its composition and only the element's position changes."""

    element: ast.Ref  # a name, or LAYOUT.SLOT: the element that sits in the slot
    to: ast.Position | None
    by: ast.Int | None  # signed
    allow_overlap: bool
    span: Span
    mode: str | None = None  # `by K push`: elements in the way move along; `hop`: it jumps over them


@dataclass(frozen=True, slots=True)
class MoveOp:
    """Swap the `length` bases at `source` with those at `target`."""

    source: int
    target: int
    length: int


@dataclass(frozen=True, slots=True)
class RotateOp:
    """Rotate start..end right by `shift` bases (left when negative): `move E by K`."""

    start: int
    end: int
    shift: int


@dataclass(frozen=True, slots=True)
class PermuteOp:
    """Rearrange start..start+len(order): base start+j becomes the base that was at
    start+order[j] (`swap`, `move ... push`, `move ... hop`; composition kept)."""

    start: int
    order: tuple[int, ...]

    @property
    def end(self) -> int:
        return self.start + len(self.order)


def parse(t, span: Span, element: ast.Ref, where, *rest) -> Move:
    """`where`: the position of `to POS`, or the signed shift of `by K`; `rest`: the mode
    (push / hop) and `allow overlap`, when written."""
    to, by = (where, None) if isinstance(where, ast.Position) else (None, where)
    mode = next((str(c) for c in rest if t.is_token(c)), None)
    return Move(element, to, by, any(t.is_option(c) for c in rest), span, mode)


def parse_shift(t, span: Span, *sign_and_count) -> ast.Int:
    value = t.int(sign_and_count[-1])
    sign = -1 if len(sign_and_count) == 2 and str(sign_and_count[0]) == "-" else 1
    return ast.Int(sign * value.value, span)


PARSERS = {"move": parse, "shift": parse_shift, "move_mode": lambda t, span, mode: mode}


def check(edits, op: Move, state: ClassState, class_overlap: bool) -> MoveOp | RotateOp | PermuteOp:
    element = edits.element(op.element, state, "moved")
    length = element.end - element.start
    if op.by is not None and op.by.value == 0:
        edits.diag.fail("`move ... by 0` does nothing", op.by.span, "give a shift such as `by 5` or `by -3`")
    if op.mode is not None:
        return move_along(edits, op, element, state, op.allow_overlap or class_overlap)
    if op.by is not None:
        return move_by(edits, op, element, state, class_overlap)
    to = edits.positions.position(op.to, state)
    edits.positions.bounds(to, to + length, op.span, f"`{element.name}` moved")
    edits.random_guard(state, to, to + length, "moving onto", op.span)
    if element.overlaps(to, to + length):
        edits.diag.fail(f"`{element.name}` ({element.start}..{element.end}) would move onto itself "
                        f"({to}..{to + length})", op.span, f"move it at least {length} bp away")
    others = [f for f in state.features if f is not element]
    if not (op.allow_overlap or class_overlap):
        for f in others:
            if f.overlaps(to, to + length):
                edits.diag.fail(f"moving `{element.name}` to {to}..{to + length} lands on `{f.name}` "
                                f"({f.start}..{f.end})", op.span,
                                "pick a free window, or add `allow overlap` (the element it lands on is lost)")
    kept = [f for f in others if not f.overlaps(to, to + length)]
    state.features[:] = kept + [replace(element, start=to, end=to + length)]
    return MoveOp(element.start, to, length)


def move_by(edits, op: Move, element: ir.Feature, state: ClassState, class_overlap: bool) -> RotateOp:
    """Rotate the window spanning the old and new places: the element moves by k and the
    k bases it moves over fill the space it left (composition kept)."""
    k = op.by.value
    start, end = min(element.start, element.start + k), max(element.end, element.end + k)
    edits.positions.bounds(start, end, op.span, f"`{element.name}` moved by {k:+d}")
    edits.random_guard(state, start, end, "moving over", op.span)
    others = [f for f in state.features if f is not element]
    if not (op.allow_overlap or class_overlap):
        for f in others:
            if f.overlaps(start, end):
                edits.diag.fail(f"moving `{element.name}` by {k:+d} rotates {start}..{end}, which holds `{f.name}` "
                                f"({f.start}..{f.end})", op.span,
                                "shift it less, or add `allow overlap` (the element it moves over is lost)")
    kept = [f for f in others if not f.overlaps(start, end)]
    state.features[:] = kept + [replace(element, start=element.start + k, end=element.end + k)]
    return RotateOp(start, end, k)


def move_along(edits, op: Move, element: ir.Feature, state: ClassState, allow: bool) -> PermuteOp:
    """`move E by K push`: E moves by K and each element in its way moves along just far
    enough to stay clear of the one before it; `hop`: E jumps over the elements in its
    way, which shift back by E's length. Either way the other bases of the window keep
    their order and fill what is left (composition kept)."""
    k, size = op.by.value, element.end - element.start
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
    edits.positions.bounds(lo, hi, op.span, what)
    edits.random_guard(state, lo, hi, f"moving `{element.name}` over", op.span)
    for f in state.features:
        if f.name not in starts and f.overlaps(lo, hi) and not allow:
            edits.diag.fail(f"{what} rearranges {lo}..{hi}, which cuts `{f.name}` ({f.start}..{f.end})",
                            op.span, "shift it less, or add `allow overlap` (the cut element is lost)")
    state.features[:] = [f for f in state.features if f.name in starts or not f.overlaps(lo, hi)]
    return relayout(state, lo, hi, starts)


def relayout(state: ClassState, lo: int, hi: int, starts: dict[str, int]) -> PermuteOp:
    """Rearrange lo..hi so each named element (all inside it) starts at starts[name]; the
    other bases of the window keep their order and fill the columns left, left to right.
    The layout is updated; the new spans must not overlap (callers check)."""
    moving = {f.name: f for f in state.features if f.name in starts}
    order = [-1] * (hi - lo)
    for name, start in starts.items():
        f = moving[name]
        for j in range(f.end - f.start):
            order[start - lo + j] = f.start - lo + j
    taken = {f.start - lo + j for f in moving.values() for j in range(f.end - f.start)}
    rest = iter(j for j in range(hi - lo) if j not in taken)
    order = [j if j >= 0 else next(rest) for j in order]
    state.features[:] = [replace(f, start=starts[f.name], end=starts[f.name] + f.end - f.start)
                         if f.name in starts else f for f in state.features]
    return PermuteOp(lo, tuple(order))


def apply_move(op: MoveOp, chunk, key) -> None:
    codes = chunk.codes
    source = codes[:, op.source:op.source + op.length].copy()
    codes[:, op.source:op.source + op.length] = codes[:, op.target:op.target + op.length]
    codes[:, op.target:op.target + op.length] = source


def apply_rotate(op: RotateOp, chunk, key) -> None:
    chunk.codes[:, op.start:op.end] = np.roll(chunk.codes[:, op.start:op.end], op.shift, axis=1)


def apply_permute(op: PermuteOp, chunk, key) -> None:
    chunk.codes[:, op.start:op.end] = chunk.codes[:, op.start + np.asarray(op.order, dtype=np.int64)]


OP = EditOp("move", Move, PARSERS, check, {MoveOp: apply_move, RotateOp: apply_rotate, PermuteOp: apply_permute},
            "move an element; composition kept (elements in the way refused, pushed or hopped over)",
            usage="move E to P | move E by K [push | hop]")
