"""Program -> sequences. Every class is built in row chunks; each draw is keyed by
(seed, class, step origin, step index) and the instance index, so nothing depends on
chunking, class order, or how many other instances exist."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .. import rng
from ..pwm import log_odds as pwm_log_odds
from ..sequence import BASES, IUPAC, reverse_complement
from ..spec import program as ir
from ..spec.check.classes import EXTRA_STEP_BASE
from ..spec.ops import APPLY, ApplyError, GapOp, ShuffleOp
from .backgrounds import BackgroundError, fresh_bases, sample_background

CHUNK_ROWS = 1 << 15  # 32k instances: ~26 MB of uint64 draws per 100 bp chunk


@dataclass
class ClassSequences:
    """The compiled instances of one class. codes: (n, length) uint8 (A=0 C=1 G=2 T=3);
    picks: table name -> (n,) index of the row each instance selected with `use`;
    random: randomly placed element -> (n,) its start in each instance; tail: (n, reserve)
    the genome's continuation past each window (genome backgrounds with indels only)."""

    cls: ir.ClassIR
    codes: np.ndarray
    picks: dict[str, np.ndarray]
    random: dict[str, np.ndarray] = field(default_factory=dict)
    tail: np.ndarray | None = None


@dataclass
class Chunk:
    """Rows lo..hi of a class while its steps run: codes (len(rows), length), edited in
    place; picks, random starts and the genome tail as in ClassSequences."""

    rows: np.ndarray
    codes: np.ndarray
    picks: dict[str, np.ndarray]
    random: dict[str, np.ndarray]
    tail: np.ndarray | None
    tables: dict[str, ir.TableIR]

    def motif(self, motif: ir.MotifIR, key: np.uint64) -> np.ndarray:
        """The motif drawn for each row: (len(rows), motif.length) uint8."""
        return sample_motif(motif, key, self)

    def fresh(self, fill: ir.Fill, key: np.uint64, count: int, before: np.ndarray) -> np.ndarray:
        """(len(rows), count) fresh background bases for an edit (see fresh_bases)."""
        return fresh_bases(fill, key, self.rows, count, before, self.tail)

    def subset(self, mask: np.ndarray) -> Chunk:
        return Chunk(self.rows[mask], self.codes[mask], {t: p[mask] for t, p in self.picks.items()},
                     {e: s[mask] for e, s in self.random.items()},
                     None if self.tail is None else self.tail[mask], self.tables)


_IUPAC_OPTIONS = {code: np.array([BASES.index(b) for b in bases], dtype=np.uint8) for code, bases in IUPAC.items()}
MAX_PWM_ATTEMPTS = 1000


def _literal(text: str) -> np.ndarray:
    return np.array([BASES.index(b) for b in text], dtype=np.uint8)


# ---- motifs: one sampler per MotifIR type; each returns (len(rows), motif.length) uint8 --------
def _sample_literal(motif: ir.LiteralMotif, key, chunk: Chunk) -> np.ndarray:
    return np.broadcast_to(_literal(motif.text), (len(chunk.rows), motif.length))


def _sample_iupac(motif: ir.IupacMotif, key, chunk: Chunk) -> np.ndarray:
    counts = np.array([len(IUPAC[c]) for c in motif.pattern])
    table = np.zeros((motif.length, 4), dtype=np.uint8)
    for j, c in enumerate(motif.pattern):
        table[j, :counts[j]] = _IUPAC_OPTIONS[c]
    choice = rng.below(key, chunk.rows, motif.length, counts)
    return table[np.arange(motif.length)[None, :], choice]


def _sample_revcomp(motif: ir.RevCompMotif, key, chunk: Chunk) -> np.ndarray:
    return reverse_complement(sample_motif(motif.inner, rng.subkey(key, "revcomp"), chunk))


