"""`revcomp REGION`: reverse-complement a region; the elements inside are mirrored."""
from __future__ import annotations

from dataclasses import dataclass

from ...sequence import reverse_complement
from .. import ast
from ..layout import ClassState, mirror
from ..errors import Span
from .base import EditOp


@dataclass(frozen=True, slots=True)
class RevComp:
    region: ast.Region
    allow_overlap: bool
    span: Span


@dataclass(frozen=True, slots=True)
class RevCompOp:
    start: int
    end: int


def parse(t, span: Span, region: ast.Region, *allow) -> RevComp:
    return RevComp(region, bool(allow), span)


def check(edits, op: RevComp, state: ClassState, class_overlap: bool) -> RevCompOp:
    start, end, _, sliced = edits.edited_region(op, state, "revcomp", class_overlap)
    mirror(state, start, end, sliced)
    return RevCompOp(start, end)


def apply(op: RevCompOp, chunk, key) -> None:
    chunk.codes[:, op.start:op.end] = reverse_complement(chunk.codes[:, op.start:op.end])


OP = EditOp("revcomp", RevComp, {"revcomp": parse}, check, {RevCompOp: apply},
            "reverse-complement a region (or a slice of an element)",
            usage="revcomp REGION")
