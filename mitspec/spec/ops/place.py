"""`place M at P1, P2, ...`, `place M at random(A..B), ...`, `place M at A..B step S`:
write a motif and record an element per copy."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ... import rng
from ...sequence import reverse_complement
from .. import ast
from .. import program as ir
from ..errors import Span
from ..layout import ClassState
from .base import ApplyError, EditOp


@dataclass(frozen=True, slots=True)
class Place:
    """`place M at P1, P2, ...` (one element per position), `place M at random(A..B), ...`
    (one per window, at a start drawn per instance) or `place M at A..B step S`."""

    motif: ast.MotifExpr
    at: tuple[ast.Position, ...]  # empty for a random or periodic placement
    random: tuple[ast.RangeRegion, ...]  # the windows of a random placement, else empty
    strand: str  # "+" or "-"
    alias: ast.Name | None
    allow_overlap: bool
    span: Span
    numbered: bool = False  # name copies NAME_1, NAME_2 even when one position is left (copies sweeps)
    every: tuple[ast.Position, ast.Position, ast.Number] | None = None  # `at A..B step S`: copies A + k S below B
    phase: float = 0.0  # bp added to every copy of a periodic placement (what `sweep phase(M)` sets)
    period: ast.Number | None = None  # spacing of a periodic placement's copies, if not its step (`sweep period(M)`)


@dataclass(frozen=True, slots=True)
class PlaceOp:
    start: int
    motif: ir.MotifIR
    strand: str


@dataclass(frozen=True, slots=True)
class RandomPlaceOp:
    """Place `motif` at a start drawn per instance among `starts` (those free of fixed
    elements), avoiding the instance's earlier random elements named in `avoid`."""

    name: str
    starts: tuple[int, ...]
    motif: ir.MotifIR
    strand: str
    avoid: tuple[tuple[str, int], ...]  # (element, length)


# ---- syntax ----
class _Random(tuple):
    """The windows of `at random(A..B), random(C..D)`."""


class _Periodic(tuple):
    """(start, stop, step) of `at A..B step S`, told apart from a list of positions."""


def parse(t, span: Span, motif: ast.MotifExpr, where, *options) -> Place:
    """`where`: positions (a tuple), random windows (_Random) or a periodic range (_Periodic)."""
    opts = t.options(options)
    strand, alias, allow = opts.get("strand", "+"), opts.get("as"), bool(opts.get("allow overlap"))
    if isinstance(where, _Periodic):
        return Place(motif, (), (), strand, alias, allow, span, numbered=True, every=tuple(where))
    at, random = ((), tuple(where)) if isinstance(where, _Random) else (where, ())
    return Place(motif, at, random, strand, alias, allow, span)


PARSERS = {
    "place": parse,
    "periodic": lambda t, span, start, stop, step: _Periodic((start, stop, step)),
    "positions": lambda t, span, *positions: tuple(positions),
    "random_ranges": lambda t, span, *windows: _Random(windows),
    "random_range": lambda t, span, start, stop: ast.RangeRegion(start, stop, span),
}


# ---- checking ----
def revcomp_of(motif: ast.MotifExpr) -> str | None:
    """X when the motif is written `revcomp(X)` (X a motif or an element), else None."""
    if (isinstance(motif, ast.Call) and motif.func.text == "revcomp" and len(motif.args) == 1 and not motif.kwargs
            and isinstance(motif.args[0], ast.Ref) and len(motif.args[0].parts) == 1):
        return motif.args[0].parts[0].text
    return None


def check(edits, op: Place, state: ClassState, class_overlap: bool) -> PlaceOp | RandomPlaceOp | list:
    """One element per position (`NAME_1`, `NAME_2`, ... when several are listed), or
    one at a start drawn per instance (`at random(A..B)`)."""
    motif = edits.motifs.resolve(op.motif, state)
    if op.random:
        name = edits.new_name(op, op.alias, state)
        if len(op.random) == 1:
            return place_random(edits, op, motif, state, op.random[0], name)
        return [place_random(edits, op, motif, state, window, f"{name}_{k + 1}") for k, window in enumerate(op.random)]
    if op.every is not None:
        return place_periodic(edits, op, motif, state, class_overlap)
    label = None
    first = op.at[0].base
    if (len(op.at) == 1 and isinstance(first, ast.Ref) and not op.at[0].offsets
            and first.parts[0].text in edits.scope.layouts):
        s, slot_end, slot_name = edits.positions.locate(first, state)
        if len(first.parts) == 2:
            label = slot_name
        if slot_end is not None and len(first.parts) == 2 and slot_end - s != motif.length:
            edits.diag.fail(f"motif `{edits.diag.text(op.motif.span)}` is {motif.length} bp but slot "
                            f"`{first.dotted}` spans {slot_end - s} bp ({s}..{slot_end})", op.span,
                            "use a motif of the slot's length, or position it with an offset")
    name = edits.new_name(op, op.alias, state, label)
    out = []
    for k, pos in enumerate(op.at):
        start = edits.positions.position(pos, state)
        copy = name if len(op.at) == 1 and not op.numbered else f"{name}_{k + 1}"
        out.append(place_one(edits, op, copy, start, motif, state, class_overlap))
    return out[0] if len(out) == 1 else out


