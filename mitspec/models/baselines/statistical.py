"""Statistical baselines: what composition and k-mer statistics alone buy."""
from __future__ import annotations

import hashlib
import numpy as np

from ...sequence import at_fraction
from ...genomes import GENOMES, markov_log_likelihood
from .common import Baseline, baseline


class Markov(Baseline):
    """Markov: order-k chain trained on the bundled E. coli genome (both strands); total log-likelihood."""

    name = "markov"
    composition_only = True

    def __init__(self, order: int = 5, genome: str = "ecoli_mg1655"):
        self.order, self.genome = order, genome
        self.params = 3 * sum(4 ** m for m in range(order + 1))  # free probabilities of every table

    def config(self) -> dict:
        return {"order": self.order, "genome": self.genome, "genome_sha256": GENOMES[self.genome][1]}

    def score_codes(self, codes: np.ndarray) -> np.ndarray:
        return markov_log_likelihood(codes, self.genome, self.order)


class ATContent(Baseline):
    """AT content: the fraction of A and T (the pure composition hypothesis)."""

    name = "at_content"
    composition_only = True
    accepts_n = True  # N is not A or T: it lowers the fraction

    def score_codes(self, codes: np.ndarray) -> np.ndarray:
        return at_fraction(codes)


class Random(Baseline):
    """Random: a uniform number fixed by the sequence's hash (stable per sequence)."""

    name = "random"
    accepts_n = True

    def score(self, sequences):
        from ..base import Scores

        values = np.array([int.from_bytes(hashlib.blake2b(s.upper().encode(), digest_size=8).digest(), "little")
                           / 2.0 ** 64 for s in sequences])
        lengths = np.array([len(s) for s in sequences])
        return Scores(values, values / np.maximum(lengths, 1), lengths)


class Kmer6(Baseline):
    """6-mer: sum over 6-mer windows of log P(6-mer) under independent bases A .246 C .254 G .254 T .246."""

    name = "kmer6"
    composition_only = True
    freqs = (0.246, 0.254, 0.254, 0.246)
    params = 3
    min_length = 6

    def config(self) -> dict:
        return {"freqs": self.freqs, "k": 6}

    def score_codes(self, codes: np.ndarray) -> np.ndarray:
        logp = np.append(np.log(self.freqs), 0.0)[codes]  # N contributes 0
        n, length = codes.shape
        # base t lies in min(t + 1, 6, L - t, L - 5) windows of width 6
        t = np.arange(length)
        coverage = np.minimum.reduce([t + 1, np.full(length, 6), length - t, np.full(length, length - 5)])
        return logp @ np.maximum(coverage, 0)


baseline(Markov, "order-5 Markov chain on E. coli MG1655")
baseline(ATContent, "AT fraction (composition only)")
baseline(Random, "hash-seeded uniform score (chance level)")
baseline(Kmer6, "reference 6-mer scorer (independent bases)")