def _sample_choice(motif: ir.ChoiceMotif, key, chunk: Chunk) -> np.ndarray:
    which = rng.categorical(rng.subkey(key, "pick"), chunk.rows, 1, motif.weights)[:, 0]
    out = np.empty((len(chunk.rows), motif.length), dtype=np.uint8)
    for k, option in enumerate(motif.options):
        mask = which == k
        if mask.any():
            out[mask] = sample_motif(option, rng.subkey(key, "option", k), chunk.subset(mask))
    return out


def _sample_column(motif: ir.ColumnMotif, key, chunk: Chunk) -> np.ndarray:
    table = chunk.tables[motif.table]
    column = table.columns.index(motif.column)
    values = np.stack([_literal(row[column]) for row in table.values])
    return values[chunk.picks[motif.table]]


def _sample_pwm(motif: ir.PwmMotif, key, chunk: Chunk) -> np.ndarray:
    """Column by column from the matrix; with min_score / max_score, redrawn (attempt k from
    its own keyed stream) until the site's log-odds score lies within them."""
    probs = np.asarray(motif.probs)
    cumulative = np.cumsum(probs, axis=1)
    cumulative[:, -1] = 1.0
    out = np.empty((len(chunk.rows), motif.length), dtype=np.uint8)
    open_rows = np.arange(len(chunk.rows))
    log_odds = pwm_log_odds(motif.probs)  # (length, 4) bits
    bounded = motif.min_score is not None or motif.max_score is not None
    low = -np.inf if motif.min_score is None else motif.min_score - 1e-9
    high = np.inf if motif.max_score is None else motif.max_score + 1e-9
    for attempt in range(MAX_PWM_ATTEMPTS if bounded else 1):
        u = rng.uniform(rng.subkey(key, "pwm", attempt) if attempt else key, chunk.rows[open_rows], motif.length)
        site = (u[:, :, None] >= cumulative[None, :, :]).sum(axis=2).astype(np.uint8)
        if not bounded:
            return site
        score = log_odds[np.arange(motif.length), site].sum(axis=1)
        ok = (score >= low) & (score <= high)
        out[open_rows[ok]] = site[ok]
        open_rows = open_rows[~ok]
        if not len(open_rows):
            return out
    raise BackgroundError(f"motif {motif.name}: no site scored within its bounds (min_score, max_score) in "
                          f"{MAX_PWM_ATTEMPTS} draws for {len(open_rows)} instance(s); widen them")


def _sample_linked(motif: ir.LinkedMotif, key, chunk: Chunk) -> np.ndarray:
    return chunk.codes[:, motif.start:motif.start + motif.length].copy()


SAMPLERS = {ir.LiteralMotif: _sample_literal, ir.IupacMotif: _sample_iupac, ir.RevCompMotif: _sample_revcomp,
            ir.ChoiceMotif: _sample_choice, ir.ColumnMotif: _sample_column, ir.PwmMotif: _sample_pwm,
            ir.LinkedMotif: _sample_linked}


def sample_motif(motif: ir.MotifIR, key: np.uint64, chunk: Chunk) -> np.ndarray:
    """Draw a motif for each row of the chunk: (len(chunk.rows), motif.length) uint8."""
    return SAMPLERS[type(motif)](motif, key, chunk)


def apply_step(step: ir.Step, chunk: Chunk, key: np.uint64) -> None:
    """Apply one operation in place to a chunk (each op's apply is in its spec/ops module)."""
    APPLY[type(step.op)](step.op, chunk, key)


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
    if warnings is not None:
        warnings.extend(unedited_levels(program))
    for cls in program.classes:
        try:
            built[cls.name] = _compile_class(program, cls, built, chunk_rows, warnings)
        except (BackgroundError, ApplyError) as exc:
            raise BackgroundError(f"class {cls.name}: {exc}") from None
    return built


