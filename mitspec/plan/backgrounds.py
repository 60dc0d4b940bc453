"""Starting sequences for root (and independent) classes: (n, length) uint8 codes.

Every draw is keyed by the instance index, so instance i gets the same background
whatever else the plan holds."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import rng
from ..errors import MitspecError
from ..genomes import N_CODE, load_genome, markov_tables
from ..sequence import at_mask, reverse_complement
from ..spec import program as ir

MAX_ATTEMPTS = 1000


class BackgroundError(MitspecError):
    pass


@lru_cache(maxsize=4)
def _prefix_sums(genome: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    codes = load_genome(genome)
    at = np.concatenate([[0], np.cumsum(at_mask(codes), dtype=np.int64)])
    n = np.concatenate([[0], np.cumsum(codes == N_CODE, dtype=np.int64)])
    return codes, at, n


def genome_windows(bg: ir.GenomeBackground, key: np.uint64, rows: np.ndarray, length: int) -> np.ndarray:
    """Rejection sampling of windows: attempt k draws (start, strand) for the rows still
    open from its own keyed stream; a window is kept if it has no N and its AT fraction
    lies in the range."""
    codes, at_sum, n_sum = _prefix_sums(bg.genome)
    span = len(codes) - length + 1
    if span < 1:
        raise BackgroundError(f"genome {bg.genome} is shorter than {length} bp")
    starts = np.full(len(rows), -1, dtype=np.int64)
    minus = np.zeros(len(rows), dtype=bool)
    open_rows = np.arange(len(rows))
    for attempt in range(MAX_ATTEMPTS):
        if len(open_rows) == 0:
            break
        draws = rng.below(rng.subkey(key, "window", attempt), rows[open_rows], 2, np.array([span, 2]))
        start = draws[:, 0]
        at = (at_sum[start + length] - at_sum[start]) / length
        ok = (n_sum[start + length] == n_sum[start]) & (at >= bg.at_low - 1e-12) & (at <= bg.at_high + 1e-12)
        chosen = open_rows[ok]
        starts[chosen] = start[ok]
        minus[chosen] = (draws[ok, 1] == 1) & (bg.strands == "both")
        open_rows = open_rows[~ok]
    if len(open_rows):
        raise BackgroundError(f"found no {length} bp window of {bg.genome} with AT in [{bg.at_low:g}, {bg.at_high:g}] "
                              f"for {len(open_rows)} instance(s) after {MAX_ATTEMPTS} tries; widen the AT range")
    windows = codes[starts[:, None] + np.arange(length)]
    windows[minus] = reverse_complement(windows[minus])
    return windows


def markov_sequences(bg: ir.MarkovBackground, key: np.uint64, rows: np.ndarray, length: int) -> np.ndarray:
    """Base by base from the chain; the first bases use the shorter contexts they have."""
    tables = [np.cumsum(np.exp(t), axis=1) for t in markov_tables(bg.genome, bg.order)]
    u = rng.uniform(key, rows, length)
    out = np.empty((len(rows), length), dtype=np.uint8)
    context = np.zeros(len(rows), dtype=np.int64)
    for t in range(length):
        m = min(t, bg.order)
        cumulative = tables[m][context]
        cumulative[:, -1] = 1.0
        base = (u[:, t, None] >= cumulative).sum(axis=1)
        out[:, t] = base
        context = (context * 4 + base) % (4 ** min(t + 1, bg.order)) if bg.order else context
    return out


def sample_background(bg: ir.BackgroundIR, key: np.uint64, rows: np.ndarray, length: int) -> np.ndarray:
    if isinstance(bg, ir.IidBackground):
        return rng.categorical(key, rows, length, bg.probs).astype(np.uint8)
    if isinstance(bg, ir.GenomeBackground):
        return genome_windows(bg, key, rows, length)
    return markov_sequences(bg, key, rows, length)
