"""Genomes shipped with mitspec (see mitspec/data/genomes/PROVENANCE.md)."""
from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from importlib import resources

import numpy as np

from .errors import MitspecError
from .sequence import _ENCODE, at_mask, reverse_complement

N_CODE = 4
GENOMES = {
    "ecoli_mg1655": ("ecoli_mg1655.fasta.gz", "ae952b2873ef8badc956925a61c5b536d4e40322b4e8b15dde3d8eda7ce3c879"),
    "saureus_n315": ("saureus_n315.fasta.gz", "f00af0fea6d59d4aef1cac64be57a5215739b7c23fae7f6bc0d44e1f9805a0e9"),
}


class GenomeError(MitspecError):
    pass


@lru_cache(maxsize=4)
def load_genome(name: str) -> np.ndarray:
    """The genome's forward strand as uint8 codes (A=0 C=1 G=2 T=3 N=4), records joined
    with one N between them so no k-mer spans two records."""
    if name not in GENOMES:
        raise GenomeError(f"unknown genome {name!r}; bundled: {', '.join(GENOMES)}")
    filename, expected = GENOMES[name]
    raw = resources.files("mitspec").joinpath(f"data/genomes/{filename}").read_bytes()
    if hashlib.sha256(raw).hexdigest() != expected:
        raise GenomeError(f"the bundled {filename} does not match its sha256; reinstall mitspec")
    records = []
    for chunk in gzip.decompress(raw).split(b">")[1:]:
        header, _, body = chunk.partition(b"\n")
        records.append(body.replace(b"\n", b"").replace(b"\r", b""))
    codes = _ENCODE[np.frombuffer(b"N".join(records), dtype=np.uint8)]
    codes[codes == 255] = 4  # IUPAC ambiguity codes count as N
    return codes


@lru_cache(maxsize=8)
def window_at_counts(name: str, length: int) -> np.ndarray:
    """How many N-free windows of `length` bp (forward starts) have k A/T bases, k = 0..length."""
    codes = load_genome(name)
    if len(codes) < length:
        return np.zeros(length + 1, dtype=np.int64)
    at = np.concatenate([[0], np.cumsum(at_mask(codes), dtype=np.int64)])
    n = np.concatenate([[0], np.cumsum(codes == N_CODE, dtype=np.int64)])
    valid = n[length:] == n[:-length]
    return np.bincount((at[length:] - at[:-length])[valid], minlength=length + 1)


@lru_cache(maxsize=8)
def markov_tables(genome: str, order: int) -> tuple[np.ndarray, ...]:
    """log p(x | previous m bases) for m = 0..order, trained on both strands with add-one
    smoothing; table m has shape (4**m, 4), context read as a base-4 number (oldest base
    most significant). k-mers touching an N are not counted."""
    fwd = load_genome(genome)
    tables = []
    for m in range(order + 1):
        counts = np.zeros(4 ** (m + 1))
        for strand in (fwd, reverse_complement(fwd)):
            index, valid = kmer_index(strand[None, :], m + 1)
            counts += np.bincount(index[valid], minlength=4 ** (m + 1))
        counts = counts.reshape(4 ** m, 4) + 1.0
        tables.append(np.log(counts / counts.sum(axis=1, keepdims=True)))
    return tuple(tables)


def kmer_index(codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Base-4 index of every k-mer (n, L-k+1) and whether it is free of N."""
    n, length = codes.shape
    index = np.zeros((n, length - k + 1), dtype=np.int64)
    valid = np.ones_like(index, dtype=bool)
    for offset in range(k):
        part = codes[:, offset:length - k + 1 + offset]
        index = index * 4 + np.minimum(part, 3)
        valid &= part != N_CODE
    return index, valid
