"""Genomes shipped with mitspec (see mitspec/data/genomes/PROVENANCE.md)."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

import numpy as np

from .errors import MitspecError
from .io import gunzip, is_gzip, read_input
from .limits import GENOME_BYTES
from .sequence import _ENCODE, at_mask, reverse_complement

N_CODE = 4
GENOMES = {
    "ecoli_mg1655": ("ecoli_mg1655.fasta.gz", "ae952b2873ef8badc956925a61c5b536d4e40322b4e8b15dde3d8eda7ce3c879"),
    "saureus_n315": ("saureus_n315.fasta.gz", "f00af0fea6d59d4aef1cac64be57a5215739b7c23fae7f6bc0d44e1f9805a0e9"),
}


class GenomeError(MitspecError):
    pass


_SKIP = 5  # whitespace inside a record
_SEPARATOR = np.array([ord("N")], dtype=np.uint8)  # one N between records, so no k-mer spans two
_GENOME_CODES = np.where(_ENCODE == 255, N_CODE, _ENCODE).astype(np.uint8)  # IUPAC codes and anything else: N
_GENOME_CODES[np.frombuffer(b" \t\r\n", dtype=np.uint8)] = _SKIP


def _key(source) -> tuple[str, str | None, str | None]:
    """(name, path, sha256) of a bundled genome name or a GenomeSource."""
    if isinstance(source, str):
        return source, None, None
    return source.name, source.path, source.sha256


def fasta_bytes(raw: bytes, where: str) -> bytes:
    """FASTA text, gunzipped when it is gzip; at most limits.GENOME_BYTES of it, refused
    while decompressing (a gzip bomb costs no more memory than the limit)."""
    if is_gzip(raw):
        raw = gunzip(raw, GENOME_BYTES, GenomeError, f"genome {where}")
    if len(raw) > GENOME_BYTES:
        raise GenomeError(f"genome {where} holds over {GENOME_BYTES >> 20} MiB of sequence; use a smaller region")
    if not raw.lstrip().startswith(b">"):
        raise GenomeError(f"{where} is not FASTA (it does not start with a `>` header line)")
    return raw


def read_genome_file(path: str) -> tuple[bytes, str]:
    """(bytes, sha256) of a user's genome file (a regular file of at most
    limits.GENOME_BYTES), with a clear error when it cannot be read."""
    raw = read_input(path, GENOME_BYTES, GenomeError, "genome file")
    return raw, hashlib.sha256(raw).hexdigest()


@lru_cache(maxsize=4)
def _load(name: str, path: str | None, sha256: str | None) -> np.ndarray:
    if path is None:
        if name not in GENOMES:
            raise GenomeError(f"unknown genome {name!r}; bundled: {', '.join(GENOMES)}")
        filename, expected = GENOMES[name]
        raw = resources.files("mitspec").joinpath(f"data/genomes/{filename}").read_bytes()
        if hashlib.sha256(raw).hexdigest() != expected:
            raise GenomeError(f"the bundled {filename} does not match its sha256; reinstall mitspec")
    else:
        raw, digest = read_genome_file(path)
        if sha256 is not None and digest != sha256:
            raise GenomeError(f"genome file {name} changed since the spec was checked (sha256 {digest[:12]}..., "
                              f"expected {sha256[:12]}...); compile again")
    data = fasta_bytes(raw, name)
    del raw
    pieces = []
    start = data.find(b">")
    while start != -1:  # each record's body is a view of `data`: no copy per record
        end_of_header = data.find(b"\n", start)
        if end_of_header == -1:
            break
        following = data.find(b"\n>", end_of_header)
        end = len(data) if following == -1 else following + 1
        if pieces:
            pieces.append(_SEPARATOR)
        pieces.append(np.frombuffer(data, dtype=np.uint8, count=end - end_of_header - 1, offset=end_of_header + 1))
        start = -1 if following == -1 else following + 1
    codes = _GENOME_CODES[np.concatenate(pieces)] if pieces else np.zeros(0, dtype=np.uint8)
    codes = codes[codes != _SKIP]
    return codes


def load_genome(source) -> np.ndarray:
    """The genome's forward strand as uint8 codes (A=0 C=1 G=2 T=3 N=4), records joined
    with one N between them so no k-mer spans two records. `source`: a bundled genome's
    name or a `GenomeSource` (a user's FASTA or gzip FASTA, checked against its sha256)."""
    return _load(*_key(source))


def window_at_counts(source, length: int) -> np.ndarray:
    """How many N-free windows of `length` bp (forward starts) have k A/T bases, k = 0..length."""
    return _window_at_counts(_key(source), length)


@lru_cache(maxsize=8)
def _window_at_counts(key, length: int) -> np.ndarray:
    codes = _load(*key)
    if len(codes) < length:
        return np.zeros(length + 1, dtype=np.int64)
    at, n = prefix_sums(codes)
    valid = n[length:] == n[:-length]
    return np.bincount((at[length:] - at[:-length])[valid], minlength=length + 1)


def prefix_sums(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running counts of A/T and of N (length len(codes) + 1, int32: genomes are capped far
    below 2^31 bases), so any window's counts are two subtractions."""
    at = np.zeros(len(codes) + 1, dtype=np.int32)
    np.cumsum(at_mask(codes), dtype=np.int32, out=at[1:])
    n = np.zeros(len(codes) + 1, dtype=np.int32)
    np.cumsum(codes == N_CODE, dtype=np.int32, out=n[1:])
    return at, n


COUNT_BLOCK = 1 << 22  # k-mers counted per block


def markov_tables(genome, order: int) -> tuple[np.ndarray, ...]:
    """log p(x | previous m bases) for m = 0..order, trained on both strands with add-one
    smoothing; table m has shape (4**m, 4), context read as a base-4 number (oldest base
    most significant). k-mers touching an N are not counted. `genome`: as load_genome."""
    return _markov_tables(_key(genome), order)


@lru_cache(maxsize=8)
def _markov_tables(key, order: int) -> tuple[np.ndarray, ...]:
    fwd = _load(*key)
    counts = [np.zeros(4 ** (m + 1)) for m in range(order + 1)]
    for strand in (fwd, reverse_complement(fwd)):
        for block in range(0, len(strand), COUNT_BLOCK):  # bounded memory on a large genome
            chunk = strand[block:block + COUNT_BLOCK + order]
            index, valid = np.zeros(len(chunk), dtype=np.int64), np.ones(len(chunk), dtype=bool)
            for m in range(order + 1):  # the (m+1)-mers from the m-mers: one pass per order
                tail = chunk[m:]
                index = index[:len(tail)] * 4 + np.minimum(tail, 3)
                valid = valid[:len(tail)] & (tail != N_CODE)
                starts = max(0, min(COUNT_BLOCK, len(strand) - m - block))  # k-mers that start in this block
                counts[m] += np.bincount(index[:starts][valid[:starts]], minlength=4 ** (m + 1))
    tables = []
    for m, count in enumerate(counts):
        count = count.reshape(4 ** m, 4) + 1.0
        tables.append(np.log(count / count.sum(axis=1, keepdims=True)))
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


def markov_log_likelihood(codes: np.ndarray, genome, order: int) -> np.ndarray:
    """Total log-likelihood (nats) of each row (n, L) under the genome's order-k chain
    (markov_tables); the first bases use the shorter contexts they have, k-mers with an
    N add nothing. Shape (n,)."""
    tables = markov_tables(genome, order)
    n, length = codes.shape
    total = np.zeros(n)
    for t in range(min(order, length)):
        index, valid = kmer_index(codes[:, :t + 1], t + 1)
        total += np.where(valid[:, 0], tables[t].ravel()[index[:, 0]], 0.0)
    if length > order:
        index, valid = kmer_index(codes, order + 1)
        total += np.where(valid, tables[order].ravel()[index], 0.0).sum(axis=1)
    return total
