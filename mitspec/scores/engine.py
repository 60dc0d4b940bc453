"""Score sequences through the cache: look everything up, score only what is missing,
in chunks that are committed to the cache one by one."""
from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from ..models.base import Scorer, Scores
from .cache import cache_key

WORK_PER_CHUNK = 1 << 18  # token-forwards per committed chunk at most
TARGET_CHUNK_SECONDS = 2.0  # a chunk's work, so a killed run loses about this much
FIRST_CHUNK = 16  # sequences in the first chunk, which measures the rate


def chunk_size(scorer: Scorer, length: int) -> int:
    """Sequences per chunk: a masked model runs one forward row per token (cost ~ L^2)."""
    length = max(length, 1)
    if scorer.kind == "masked":
        return max(1, WORK_PER_CHUNK // (length * length))
    if scorer.kind in ("causal", "blindspot"):
        return max(1, WORK_PER_CHUNK // length)
    return 1 << 16


def score_cached(scorer: Scorer, sequences: list[str], cache, progress: Callable[[int], None] | None = None,
                 target_seconds: float = TARGET_CHUNK_SECONDS) -> Scores:
    """Scores for `sequences` (upper-cased first); identical sequences are scored once.

    Work is committed to the cache chunk by chunk; a chunk is sized to take about
    `target_seconds` (measured on the chunk before), never more than `chunk_size`.
    Scores do not depend on the chunking. progress(k) is called after each chunk with
    the number of sequences just scored."""
    sequences = [s.upper() for s in sequences]
    unique = list(dict.fromkeys(sequences))
    identity = scorer.identity
    keys = [cache_key(identity, s) for s in unique]
    known = cache.get_many(keys)
    todo = [i for i, k in enumerate(keys) if k not in known]
    bound = chunk_size(scorer, max((len(unique[i]) for i in todo), default=1))
    step, lo = min(bound, FIRST_CHUNK), 0
    while lo < len(todo):
        part = todo[lo:lo + step]
        lo += len(part)
        started = time.perf_counter()
        result = scorer.score([unique[i] for i in part])
        # the next chunk takes about target_seconds: a killed run loses only that much work
        elapsed = max(time.perf_counter() - started, 1e-6)
        step = max(1, min(bound, int(len(part) * target_seconds / elapsed)))
        rows = []
        for j, i in enumerate(part):
            per_nt = float(result.per_nt[j])
            value = (float(result.score[j]), None if math.isnan(per_nt) else per_nt, int(result.tokens[j]))
            known[keys[i]] = value
            rows.append((keys[i], *value))
        cache.put_many(rows)
        if progress:
            progress(len(part))
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
