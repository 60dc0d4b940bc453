"""Score sequences through the cache: look everything up, score only what is missing,
in chunks that are committed to the cache one by one."""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

import numpy as np

from ..models.base import Scorer, Scores
from .cache import cache_key

WORK_PER_CHUNK = 1 << 18  # token-forwards per committed chunk at most
TARGET_CHUNK_SECONDS = 2.0  # a chunk's work, so a killed run loses about this much
FIRST_CHUNK = 16  # sequences in the first chunk, which measures the rate
BASELINE_POSITIONS = 1 << 16  # positions per baseline chunk at most


def chunk_size(scorer: Scorer, length: int) -> int:
    """Sequences per chunk at most: a masked model runs one forward row per token (cost ~
    L^2); a baseline's vectorised arrays are per position, so its chunk is bounded in
    positions too (thermo holds ~1 KB per position: 65,536 sequences of 100 bp took 8 GB,
    and ran 3x slower than chunks of 655)."""
    length = max(length, 1)
    if scorer.kind == "masked":
        return max(1, WORK_PER_CHUNK // (length * length))
    if scorer.kind in ("causal", "blindspot"):
        return max(1, WORK_PER_CHUNK // length)
    return max(1, BASELINE_POSITIONS // length)


class Chunker:
    """How many sequences the next chunk holds: FIRST_CHUNK, then about `target_seconds` of
    work at the rate measured so far, never more than `bound`. Every executor cuts its work
    with one, so a chunk is the same amount of work whoever scores it."""

    def __init__(self, bound: int, target_seconds: float = TARGET_CHUNK_SECONDS):
        self.bound, self.target_seconds = bound, target_seconds
        self.step = min(bound, FIRST_CHUNK)

    def take(self, remaining: int) -> int:
        return max(1, min(self.step, remaining))

    def observe(self, n: int, seconds: float) -> None:
        """A chunk of `n` sequences took `seconds` of scoring (on the worker that ran it)."""
        self.step = max(1, min(self.bound, int(n * self.target_seconds / max(seconds, 1e-6))))


Chunk = tuple[int, int, Scores]  # (lo, hi, scores of sequences[lo:hi])


def local_chunks(scorer: Scorer, sequences: list[str], chunker: Chunker) -> Iterator[Chunk]:
    """Score `sequences` in this process, chunk after chunk, in order."""
    lo = 0
    while lo < len(sequences):
        hi = lo + chunker.take(len(sequences) - lo)
        started = time.perf_counter()
        result = scorer.score(sequences[lo:hi])
        chunker.observe(hi - lo, time.perf_counter() - started)
        yield lo, hi, result
        lo = hi


def score_cached(scorer: Scorer, sequences: list[str], cache, progress: Callable[[int], None] | None = None,
                 target_seconds: float = TARGET_CHUNK_SECONDS) -> Scores:
    """Scores for `sequences` (upper-cased first); identical sequences are scored once.

    Work is committed to the cache chunk by chunk, as each chunk arrives; a chunk is sized
    by a Chunker, never more than `chunk_size`. A scorer with `score_chunks(sequences,
    chunker)` (a pool of remote workers) yields chunks in any order; any other is scored
    here by `local_chunks`. Scores do not depend on the chunking. progress(k) is called
    after each chunk with the number of sequences just scored."""
    sequences = [s.upper() for s in sequences]
    unique = list(dict.fromkeys(sequences))
    identity = scorer.identity
    keys = [cache_key(identity, s) for s in unique]
    known = cache.get_many(keys)
    todo = [i for i, k in enumerate(keys) if k not in known]
    chunker = Chunker(chunk_size(scorer, max((len(unique[i]) for i in todo), default=1)), target_seconds)
    work = [unique[i] for i in todo]
    chunks = scorer.score_chunks(work, chunker)
    if chunks is None:
        chunks = local_chunks(scorer, work, chunker)
    for lo, hi, result in chunks:
        rows = []
        for j, i in enumerate(todo[lo:hi]):
            per_nt = float(result.per_nt[j])
            value = (float(result.score[j]), None if math.isnan(per_nt) else per_nt, int(result.tokens[j]))
            known[keys[i]] = value
            rows.append((keys[i], *value))
        cache.put_many(rows)
        if progress:
            progress(hi - lo)
    index = {s: i for i, s in enumerate(unique)}
    values = [known[keys[index[s]]] for s in sequences]
    return Scores(
        np.array([v[0] for v in values], dtype=np.float64),
        np.array([np.nan if v[1] is None else v[1] for v in values], dtype=np.float64),
        np.array([v[2] for v in values], dtype=np.int64),
    )


def pending(scorer: Scorer, sequences: list[str], cache) -> int:
    """How many distinct sequences are not in the cache yet (for progress bars)."""
    unique = list(dict.fromkeys(s.upper() for s in sequences))
    identity = scorer.identity
    keys = [cache_key(identity, s) for s in unique]
    return len(keys) - len(cache.get_many(keys))
