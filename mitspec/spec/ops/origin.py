"""`origin P`: levels, plots and tables of this class read relative to P (no bases change)."""
from __future__ import annotations

from dataclasses import dataclass

from .. import ast
from ..layout import ClassState
from ..errors import Span
from .base import EditOp


@dataclass(frozen=True, slots=True)
class Origin:
    """`origin P`: levels, plots and tables of this class read relative to P."""

    at: ast.Position
    span: Span


def parse(t, span: Span, at: ast.Position) -> Origin:
    return Origin(at, span)


def check(edits, op: Origin, state: ClassState, class_overlap: bool) -> None:
    at = edits.positions.position(op.at, state)
    edits.positions.bounds(at, at + 1, op.at.span, "origin")
    state.origin = (edits.diag.text(op.at.span), at)
    return None


OP = EditOp("origin", Origin, {"origin": parse}, check, {}, "set the class's origin (no edit)",
            usage="origin P")
