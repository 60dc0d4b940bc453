"""Genomes shipped with mitspec (see mitspec/data/genomes/PROVENANCE.md)."""
from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from importlib import resources

import numpy as np

from .sequence import _ENCODE

GENOMES = {
    "ecoli_mg1655": ("ecoli_mg1655.fasta.gz", "ae952b2873ef8badc956925a61c5b536d4e40322b4e8b15dde3d8eda7ce3c879"),
}


class GenomeError(Exception):
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
