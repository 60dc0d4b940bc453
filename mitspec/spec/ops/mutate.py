"""`mutate P -> "G"`, `mutate A..B -> "WW"`: set bases, one IUPAC code each."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import rng
from ...sequence import BASES, IUPAC
from .. import ast
from ..layout import ClassState
from ..errors import Span
from .base import EditOp

_OPTIONS = {code: np.array([BASES.index(b) for b in bases], dtype=np.uint8) for code, bases in IUPAC.items()}


@dataclass(frozen=True, slots=True)
class Mutate:
    """`mutate P -> "G"`, or `mutate A..B -> "WW"` (one IUPAC code per base of A..B)."""

    at: ast.Position
    base: ast.Literal
    span: Span
    end: ast.Position | None = None


@dataclass(frozen=True, slots=True)
class MutateOp:
    position: int
    code: str  # one IUPAC code


def parse(t, span: Span, at: ast.Position, *rest) -> Mutate:
    """`rest`: the range's end (for `A..B`) and the codes."""
    return Mutate(at, t.string(rest[-1]), span, rest[0] if len(rest) == 2 else None)


def check(edits, op: Mutate, state: ClassState, class_overlap: bool) -> MutateOp | list:
    at = edits.positions.position(op.at, state)
    if op.end is not None:  # `mutate A..B -> "WW"`: one code per base
        end = edits.positions.position(op.end, state)
        edits.positions.bounds(at, end, op.span, "mutation")
        codes = op.base.text.upper()
        if end - at != len(codes):
            edits.diag.fail(f"{at}..{end} is {end - at} bp but {len(codes)} code(s) are given", op.base.span,
                            f"give one base or IUPAC code per position, {end - at} in all")
        bad = sorted({c for c in codes if c not in IUPAC})
        if bad:
            edits.diag.fail(f"{', '.join(repr(c) for c in bad)} "
                            f"{'is not a nucleotide code' if len(bad) == 1 else 'are not nucleotide codes'}",
                            op.base.span, "use A, C, G, T, N or IUPAC codes (W, S, R, ...)")
        return [MutateOp(at + k, code) for k, code in enumerate(codes)]
    edits.positions.bounds(at, at + 1, op.at.span, "mutation")
    code = op.base.text.upper()
    if len(code) != 1 or code not in IUPAC:
        edits.diag.fail(f"`{op.base.text}` is not a single nucleotide", op.base.span,
                        'write one base ("G") or one IUPAC code ("R"); for several, a range: `mutate 12..14 -> "GG"`')
    return MutateOp(at, code)


def apply(op: MutateOp, chunk, key) -> None:
    options = _OPTIONS[op.code]
    chunk.codes[:, op.position] = options[rng.below(key, chunk.rows, 1, len(options))[:, 0]]


OP = EditOp("mutate", Mutate, {"mutate": parse}, check, {MutateOp: apply}, "set bases (IUPAC codes drawn per instance)",
            usage='mutate P -> "G" | mutate A..B -> "WW"')
