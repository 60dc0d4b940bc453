"""Nucleotide alphabet, IUPAC codes, and vectorised sequence edits on code arrays.

Sequences are uint8 arrays of codes A=0, C=1, G=2, T=3 (N=4), shape (n, length); every
edit works on all n instances at once.
"""
from __future__ import annotations

import numpy as np

from . import rng

ALPHABET = "ACGTN"
BASES = "ACGT"
IUPAC: dict[str, str] = {
    "A": "A", "C": "C", "G": "G", "T": "T",
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}
_COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
_ENCODE = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate(ALPHABET):
    _ENCODE[ord(_b)] = _ENCODE[ord(_b.lower())] = _i
_DECODE = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)


def encode(text: str) -> np.ndarray:
    """'ACGT' -> uint8 codes; raises ValueError on a character outside ACGTN."""
    codes = _ENCODE[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]
    if (codes == 255).any():
        bad = text[int(np.argmax(codes == 255))]
        raise ValueError(f"not a nucleotide: {bad!r}")
    return codes


def decode(codes: np.ndarray) -> str:
    return _DECODE[codes].tobytes().decode("ascii")


def decode_rows(codes: np.ndarray) -> list[str]:
    """(n, L) codes -> n strings."""
    n, length = codes.shape
    raw = _DECODE[codes].tobytes()
    return [raw[i * length:(i + 1) * length].decode("ascii") for i in range(n)]


def reverse_complement(codes: np.ndarray) -> np.ndarray:
    """Reverse complement along the last axis."""
    return _COMPLEMENT[codes[..., ::-1]]


def revcomp_text(text: str) -> str:
    return decode(reverse_complement(encode(text)))


def shuffle_rows(codes: np.ndarray, key: np.uint64, rows: np.ndarray) -> np.ndarray:
    """Independent uniform permutation of each row (Fisher-Yates), shape preserved.

    Row r's permutation depends only on (key, rows[r]), so instances shuffle the same
    way however the batch is formed.
    """
    out = codes.copy()
    n, width = out.shape
    if width < 2:
        return out
    # draw j_k in [0, k] for k = width-1 .. 1, one column per step
    steps = np.arange(width - 1, 0, -1)
    picks = rng.below(key, rows, width - 1, steps + 1)
    index = np.arange(n)
    for col, k in enumerate(steps):
        j = picks[:, col]
        tmp = out[index, k].copy()
        out[index, k] = out[index, j]
        out[index, j] = tmp
    return out


def shuffle_distinct(codes: np.ndarray, key: np.uint64, rows: np.ndarray, shuffle=None,
                     attempts: int = 256) -> np.ndarray:
    """`shuffle` (default `shuffle_rows`) conditioned on the outcome differing from the
    row's original: rejection, attempt k on its own keyed stream, so the result is
    uniform over the changed outcomes. A row that cannot change (one base only, or no
    other sequence with its dinucleotide counts) comes back as it is after `attempts`."""
    shuffle = shuffle or shuffle_rows
    out = shuffle(codes, key, rows)
    same = (codes != codes[:, :1]).any(axis=1) & (out == codes).all(axis=1)
    for attempt in range(1, attempts + 1):
        if not same.any():
            break
        out[same] = shuffle(codes[same], rng.subkey(key, "distinct", attempt), rows[same])
        same &= (out == codes).all(axis=1)
    return out


MAX_TREE_TRIES = 10_000  # random last-exit choices tried per dinucleotide shuffle


class _Draws:
    """An endless stream of uniforms for one row: block b is `rng.uniform(subkey(key, b), [row], 64)`."""

    def __init__(self, key: np.uint64, row: int):
        self.key, self.row, self.block, self.buffer = key, np.array([row], dtype=np.uint64), 0, []

    def __call__(self) -> float:
        if not self.buffer:
            self.buffer = rng.uniform(rng.subkey(self.key, "block", self.block), self.row, 64)[0].tolist()[::-1]
            self.block += 1
        return self.buffer.pop()

    def below(self, bound: int) -> int:
        return min(int(self() * bound), bound - 1)


