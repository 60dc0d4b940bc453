"""`delete A..B`: the bases go; downstream shifts left and the 3' end is refilled."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ast
from .. import program as ir
from ..layout import ClassState
from ..errors import Span
from .base import EditOp
from .insert import shift_out


@dataclass(frozen=True, slots=True)
class Delete:
    """`delete A..B`: the bases go; downstream shifts left and the 3' end is refilled."""

    region: ast.RangeRegion
    allow_overlap: bool
    span: Span


@dataclass(frozen=True, slots=True)
class DeleteOp:
    """Delete start..end; downstream shifts left and the 3' end is refilled from `fill`."""

    start: int
    end: int
    fill: ir.Fill


def parse(t, span: Span, start: ast.Position, end: ast.Position, *allow) -> Delete:
    region = ast.RangeRegion(start, end, Span(start.span.line, start.span.column, end.span.end_line,
                                              end.span.end_column))
    return Delete(region, bool(allow), span)


def check(edits, op: Delete, state: ClassState, class_overlap: bool) -> DeleteOp:
    start, end, _ = edits.positions.region(op.region, state)
    edits.random_guard(state, start, end, "delete", op.span)
    allow = op.allow_overlap or class_overlap
    for f in state.features:
        if f.overlaps(start, end) and not allow:
            edits.diag.fail(f"deleting {start}..{end} removes bases of `{f.name}` ({f.start}..{f.end})", op.span,
                            "delete around elements, or add `allow overlap` (the element is dropped)")
    state.features[:] = [f for f in state.features if not f.overlaps(start, end)]
    edits.shifted(state, end, start - end, allow, f"deleting {start}..{end}", op.span)
    return DeleteOp(start, end, state.fill(end - start))


def apply(op: DeleteOp, chunk, key) -> None:
    codes = chunk.codes
    remaining = np.concatenate([codes[:, :op.start], codes[:, op.end:]], axis=1)
    shift_out(codes, op.start, op.end, chunk.fresh(op.fill, key, op.end - op.start, remaining))


OP = EditOp("delete", Delete, {"delete": parse}, check, {DeleteOp: apply},
            "delete bases; downstream shifts, the 3' end is refilled",
            usage="delete A..B")