def unedited_levels(program: ir.Program) -> list[str]:
    """Warnings for gap sweeps on genome backgrounds where some level is the layout as
    placed (no indel) while the others insert or delete: every edited level carries a
    junction with the genome's continuation that the unedited one lacks, a difference a
    model can prefer for no reason of grammar (measured: docs/language.md, Gaps)."""
    groups: dict[str, list[ir.ClassIR]] = {}
    for cls in program.classes:
        if cls.group and isinstance(cls.background, ir.GenomeBackground):
            groups.setdefault(cls.group, []).append(cls)
    out = []
    for group, conditions in groups.items():
        # the indels the sweep's level appended (an `insert background` in the body is every level's)
        edited = {c.name: any(isinstance(step.op, GapOp) and isinstance(step.index, int)
                              and step.index >= EXTRA_STEP_BASE for step in c.steps) for c in conditions}
        plain = [name for name, has in edited.items() if not has]
        if plain and len(plain) < len(edited):
            out.append(f"class {group}: {', '.join(plain)} {'is' if len(plain) == 1 else 'are'} the layout as placed, "
                       "while the other levels insert or delete bases and so carry a junction with the genome's "
                       "continuation; a model may prefer the unedited level for that alone. Place the elements so "
                       "that every level is edited (e.g. the gap 1 bp below the lowest level)")
    return out


def _compile_class(program: ir.Program, cls: ir.ClassIR, built: dict[str, ClassSequences], chunk_rows: int,
                   warnings: list[str] | None) -> ClassSequences:
    parent = built.get(cls.parent) if cls.parent and not cls.independent else None
    codes = np.empty((cls.n, program.length), dtype=np.uint8)
    out = ClassSequences(cls, codes, {})
    unchanged = dict.fromkeys(range(len(cls.steps)), 0)  # rows a distinct shuffle could not change
    # a sweep's levels share the base class's streams: same backgrounds, same draws
    keys = [rng.stream_key(program.seed, cls.stream, s.origin, s.index) for s in cls.steps]
    background_key = rng.stream_key(program.seed, cls.stream, "background")
    for lo, hi in _chunks(cls.n, chunk_rows):
        rows = np.arange(lo, hi, dtype=np.uint64)
        if parent is not None:
            chunk = Chunk(rows, parent.codes[lo:hi].copy(), {t: p[lo:hi] for t, p in parent.picks.items()},
                          {e: s[lo:hi] for e, s in parent.random.items()},
                          None if parent.tail is None else parent.tail[lo:hi], program.tables)
        else:
            start = sample_background(cls.background, background_key, rows, program.length, cls.stream)
            tail = start[:, program.length:] if start.shape[1] > program.length else None
            chunk = Chunk(rows, np.ascontiguousarray(start[:, :program.length]), {}, {}, tail, program.tables)
        for k, (step, key) in enumerate(zip(cls.steps, keys)):
            distinct = isinstance(step.op, ShuffleOp) and step.op.distinct
            before = chunk.codes[:, step.op.start:step.op.end].copy() if distinct else None
            apply_step(step, chunk, key)
            if distinct:
                unchanged[k] += int((chunk.codes[:, step.op.start:step.op.end] == before).all(axis=1).sum())
        codes[lo:hi] = chunk.codes
        for t, p in chunk.picks.items():
            out.picks.setdefault(t, np.empty(cls.n, dtype=np.int64))[lo:hi] = p
        for e, s in chunk.random.items():
            out.random.setdefault(e, np.empty(cls.n, dtype=np.int64))[lo:hi] = s
        if chunk.tail is not None:
            if out.tail is None:
                out.tail = np.empty((cls.n, chunk.tail.shape[1]), dtype=np.uint8)
            out.tail[lo:hi] = chunk.tail
    for k, count in unchanged.items():
        if count and warnings is not None:
            op = cls.steps[k].op
            warnings.append(f"class {cls.name}: `shuffle {op.start}..{op.end} distinct` left {count} of {cls.n} "
                            "instance(s) as they were: their region has one arrangement only (e.g. one base "
                            f"repeated{', or one order with its dinucleotides' if op.dinucleotide else ''})")
    return out
