"""Quality bars a bundled gLM must beat, in held-out nats per base (numpy only).

The genome is split once: the first 90% of the forward strand and its reverse complement
train, the last 10% and its reverse complement are held out. A causal model must beat
the best add-one smoothed Markov chain of order 1-8; a masked model must beat the best
bidirectional context-count model (the base between k known bases on each side, k <= 5,
counts smoothed by backoff to shorter contexts), evaluated on a seeded 15% of held-out
positions. Uniform guessing is ln 4 = 1.386.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import rng
from ..genomes import kmer_index, load_genome
from ..sequence import reverse_complement

HOLDOUT = 0.10
MASK_FRACTION = 0.15
BACKOFF = 16.0  # Dirichlet strength of the backoff to the shorter context
UNIFORM = math.log(4)


@dataclass(frozen=True)
class Bar:
    model: str  # "markov" or "context"
    k: int  # Markov order, or bases on each side
    nats: float  # held-out nats per base


@lru_cache(maxsize=4)
def split(genome: str) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """(training strands, held-out strands): the last 10% of the genome, both strands, is held out."""
    codes = load_genome(genome)
    cut = int(len(codes) * (1 - HOLDOUT))
    train, held = codes[:cut], codes[cut:]
    return (train, reverse_complement(train)), (held, reverse_complement(held))


def _counts(strands, k: int) -> np.ndarray:
    counts = np.zeros(4 ** k)
    for strand in strands:
        index, valid = kmer_index(strand[None, :], k)
        counts += np.bincount(index[valid], minlength=4 ** k)
    return counts


def markov_nats(genome: str, order: int) -> float:
    """Held-out nats/base of an add-one smoothed order-`order` chain (positions with a full context)."""
    train, held = split(genome)
    counts = _counts(train, order + 1).reshape(4 ** order, 4) + 1.0
    logp = np.log(counts / counts.sum(axis=1, keepdims=True)).ravel()
    total = n = 0.0
    for strand in held:
        index, valid = kmer_index(strand[None, :], order + 1)
        total += logp[index[valid]].sum()
        n += valid.sum()
    return float(-total / n)


def context_probs(genome: str, k: int, beta: float = BACKOFF) -> np.ndarray:
    """p(centre | k bases left, k right), shape (4^k, 4, 4^k), as a Dirichlet backoff:
    p_k = (count_k + beta * p_{k-1}) / (total_k + beta), where p_{k-1} drops the outermost
    base on each side and p_0 is the add-one base frequency. With 4^10 contexts at k = 5,
    add-one smoothing would swamp the ~8 counts each context gets."""
    train, _ = split(genome)
    c0 = _counts(train, 1)
    p = ((c0 + 1) / (c0.sum() + 4)).reshape(1, 4, 1)
    for m in range(1, k + 1):
        counts = _counts(train, 2 * m + 1).reshape(4 ** m, 4, 4 ** m)
        inner_left, inner_right = np.arange(4 ** m) % 4 ** (m - 1), np.arange(4 ** m) // 4
        prior = p[inner_left][:, :, inner_right]
        p = (counts + beta * prior) / (counts.sum(axis=1, keepdims=True) + beta)
    return p


def context_nats(genome: str, k: int, seed: int = 0) -> float:
    """Held-out nats/base of predicting a base from the k bases on each side, over a
    seeded 15% of held-out positions."""
    _, held = split(genome)
    logp = np.log(context_probs(genome, k)).ravel()
    total = n = 0.0
    for s, strand in enumerate(held):
        index, valid = kmer_index(strand[None, :], 2 * k + 1)
        chosen = rng.uniform(rng.stream_key(seed, "mask", s), np.zeros(1, dtype=np.uint64), index.shape[1])
        pick = valid & (chosen < MASK_FRACTION)
        total += logp[index[pick]].sum()
        n += pick.sum()
    return float(-total / n)


def bars(genome: str, orders=range(1, 9), sides=range(1, 6)) -> list[Bar]:
    return ([Bar("markov", k, markov_nats(genome, k)) for k in orders]
            + [Bar("context", k, context_nats(genome, k)) for k in sides])


def best(results: list[Bar], model: str) -> Bar:
    return min((b for b in results if b.model == model), key=lambda b: b.nats)