def _doublet_shuffle(seq: list[int], draw: _Draws) -> list[int]:
    """Uniform random sequence with the same dinucleotide counts, first and last base
    (Altschul & Erickson 1985, as in Kandel et al. 1996): pick a random last exit edge
    for every base but the final one until they form a tree into it, shuffle the other
    edges of each base, then walk the Eulerian path."""
    if len(seq) <= 2:
        return list(seq)
    first, last = seq[0], seq[-1]
    edges: dict[int, list[int]] = {}
    for a, b in zip(seq, seq[1:]):
        edges.setdefault(a, []).append(b)
    for _ in range(MAX_TREE_TRIES):
        exits = {v: out[draw.below(len(out))] for v, out in edges.items() if v != last}
        ok = True
        for start in exits:
            seen, v = set(), start
            while v != last and ok:
                if v in seen:
                    ok = False
                seen.add(v)
                v = exits[v]
            if not ok:
                break
        if ok:
            break
    else:  # never seen: the odds of a tree are far above 1 in MAX_TREE_TRIES
        return list(seq)
    order = {}
    for v, out in edges.items():
        rest = list(out)
        if v in exits:
            rest.remove(exits[v])
        for k in range(len(rest) - 1, 0, -1):  # Fisher-Yates
            j = draw.below(k + 1)
            rest[k], rest[j] = rest[j], rest[k]
        order[v] = rest + ([exits[v]] if v in exits else [])
    out, position, v = [first], {v: 0 for v in order}, first
    for _ in range(len(seq) - 1):
        nxt = order[v][position[v]]
        position[v] += 1
        out.append(nxt)
        v = nxt
    return out


def shuffle_dinucleotide(codes: np.ndarray, key: np.uint64, rows: np.ndarray) -> np.ndarray:
    """Per row, a uniform shuffle that keeps every dinucleotide count (and so the base
    composition, first and last base). Row r depends only on (key, rows[r])."""
    out = np.empty_like(codes)
    for i, (row, values) in enumerate(zip(rows.tolist(), codes.tolist())):
        out[i] = _doublet_shuffle(values, _Draws(key, int(row)))
    return out


def dinucleotide_counts(codes: np.ndarray) -> np.ndarray:
    """(n, 5, 5) counts of each ordered base pair along each row."""
    n = codes.shape[0]
    pair = codes[:, :-1].astype(np.int64) * 5 + codes[:, 1:]
    out = np.zeros((n, 25), dtype=np.int64)
    np.add.at(out, (np.repeat(np.arange(n), pair.shape[1]), pair.ravel()), 1)
    return out.reshape(n, 5, 5)


def at_mask(codes: np.ndarray) -> np.ndarray:
    """True where the base is A or T (IUPAC W), same shape as `codes`; N is neither."""
    return (codes == 0) | (codes == 3)


def at_fraction(codes: np.ndarray) -> np.ndarray:
    """Fraction of A or T per row, shape (n,); the one definition of AT content."""
    return at_mask(codes).mean(axis=-1)


def at_fraction_expr(column: str = "sequence"):
    """`at_fraction` as a polars expression over a string column (case-insensitive),
    named `at`. Polars is imported here so the alphabet module itself stays numpy-only."""
    import polars as pl

    text = pl.col(column)
    return (text.str.count_matches("[ATat]") / text.str.len_chars()).alias("at")


def cpg_fraction_expr(column: str = "sequence"):
    """CpG frequency (CG dinucleotides per adjacent pair; case-insensitive) as a polars
    expression over a string column, named `cpg`."""
    import polars as pl

    text = pl.col(column)
    return (text.str.count_matches("(?i)cg") / (text.str.len_chars() - 1)).alias("cpg")
