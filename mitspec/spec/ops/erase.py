"""`erase ELEMENT`: fresh background over the element's span; the element is gone."""
from __future__ import annotations

from dataclasses import dataclass

from .. import ast
from .. import program as ir
from ..layout import ClassState
from ..errors import Span
from .base import EditOp


@dataclass(frozen=True, slots=True)
class Erase:
    """`erase ELEMENT`: fresh background over the element's span; the element is gone."""

    element: ast.Name
    span: Span


@dataclass(frozen=True, slots=True)
class EraseOp:
    """Fresh background from `fill` over start..end."""

    start: int
    end: int
    fill: ir.Fill


def parse(t, span: Span, element) -> Erase:
    return Erase(t.name(element), span)


def check(edits, op: Erase, state: ClassState, class_overlap: bool) -> EraseOp:
    element = edits.element(op.element, state, "erased")
    state.features[:] = [f for f in state.features if f is not element]
    return EraseOp(element.start, element.end, state.fill(element.end - element.start))


def apply(op: EraseOp, chunk, key) -> None:
    codes = chunk.codes
    codes[:, op.start:op.end] = chunk.fresh(op.fill, key, op.end - op.start, codes[:, :op.start])


OP = EditOp("erase", Erase, {"erase": parse}, check, {EraseOp: apply}, "replace an element by fresh background",
            usage="erase E")
