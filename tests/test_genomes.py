"""Genome tables (mitspec/genomes.py) against counts made the slow, obvious way."""
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest

from mitspec import genomes

COMPLEMENT = str.maketrans("ACGTN", "TGCAN")
BASES = "ACGT"


def _by_hand(text: str, order: int) -> list[np.ndarray]:
    """log p(base | previous m bases) with add-one smoothing, from Counter over the k-mer
    strings of both strands; a k-mer holding an N is not counted."""
    strands = (text, text.translate(COMPLEMENT)[::-1])
    tables = []
    for m in range(order + 1):
        seen = Counter(s[i:i + m + 1] for s in strands for i in range(len(s) - m) if "N" not in s[i:i + m + 1])
        table = np.ones((4 ** m, 4))
        for kmer, count in seen.items():
            context = sum(BASES.index(b) * 4 ** (m - 1 - j) for j, b in enumerate(kmer[:-1]))
            table[context, BASES.index(kmer[-1])] += count
        tables.append(np.log(table / table.sum(axis=1, keepdims=True)))
    return tables


@pytest.mark.parametrize("block", [3, 7, 64, 1 << 22])
def test_markov_tables_count_every_kmer_of_both_strands_across_blocks(tmp_path, monkeypatch, block):
    """Blocks smaller than a k-mer, not dividing the genome, and one block for all: the
    counts are the same, and records join through an N so no k-mer spans two."""
    rng = np.random.default_rng(5)
    first = "".join(rng.choice(list(BASES), 61)) + "NN" + "".join(rng.choice(list(BASES), 30))
    second = "".join(rng.choice(list(BASES), 23))
    path = tmp_path / "g.fa"
    path.write_text(f">one\n{first[:40]}\n{first[40:]}\n>two\n{second}\n")
    monkeypatch.setattr(genomes, "COUNT_BLOCK", block)
    source = SimpleNamespace(name=f"g{block}", path=str(path), sha256=None)
    tables = genomes.markov_tables(source, 3)
    expected = _by_hand(first + "N" + second, 3)
    assert len(tables) == 4
    for m, (got, want) in enumerate(zip(tables, expected)):
        np.testing.assert_array_equal(got, want, err_msg=f"order {m}")
