"""Program -> sequences. Every class is built in row chunks; each draw is keyed by
(seed, class, step origin, step index) and the instance index, so nothing depends on
chunking, class order, or how many other instances exist."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .. import rng
from ..sequence import BASES, IUPAC, reverse_complement, shuffle_dinucleotide, shuffle_distinct, shuffle_rows
from ..spec import program as ir
from .backgrounds import BackgroundError, sample_background

CHUNK_ROWS = 1 << 15  # 32k instances: ~26 MB of uint64 draws per 100 bp chunk


@dataclass
class ClassSequences:
    """The compiled instances of one class. codes: (n, length) uint8 (A=0 C=1 G=2 T=3);
    picks: table name -> (n,) index of the row each instance selected with `use`."""

    cls: ir.ClassIR
    codes: np.ndarray
    picks: dict[str, np.ndarray]


_IUPAC_OPTIONS = {code: np.array([BASES.index(b) for b in bases], dtype=np.uint8) for code, bases in IUPAC.items()}


def _literal(text: str) -> np.ndarray:
    return np.array([BASES.index(b) for b in text], dtype=np.uint8)


# ---- motifs: one sampler per MotifIR type; each returns (len(rows), motif.length) uint8 --------
def _sample_literal(motif: ir.LiteralMotif, key, rows, picks, tables) -> np.ndarray:
    return np.broadcast_to(_literal(motif.text), (len(rows), motif.length))


def _sample_iupac(motif: ir.IupacMotif, key, rows, picks, tables) -> np.ndarray:
    counts = np.array([len(IUPAC[c]) for c in motif.pattern])
    table = np.zeros((motif.length, 4), dtype=np.uint8)
    for j, c in enumerate(motif.pattern):
        table[j, :counts[j]] = _IUPAC_OPTIONS[c]
    choice = rng.below(key, rows, motif.length, counts)
    return table[np.arange(motif.length)[None, :], choice]


def _sample_revcomp(motif: ir.RevCompMotif, key, rows, picks, tables) -> np.ndarray:
    return reverse_complement(sample_motif(motif.inner, rng.subkey(key, "revcomp"), rows, picks, tables))


def _sample_choice(motif: ir.ChoiceMotif, key, rows, picks, tables) -> np.ndarray:
    which = rng.categorical(rng.subkey(key, "pick"), rows, 1, motif.weights)[:, 0]
    out = np.empty((len(rows), motif.length), dtype=np.uint8)
    for k, option in enumerate(motif.options):
        mask = which == k
        if mask.any():
            out[mask] = sample_motif(option, rng.subkey(key, "option", k), rows[mask],
                                     {t: p[mask] for t, p in picks.items()}, tables)
    return out


def _sample_column(motif: ir.ColumnMotif, key, rows, picks, tables) -> np.ndarray:
    table = tables[motif.table]
    column = table.columns.index(motif.column)
    values = np.stack([_literal(row[column]) for row in table.values])
    return values[picks[motif.table]]


SAMPLERS = {ir.LiteralMotif: _sample_literal, ir.IupacMotif: _sample_iupac, ir.RevCompMotif: _sample_revcomp,
            ir.ChoiceMotif: _sample_choice, ir.ColumnMotif: _sample_column}


def sample_motif(motif: ir.MotifIR, key: np.uint64, rows: np.ndarray, picks: dict[str, np.ndarray],
                 tables: dict[str, ir.TableIR]) -> np.ndarray:
    """Draw a motif for each row: (len(rows), motif.length) uint8."""
    return SAMPLERS[type(motif)](motif, key, rows, picks, tables)


# ---- operations: one function per OpIR type, each editing a chunk (len(rows), length) in place ----
def _place(op: ir.PlaceOp, codes, picks, rows, key, tables) -> None:
    segment = sample_motif(op.motif, key, rows, picks, tables)
    if op.strand == "-":
        segment = reverse_complement(segment)
    codes[:, op.start:op.start + op.motif.length] = segment


def _mutate(op: ir.MutateOp, codes, picks, rows, key, tables) -> None:
    options = _IUPAC_OPTIONS[op.code]
    codes[:, op.position] = options[rng.below(key, rows, 1, len(options))[:, 0]]


def _shuffle(op: ir.ShuffleOp, codes, picks, rows, key, tables) -> None:
    shuffle = shuffle_dinucleotide if op.dinucleotide else shuffle_rows
    region = codes[:, op.start:op.end]
    codes[:, op.start:op.end] = shuffle_distinct(region, key, rows, shuffle) if op.distinct else shuffle(region, key, rows)


def _revcomp(op: ir.RevCompOp, codes, picks, rows, key, tables) -> None:
    codes[:, op.start:op.end] = reverse_complement(codes[:, op.start:op.end])


def _move(op: ir.MoveOp, codes, picks, rows, key, tables) -> None:
    source = codes[:, op.source:op.source + op.length].copy()
    codes[:, op.source:op.source + op.length] = codes[:, op.target:op.target + op.length]
    codes[:, op.target:op.target + op.length] = source


def _spacer(op: ir.SpacerOp, codes, picks, rows, key, tables) -> None:
    length, q, d = codes.shape[1], op.position, abs(op.delta)
    fresh = rng.categorical(key, rows, d, op.probs).astype(np.uint8)  # a prefix of one stream per instance
    if op.delta > 0:
        codes[:] = np.concatenate([codes[:, :q], fresh, codes[:, q:length - d]], axis=1)
    else:
        codes[:] = np.concatenate([codes[:, :q - d], codes[:, q:], fresh], axis=1)


def _use(op: ir.UseOp, codes, picks, rows, key, tables) -> None:
    choices = np.array(op.rows, dtype=np.int64)
    if op.mode == "cycle":
        picks[op.table] = choices[rows.astype(np.int64) % len(choices)]
    else:
        picks[op.table] = choices[rng.below(key, rows, 1, len(choices))[:, 0]]


APPLY = {ir.PlaceOp: _place, ir.MutateOp: _mutate, ir.ShuffleOp: _shuffle, ir.RevCompOp: _revcomp,
         ir.MoveOp: _move, ir.SpacerOp: _spacer, ir.UseOp: _use}


def apply_step(step: ir.Step, codes: np.ndarray, picks: dict[str, np.ndarray], rows: np.ndarray,
               key: np.uint64, tables: dict[str, ir.TableIR]) -> None:
    """Apply one operation in place to a chunk: codes (len(rows), length)."""
    APPLY[type(step.op)](step.op, codes, picks, rows, key, tables)


def _chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, n, size):
        yield lo, min(n, lo + size)


def compile_program(program: ir.Program, chunk_rows: int = CHUNK_ROWS,
                    warnings: list[str] | None = None) -> dict[str, ClassSequences]:
    """Build every instance of every class. Returns class name -> ClassSequences, in
    program order (parents before children). `warnings` collects what the user should
    know (a `distinct` shuffle that left some instances as they were: their region has
    one arrangement only)."""
    built: dict[str, ClassSequences] = {}
    for cls in program.classes:
        try:
            built[cls.name] = _compile_class(program, cls, built, chunk_rows, warnings)
        except BackgroundError as exc:
            raise BackgroundError(f"class {cls.name}: {exc}") from None
    return built


def _compile_class(program: ir.Program, cls: ir.ClassIR, built: dict[str, ClassSequences], chunk_rows: int,
                   warnings: list[str] | None) -> ClassSequences:
    parent = built.get(cls.parent) if cls.parent and not cls.independent else None
    codes = np.empty((cls.n, program.length), dtype=np.uint8)
    picks: dict[str, np.ndarray] = {}
    unchanged = dict.fromkeys(range(len(cls.steps)), 0)  # rows a distinct shuffle could not change
    # a sweep's levels share the base class's streams: same backgrounds, same draws
    keys = [rng.stream_key(program.seed, cls.stream, s.origin, s.index) for s in cls.steps]
    background_key = rng.stream_key(program.seed, cls.stream, "background")
    for lo, hi in _chunks(cls.n, chunk_rows):
        rows = np.arange(lo, hi, dtype=np.uint64)
        if parent is not None:
            chunk = parent.codes[lo:hi].copy()
            chunk_picks = {t: p[lo:hi] for t, p in parent.picks.items()}
        else:
            chunk = sample_background(cls.background, background_key, rows, program.length)
            chunk_picks = {}
        for k, (step, key) in enumerate(zip(cls.steps, keys)):
            distinct = isinstance(step.op, ir.ShuffleOp) and step.op.distinct
            before = chunk[:, step.op.start:step.op.end].copy() if distinct else None
            apply_step(step, chunk, chunk_picks, rows, key, program.tables)
            if distinct:
                unchanged[k] += int((chunk[:, step.op.start:step.op.end] == before).all(axis=1).sum())
        codes[lo:hi] = chunk
        for t, p in chunk_picks.items():
            picks.setdefault(t, np.empty(cls.n, dtype=np.int64))[lo:hi] = p
    for k, count in unchanged.items():
        if count and warnings is not None:
            op = cls.steps[k].op
            warnings.append(f"class {cls.name}: `shuffle {op.start}..{op.end} distinct` left {count} of {cls.n} "
                            "instance(s) as they were: their region has one arrangement only (e.g. one base "
                            f"repeated{', or one order with its dinucleotides' if op.dinucleotide else ''})")
    return ClassSequences(cls, codes, picks)
