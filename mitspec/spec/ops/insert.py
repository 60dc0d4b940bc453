"""`insert M at P [as NAME]`, `insert background(K) at P`: bases go in before P;
downstream shifts right and the 3' end is cut, so the length stays. Its GapOp also
opens and closes the gaps of `sweep gap(A, B)`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ast
from .. import program as ir
from ..layout import ClassState
from ..errors import Span
from .base import EditOp
from .place import oriented, revcomp_of


@dataclass(frozen=True, slots=True)
class Insert:
    """`insert M at P [as NAME]`: the motif's bases go in before P; downstream shifts right."""

    motif: ast.MotifExpr
    at: ast.Position
    strand: str
    alias: ast.Name | None
    allow_overlap: bool
    span: Span


@dataclass(frozen=True, slots=True)
class InsertOp:
    """Insert the motif's bases before `position`; downstream shifts right, the 3' end is cut."""

    position: int
    motif: ir.MotifIR
    strand: str


@dataclass(frozen=True, slots=True)
class GapOp:
    """Change the gap before `position` by `delta` bases: delta > 0 inserts delta fresh
    background bases at `position` (downstream shifts right, the 3' end is cut); delta < 0
    deletes the -delta bases before it (downstream shifts left, the 3' end is refilled).
    Either way the length stays fixed. Fresh bases come from `fill` (see Fill)."""

    position: int
    delta: int
    fill: ir.Fill


def parse(t, span: Span, motif: ast.MotifExpr, at: ast.Position, *options) -> Insert:
    opts = t.options(options)
    return Insert(motif, at, opts.get("strand", "+"), opts.get("as"), bool(opts.get("allow overlap")), span)


def check(edits, op: Insert, state: ClassState, class_overlap: bool) -> InsertOp | GapOp:
    if isinstance(op.motif, ast.Call) and op.motif.func.text == "background":
        return check_background(edits, op, state, class_overlap)
    motif = edits.motifs.resolve(op.motif, state)
    allow = op.allow_overlap or class_overlap
    at = make_room(edits, op, state, motif.length, allow)
    name = edits.new_name(op, op.alias, state)
    if at + motif.length <= edits.scope.length:
        state.features.append(ir.Feature(name, at, at + motif.length, op.strand, edits.diag.text(op.motif.span),
                                         revcomp_of=revcomp_of(op.motif)))
    elif not allow:
        edits.diag.fail(f"the inserted `{name}` runs past the end", op.span, "insert it further upstream")
    return InsertOp(at, motif, op.strand)


def make_room(edits, op: Insert, state: ClassState, count: int, allow: bool) -> int:
    """The insertion point, with the layout shifted for `count` bases going in before it:
    an element it splits is an error unless `allow` (then dropped), as is one pushed off
    the end (see Edits.shifted)."""
    at = edits.positions.position(op.at, state)
    edits.positions.bounds(at, at + 1, op.at.span, "insertion point")
    split = next((f for f in state.features if f.start < at < f.end), None)
    if split is not None and not allow:
        edits.diag.fail(f"inserting at {at} splits `{split.name}` ({split.start}..{split.end})", op.span,
                        "insert before or after it, or add `allow overlap` (the split element is dropped)")
    state.features[:] = [f for f in state.features if not f.start < at < f.end]
    edits.shifted(state, at, count, allow, f"inserting {count} bp at {at}", op.span)
    return at


def check_background(edits, op: Insert, state: ClassState, class_overlap: bool) -> GapOp:
    """`insert background(K) at P`: K fresh bases of the class's background before P (a
    neutral length control: downstream shifts right, the 3' end is cut, as for a motif)."""
    call = op.motif
    usage = "insert background(10) at 40"
    if len(call.args) != 1 or call.kwargs or not isinstance(call.args[0], ast.Number) \
            or call.args[0].value != int(call.args[0].value) or call.args[0].value < 1:
        edits.diag.fail("background() takes one whole number of bases", call.span, f"usage: {usage}")
    count = int(call.args[0].value)
    at = make_room(edits, op, state, count, op.allow_overlap or class_overlap)
    if op.alias is not None:
        name = edits.new_name(op, op.alias, state)
        state.features.append(ir.Feature(name, at, min(at + count, edits.scope.length), ".", "background"))
    return GapOp(at, count, state.fill(count))


def shift_in(codes: np.ndarray, q: int, inserted: np.ndarray) -> None:
    """Insert bases before q; the 3' end is cut so the length stays."""
    length, d = codes.shape[1], inserted.shape[1]
    # an insertion that runs past the end (allowed with `allow overlap`) is cut with the rest
    codes[:] = np.concatenate([codes[:, :q], inserted, codes[:, q:max(q, length - d)]], axis=1)[:, :length]


def shift_out(codes: np.ndarray, start: int, end: int, refill: np.ndarray) -> None:
    """Delete start..end; the 3' end is refilled so the length stays."""
    codes[:] = np.concatenate([codes[:, :start], codes[:, end:], refill], axis=1)


def apply(op: InsertOp, chunk, key) -> None:
    shift_in(chunk.codes, op.position, oriented(op, key, chunk))


def apply_gap(op: GapOp, chunk, key) -> None:
    codes, q, d = chunk.codes, op.position, abs(op.delta)
    if op.delta > 0:  # a prefix of one stream per instance: the same bases open every larger gap
        shift_in(codes, q, chunk.fresh(op.fill, key, d, codes[:, :q]))
    else:
        remaining = np.concatenate([codes[:, :q - d], codes[:, q:]], axis=1)
        shift_out(codes, q - d, q, chunk.fresh(op.fill, key, d, remaining))


OP = EditOp("insert", Insert, {"insert": parse}, check, {InsertOp: apply, GapOp: apply_gap},
            "insert a motif or fresh background bases; downstream shifts, the length stays",
            usage="insert M at P [as NAME] | insert background(K) at P")
