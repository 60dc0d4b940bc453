"""`shuffle REGION [distinct] [dinucleotide]` and `shuffle background [dinucleotide]`:
permute a region's bases, or every base outside the elements."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...sequence import shuffle_dinucleotide, shuffle_distinct, shuffle_rows
from .. import ast
from .. import program as ir
from ..layout import ClassState
from ..errors import Span
from .base import ApplyError, EditOp


@dataclass(frozen=True, slots=True)
class Shuffle:
    """`shuffle REGION [distinct] [dinucleotide]`: a uniform permutation of the region's
    bases; `dinucleotide` keeps every dinucleotide count (Altschul-Erickson); `distinct`
    draws only among outcomes that differ from the original."""

    region: ast.Region
    distinct: bool
    dinucleotide: bool
    allow_overlap: bool
    span: Span


@dataclass(frozen=True, slots=True)
class ShuffleOp:
    start: int
    end: int
    distinct: bool = False
    dinucleotide: bool = False


@dataclass(frozen=True, slots=True)
class ShuffleOutsideOp:
    """`shuffle background`: permute every base outside the elements, per instance: the
    fixed elements' spans `fixed` and the randomly placed elements (name, length) wherever
    the instance holds them. `dinucleotide` keeps the dinucleotide counts of those bases
    read as one sequence with the elements cut out."""

    fixed: tuple[tuple[int, int], ...]
    randoms: tuple[tuple[str, int], ...]
    dinucleotide: bool = False


def parse(t, span: Span, region: ast.Region, *options) -> Shuffle:
    flags = t.options(options)
    return Shuffle(region, "distinct" in flags, "dinucleotide" in flags, "allow overlap" in flags, span)


PARSERS = {"shuffle": parse, "distinct": lambda t, span: t.option("distinct", True, span),
           "dinucleotide": lambda t, span: t.option("dinucleotide", True, span)}


def check(edits, op: Shuffle, state: ClassState, class_overlap: bool) -> ShuffleOp | ShuffleOutsideOp:
    if isinstance(op.region, ast.OutsideRegion):
        return check_outside(edits, op, state)
    start, end, label, sliced = edits.edited_region(op, state, "shuffle", class_overlap)
    if sliced is not None:  # the element stays; its bases in the slice are permuted
        state.features[:] = [f for f in state.features if f is sliced or not f.overlaps(start, end)]
        return ShuffleOp(start, end, op.distinct, op.dinucleotide)
    kept = [f for f in state.features if not f.overlaps(start, end)]
    name = label if label not in ("region", "all") else "shuffled"
    if name in edits.scope.reserved or any(f.name == name for f in kept):
        name = f"{name}_shuffled"
    state.features[:] = kept + [ir.Feature(name, start, end, ".", "shuffle")]
    return ShuffleOp(start, end, op.distinct, op.dinucleotide)


def check_outside(edits, op: Shuffle, state: ClassState) -> ShuffleOutsideOp:
    """`shuffle background`: the bases outside every element, per instance (random
    placements included); the elements keep their places and bases."""
    if op.distinct:
        edits.diag.fail("`distinct` is not offered with `shuffle background`", op.span,
                        "drop `distinct`; an outcome equal to the original is as likely as any other")
    fixed = [f for f in state.features if f.within is None]
    for k, f in enumerate(fixed):
        for g in fixed[k + 1:]:
            if f.overlaps(g.start, g.end):
                edits.diag.fail(f"`{f.name}` ({f.start}..{f.end}) and `{g.name}` ({g.start}..{g.end}) overlap, so "
                                "what lies outside the elements is not well defined", op.span,
                                "shuffle the background of a class whose elements do not overlap")
    randoms = tuple((f.name, f.within[2]) for f in state.features if f.within is not None)
    return ShuffleOutsideOp(tuple((f.start, f.end) for f in fixed), randoms, op.dinucleotide)


def apply(op: ShuffleOp, chunk, key) -> None:
    shuffle = shuffle_dinucleotide if op.dinucleotide else shuffle_rows
    region = chunk.codes[:, op.start:op.end]
    chunk.codes[:, op.start:op.end] = (shuffle_distinct(region, key, chunk.rows, shuffle) if op.distinct
                                       else shuffle(region, key, chunk.rows))


def apply_outside(op: ShuffleOutsideOp, chunk, key) -> None:
    """Gather each instance's bases outside its elements (in order), shuffle those rows as
    one sequence each, and put them back; the elements are not touched."""
    codes = chunk.codes
    inside = np.zeros(codes.shape, dtype=bool)
    for start, end in op.fixed:
        inside[:, start:end] = True
    for name, length in op.randoms:
        columns = chunk.random[name][:, None] + np.arange(length)[None, :]
        np.put_along_axis(inside, columns, True, axis=1)
    counts = (~inside).sum(axis=1)
    if len(counts) and (counts != counts[0]).any():
        raise ApplyError("`shuffle background` found elements overlapping one another in some instances; "
                         "place them so they do not overlap")
    if not len(counts) or counts[0] < 2:
        return
    outside = np.argsort(inside, axis=1, kind="stable")[:, :counts[0]]  # the outside columns, left to right
    bases = np.take_along_axis(codes, outside, axis=1)
    shuffle = shuffle_dinucleotide if op.dinucleotide else shuffle_rows
    np.put_along_axis(codes, outside, shuffle(bases, key, chunk.rows), axis=1)


OP = EditOp("shuffle", Shuffle, PARSERS, check, {ShuffleOp: apply, ShuffleOutsideOp: apply_outside},
            "permute a region's bases, or every base outside the elements",
            usage="shuffle REGION [distinct] [dinucleotide] | shuffle background [dinucleotide]")
