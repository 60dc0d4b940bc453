"""Counter-based, order-independent random draws.

Every draw is a pure function of (stream key, row, column): `bits(key, rows, width)`
hashes those three numbers with the splitmix64 finaliser. Nothing is consumed from a
shared state, so a draw for instance `C_007` is the same whether the plan holds 10 or
10^6 instances, whichever order classes are compiled in, and however the work is
chunked. We define the integer -> uniform -> choice maps ourselves (not numpy's
distribution methods, whose streams may change between numpy releases), so plans
are byte-identical across machines and library versions.
"""
from __future__ import annotations

import hashlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S32, _S11 = (np.uint64(s) for s in (30, 27, 31, 32, 11))


def stream_key(*labels: object) -> np.uint64:
    """A 64-bit key from labels such as (seed, class name, op index, purpose)."""
    text = "\x1f".join(f"{type(x).__name__}:{x}" for x in labels)
    return np.uint64(int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little"))


def subkey(key: np.uint64, *labels: object) -> np.uint64:
    return stream_key(int(key), *labels)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, in place on a uint64 array (wrapping arithmetic)."""
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def bits(key: np.uint64, rows: np.ndarray, width: int) -> np.ndarray:
    """Uniform 64-bit words, shape (len(rows), width): word (r, c) depends only on key, r, c."""
    rows = np.asarray(rows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        row_state = _mix(rows * _GOLDEN + key)
        cols = (np.arange(1, width + 1, dtype=np.uint64) * _GOLDEN)
        return _mix(row_state[:, None] + cols[None, :])


def uniform(key: np.uint64, rows: np.ndarray, width: int) -> np.ndarray:
    """Floats in [0, 1), 53-bit resolution, shape (len(rows), width)."""
    return (bits(key, rows, width) >> _S11).astype(np.float64) * (2.0 ** -53)


def below(key: np.uint64, rows: np.ndarray, width: int, bound) -> np.ndarray:
    """Integers in [0, bound) (bound broadcasts against the columns), shape (len(rows), width).

    Multiply-shift on the top 32 bits: bias below 2^-32 * bound, far beneath anything
    these experiments can detect.
    """
    hi = bits(key, rows, width) >> _S32
    with np.errstate(over="ignore"):
        return ((hi * np.asarray(bound, dtype=np.uint64)) >> _S32).astype(np.int64)


def categorical(key: np.uint64, rows: np.ndarray, width: int, probs) -> np.ndarray:
    """Draws from a discrete distribution `probs` (sums to 1), shape (len(rows), width)."""
    cumulative = np.cumsum(np.asarray(probs, dtype=np.float64))
    cumulative[-1] = 1.0  # guard against rounding leaving a sliver above the last bin
    return np.searchsorted(cumulative, uniform(key, rows, width), side="right").astype(np.int64)