def place_periodic(edits, op: Place, motif: ir.MotifIR, state: ClassState, class_overlap: bool) -> list:
    """`at A..B step S`: copies at A + k S for every k with A + k S < B, each rounded half
    up (floor(x + 0.5): 30 + 10.5 -> 41), named NAME_1, NAME_2, ..."""
    first, stop, step = op.every
    a, b = edits.positions.position(first, state), edits.positions.position(stop, state)
    if not step.value > 0:
        edits.diag.fail("a step must be positive", step.span, "e.g. `at 30..170 step 10.5`")
    if b <= a:
        edits.diag.fail(f"the range {a}..{b} holds no position", op.span, "write the first position first")
    count = math.ceil((b - a) / step.value)
    if count > edits.scope.length:
        edits.diag.fail(f"{count:,} copies do not fit a {edits.scope.length} bp sequence", step.span,
                        "use a larger step")
    name = edits.new_name(op, op.alias, state, None)
    spacing = op.period.value if op.period is not None else step.value  # `sweep period(M)` keeps the count
    starts = [math.floor(a + op.phase + k * spacing + 0.5) for k in range(count)]
    return [place_one(edits, op, f"{name}_{k + 1}", start, motif, state, class_overlap)
            for k, start in enumerate(starts)]


def place_one(edits, op: Place, name: str, start: int, motif: ir.MotifIR, state: ClassState,
              class_overlap: bool) -> PlaceOp:
    diag, end = edits.diag, start + motif.length
    edits.positions.bounds(start, end, op.span, f"`{name}` ({motif.length} bp)")
    kept = [f for f in state.features if (f.start, f.end) != (start, end) or f.within is not None]  # same span: replace
    if not (op.allow_overlap or class_overlap):
        for f in kept:
            if f.overlaps(start, end):
                diag.fail(f"`{name}` ({start}..{end}) overlaps `{f.name}` ({f.start}..{f.end})", op.span,
                          "move it, or add `allow overlap` to the place statement if that is intended")
    clash = next((f for f in kept if f.name == name), None)
    if clash is not None:
        diag.fail(f"an element named `{name}` is already placed at {clash.start}..{clash.end}", op.span,
                  f"name this one with `as {name}_2`")
    state.features[:] = kept + [ir.Feature(name, start, end, op.strand, diag.text(op.motif.span),
                                           revcomp_of=revcomp_of(op.motif))]
    return PlaceOp(start, motif, op.strand)


def place_random(edits, op: Place, motif: ir.MotifIR, state: ClassState, window: ast.RangeRegion,
                 name: str) -> RandomPlaceOp:
    """Starts lo..hi-length that overlap no fixed element; another random element must
    leave room in every instance (checked for the worst case)."""
    lo, hi, _ = edits.positions.region(window, state)
    length = motif.length
    if any(f.name == name for f in state.features):
        edits.diag.fail(f"an element named `{name}` is already placed", op.span, f"name this one with `as {name}_2`")
    fixed = [f for f in state.features if f.within is None]
    starts = [s for s in range(lo, hi - length + 1) if not any(f.overlaps(s, s + length) for f in fixed)]
    randoms = [f for f in state.features if f.within is not None]
    blocked = sum(f.within[2] - 1 + length for f in randoms if f.overlaps(lo, hi))  # starts each can take away
    if len(starts) <= blocked:
        room = f"{len(starts)} free start(s)" + (f", and the random elements before it can block {blocked}"
                                                  if blocked else "")
        edits.diag.fail(f"no room to place `{name}` ({length} bp) at random in {lo}..{hi}: {room}", window.span,
                        "widen the range, or move elements out of it")
    avoid = tuple((f.name, f.within[2]) for f in randoms)
    state.features.append(ir.Feature(name, lo, hi, op.strand, edits.diag.text(op.motif.span), (lo, hi, length),
                                     revcomp_of(op.motif)))
    return RandomPlaceOp(name, tuple(starts), motif, op.strand, avoid)


# ---- applying ----
def oriented(op, key, chunk) -> np.ndarray:
    """The op's motif drawn per row, reverse-complemented on strand `-`: (rows, length)."""
    segment = chunk.motif(op.motif, key)
    return reverse_complement(segment) if op.strand == "-" else segment


def apply_place(op: PlaceOp, chunk, key) -> None:
    chunk.codes[:, op.start:op.start + op.motif.length] = oriented(op, key, chunk)


def apply_random_place(op: RandomPlaceOp, chunk, key) -> None:
    """Uniform over the starts left free in each instance (the fixed layout's are
    `op.starts`; earlier random elements of the instance are avoided row by row)."""
    length, starts = op.motif.length, np.asarray(op.starts, dtype=np.int64)
    free = np.ones((len(chunk.rows), len(starts)), dtype=bool)
    for other, other_length in op.avoid:
        at = chunk.random[other][:, None]
        free &= ~((starts[None, :] < at + other_length) & (at < starts[None, :] + length))
    counts = free.sum(axis=1)
    if (counts == 0).any():
        raise ApplyError(f"no free start for `{op.name}` in {int((counts == 0).sum())} instance(s)")
    k = rng.below(rng.subkey(key, "start"), chunk.rows, 1, counts[:, None])[:, 0]
    choice = (np.cumsum(free, axis=1) <= k[:, None]).sum(axis=1)
    start = starts[choice]
    segment = oriented(op, key, chunk)
    columns = start[:, None] + np.arange(length)[None, :]
    np.put_along_axis(chunk.codes, columns, segment, axis=1)
    chunk.random[op.name] = start


OP = EditOp("place", Place, PARSERS, check, {PlaceOp: apply_place, RandomPlaceOp: apply_random_place},
            "write a motif at one or more places (fixed, periodic or random per instance)",
            usage="place M at P[, P2 ...] | at random(A..B) | at A..B step S [strand -] [as NAME]")
