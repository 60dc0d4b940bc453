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


def shuffle_distinct(codes: np.ndarray, key: np.uint64, rows: np.ndarray, attempts: int = 256) -> np.ndarray:
    """Like `shuffle_rows`, but uniform over the permutations whose sequence differs from
    the row's original (rejection: attempt k uses its own keyed stream). A row with only
    one distinct base cannot change and is returned as it is."""
    out = shuffle_rows(codes, key, rows)
    can_change = (codes != codes[:, :1]).any(axis=1)
    same = can_change & (out == codes).all(axis=1)
    for attempt in range(1, attempts + 1):
        if not same.any():
            break
        out[same] = shuffle_rows(codes[same], rng.subkey(key, "distinct", attempt), rows[same])
        same &= (out == codes).all(axis=1)
    return out


def gc_fraction(codes: np.ndarray) -> np.ndarray:
    """Fraction of G or C per row, shape (n,)."""
    return ((codes == 1) | (codes == 2)).mean(axis=-1)


def at_fraction(codes: np.ndarray) -> np.ndarray:
    """Fraction of A or T per row, shape (n,)."""
    return ((codes == 0) | (codes == 3)).mean(axis=-1)
