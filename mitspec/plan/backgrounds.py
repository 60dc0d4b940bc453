"""Starting sequences for root (and independent) classes: (n, length) uint8 codes.

Every draw is keyed by the instance index, so instance i gets the same background
whatever else the plan holds."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import rng
from ..errors import MitspecError
from ..genomes import load_genome, markov_tables, prefix_sums
from ..sequence import reverse_complement
from ..spec import program as ir

MAX_ATTEMPTS = 1000


class BackgroundError(MitspecError):
    pass


@lru_cache(maxsize=4)
def _prefix_sums(genome: ir.GenomeSource) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    codes = load_genome(genome)
    return codes, *prefix_sums(codes)


def genome_windows(bg: ir.GenomeBackground, key: np.uint64, rows: np.ndarray, length: int) -> np.ndarray:
    """Rejection sampling of windows: attempt k draws (start, strand) for the rows still
    open from its own keyed stream; a window is kept if it has no N and its AT fraction
    lies in the range. Returns (len(rows), length + bg.reserve): each window followed by
    the genome's continuation past its end (in the window's reading direction)."""
    codes, at_sum, n_sum = _prefix_sums(bg.source)
    total = length + bg.reserve
    span = len(codes) - total + 1
    if span < 1:
        raise BackgroundError(f"genome {bg.source.name} is shorter than {total} bp")
    starts = np.full(len(rows), -1, dtype=np.int64)
    minus = np.zeros(len(rows), dtype=bool)
    open_rows = np.arange(len(rows))
    for attempt in range(MAX_ATTEMPTS):
        if len(open_rows) == 0:
            break
        draws = rng.below(rng.subkey(key, "window", attempt), rows[open_rows], 2, np.array([span, 2]))
        start = draws[:, 0]
        is_minus = (draws[:, 1] == 1) & (bg.strands == "both")
        body = start + np.where(is_minus, bg.reserve, 0)  # a minus window reads its continuation leftwards
        at = (at_sum[body + length] - at_sum[body]) / length
        ok = (n_sum[start + total] == n_sum[start]) & (at >= bg.at_low - 1e-12) & (at <= bg.at_high + 1e-12)
        chosen = open_rows[ok]
        starts[chosen] = start[ok]
        minus[chosen] = is_minus[ok]
        open_rows = open_rows[~ok]
    if len(open_rows):
        raise BackgroundError(f"found no {length} bp window of {bg.source.name} with AT in [{bg.at_low:g}, "
                              f"{bg.at_high:g}] for {len(open_rows)} instance(s) after {MAX_ATTEMPTS} tries; "
                              "widen the AT range")
    windows = codes[starts[:, None] + np.arange(total)]
    windows[minus] = reverse_complement(windows[minus])
    return windows


@lru_cache(maxsize=8)
def _cumulative(source: ir.GenomeSource, order: int) -> list[np.ndarray]:
    return [np.cumsum(np.exp(t), axis=1) for t in markov_tables(source, order)]


def _chain_tables(bg: ir.MarkovBackground | ir.ChainBackground) -> list[np.ndarray]:
    """Cumulative next-base tables, one per context length 0..order: tables[m] is (4^m, 4)."""
    if isinstance(bg, ir.ChainBackground):
        return [np.cumsum(np.array([bg.initial]), axis=1), np.cumsum(np.array(bg.transitions), axis=1)]
    return _cumulative(bg.source, bg.order)


def markov_sequences(bg: ir.MarkovBackground | ir.ChainBackground, key: np.uint64, rows: np.ndarray, length: int,
                     before: np.ndarray | None = None) -> np.ndarray:
    """Base by base from the chain; the first bases use the shorter contexts they have.
    `before` (len(rows), m) continues the chain after those bases instead (its last
    min(m, order) bases are the first context)."""
    tables = _chain_tables(bg)
    u = rng.uniform(key, rows, length)
    out = np.empty((len(rows), length), dtype=np.uint8)
    context = np.zeros(len(rows), dtype=np.int64)
    have = 0
    if before is not None and bg.order:
        for column in before[:, max(0, before.shape[1] - bg.order):].T:
            context = context * 4 + column
            have += 1
    for t in range(length):
        m = min(have, bg.order)
        cumulative = tables[m][context]
        cumulative[:, -1] = 1.0
        base = (u[:, t, None] >= cumulative).sum(axis=1)
        out[:, t] = base
        have += 1
        context = (context * 4 + base) % (4 ** min(have, bg.order)) if bg.order else context
    return out


def given_records(bg: ir.GivenBackground) -> dict[str, str]:
    from ..fasta import FastaError, read_given

    try:
        return read_given(bg.path, bg.sha256)
    except FastaError as exc:
        raise BackgroundError(str(exc)) from None


def given_sequences(bg: ir.GivenBackground, name: str, rows: np.ndarray, length: int) -> np.ndarray:
    """(len(rows), length) codes of the records `<name>_<index:03d>` (the plan's ids)."""
    from ..sequence import encode

    records = given_records(bg)
    ids = [f"{name}_{int(i):03d}" for i in rows]
    missing = [i for i in ids if i not in records]
    if missing:
        raise BackgroundError(f"{bg.file} has no record {missing[0]}")
    return np.stack([encode(records[i]) for i in ids]) if ids else np.empty((0, length), dtype=np.uint8)


def sample_background(bg: ir.BackgroundIR, key: np.uint64, rows: np.ndarray, length: int,
                      name: str = "") -> np.ndarray:
    """(len(rows), length) starting sequences; a genome background with a reserve returns
    its continuation too: (len(rows), length + reserve). `name`: the class whose records a
    given-sequences background hands out."""
    if isinstance(bg, ir.GivenBackground):
        return given_sequences(bg, name, rows, length)
    if isinstance(bg, ir.IidBackground):
        return rng.categorical(key, rows, length, bg.probs).astype(np.uint8)
    if isinstance(bg, ir.GenomeBackground):
        return genome_windows(bg, key, rows, length)
    return markov_sequences(bg, key, rows, length)


def fresh_bases(fill: ir.Fill, key: np.uint64, rows: np.ndarray, count: int, before: np.ndarray,
                tail: np.ndarray | None) -> np.ndarray:
    """(len(rows), count) new background bases for an edit: iid draws, the Markov chain
    continued from `before` (the bases that will precede them), or the genome's
    continuation past the window (`tail`, from fill.tail_at on)."""
    bg = fill.background
    if isinstance(bg, ir.IidBackground):
        return rng.categorical(key, rows, count, bg.probs).astype(np.uint8)
    if isinstance(bg, (ir.MarkovBackground, ir.ChainBackground)):
        return markov_sequences(bg, key, rows, count, before)
    return tail[:, fill.tail_at:fill.tail_at + count]
