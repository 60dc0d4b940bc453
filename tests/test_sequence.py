"""Sequence codes and edits (property tests)."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mitspec import rng
from mitspec.sequence import at_fraction, decode, decode_rows, encode, reverse_complement, revcomp_text, shuffle_rows

dna = st.text(alphabet="ACGT", min_size=1, max_size=200)


@given(dna)
def test_encode_decode_round_trip(text):
    assert decode(encode(text)) == text
    assert decode(encode(text.lower())) == text


@given(dna)
def test_reverse_complement_is_an_involution_and_matches_the_definition(text):
    pairs = {"A": "T", "C": "G", "G": "C", "T": "A"}
    assert revcomp_text(text) == "".join(pairs[b] for b in reversed(text))
    assert revcomp_text(revcomp_text(text)) == text


def test_reverse_complement_by_hand():
    assert revcomp_text("TTGACA") == "TGTCAA"  # -35 consensus, reverse strand


def test_encode_rejects_non_nucleotides():
    try:
        encode("ACGU")
    except ValueError as exc:
        assert "'U'" in str(exc)
    else:
        raise AssertionError


@given(st.lists(dna.filter(lambda s: len(s) >= 2), min_size=1, max_size=8).filter(lambda xs: len({len(x) for x in xs}) == 1),
       st.integers(0, 2**63 - 1))
def test_shuffle_keeps_each_rows_composition(rows, seed):
    codes = np.stack([encode(r) for r in rows])
    out = shuffle_rows(codes, rng.stream_key(seed), np.arange(len(rows), dtype=np.uint64))
    for before, after in zip(codes, out):
        assert np.array_equal(np.bincount(before, minlength=5), np.bincount(after, minlength=5))


def test_shuffle_of_one_row_does_not_depend_on_its_batch():
    codes = np.stack([encode("AACCGGTTAC")] * 6)
    key = rng.stream_key("k")
    full = shuffle_rows(codes, key, np.arange(6, dtype=np.uint64))
    alone = shuffle_rows(codes[4:5], key, np.array([4], dtype=np.uint64))
    assert np.array_equal(full[4], alone[0])


def test_shuffle_is_uniform_over_permutations():
    # 3 distinct bases have 3! = 6 orders; 60,000 shuffles -> 10,000 expected each.
    # Chi-square with 5 df: P(X > 30) ~ 1.5e-5, so a fair shuffle essentially never fails.
    n = 60_000
    codes = np.tile(encode("ACG"), (n, 1))
    out = shuffle_rows(codes, rng.stream_key("uniform"), np.arange(n, dtype=np.uint64))
    _, counts = np.unique(decode_rows(out), return_counts=True)
    assert len(counts) == 6
    chi2 = ((counts - n / 6) ** 2 / (n / 6)).sum()
    assert chi2 < 30


def test_at_fraction_by_hand():
    assert at_fraction(np.stack([encode("AATTGC"), encode("GGGGCC")])).tolist() == [4 / 6, 0.0]
    assert np.array_equal(reverse_complement(encode("AC")), encode("GT"))


@given(st.lists(dna.filter(lambda s: len(s) >= 2), min_size=1, max_size=8).filter(lambda xs: len({len(x) for x in xs}) == 1),
       st.integers(0, 2**63 - 1))
def test_distinct_shuffle_keeps_composition_and_always_changes_the_sequence(rows, seed):
    from mitspec.sequence import shuffle_distinct

    codes = np.stack([encode(r) for r in rows])
    out = shuffle_distinct(codes, rng.stream_key(seed), np.arange(len(rows), dtype=np.uint64))
    for before, after in zip(codes, out):
        assert np.array_equal(np.bincount(before, minlength=5), np.bincount(after, minlength=5))
        if len(set(before.tolist())) > 1:
            assert not np.array_equal(before, after)
        else:
            assert np.array_equal(before, after)  # a homopolymer cannot change


def test_distinct_shuffle_is_uniform_over_the_changed_orders():
    # TGT has 3 orders (TGT, TTG, GTT); excluding the original leaves 2, expected 1/2 each.
    # 20,000 draws: SD of a proportion 0.0035, so |p - 0.5| < 0.02 is over 5 SD.
    from mitspec.sequence import shuffle_distinct

    n = 20_000
    out = shuffle_distinct(np.tile(encode("TGT"), (n, 1)), rng.stream_key("d"), np.arange(n, dtype=np.uint64))
    values, counts = np.unique(decode_rows(out), return_counts=True)
    assert values.tolist() == ["GTT", "TTG"] and abs(counts[0] / n - 0.5) < 0.02


@given(st.lists(dna.filter(lambda s: len(s) >= 3), min_size=1, max_size=6).filter(lambda xs: len({len(x) for x in xs}) == 1),
       st.integers(0, 2**63 - 1))
def test_dinucleotide_shuffle_keeps_every_dinucleotide_count(rows, seed):
    from mitspec.sequence import dinucleotide_counts, shuffle_dinucleotide

    codes = np.stack([encode(r) for r in rows])
    out = shuffle_dinucleotide(codes, rng.stream_key(seed), np.arange(len(rows), dtype=np.uint64))
    assert np.array_equal(dinucleotide_counts(codes), dinucleotide_counts(out))
    assert np.array_equal(out[:, 0], codes[:, 0]) and np.array_equal(out[:, -1], codes[:, -1])


def test_dinucleotide_shuffle_is_uniform_over_valid_sequences():
    """Every sequence with AACAGCAC's dinucleotide counts (found by brute force over its
    distinct orderings) must come up equally often. 12,000 draws over k outcomes:
    chi-square with k - 1 df; the bound 40 is beyond the 0.9999 quantile for k <= 12."""
    import itertools

    from mitspec.sequence import dinucleotide_counts, shuffle_dinucleotide

    source = "AACAGCAC"
    target = dinucleotide_counts(encode(source)[None])[0]
    valid = sorted({"".join(p) for p in itertools.permutations(source)
                    if p[0] == source[0] and np.array_equal(dinucleotide_counts(encode("".join(p))[None])[0], target)})
    assert 3 <= len(valid) <= 12
    n = 12_000
    out = decode_rows(shuffle_dinucleotide(np.tile(encode(source), (n, 1)), rng.stream_key("u"),
                                           np.arange(n, dtype=np.uint64)))
    values, counts = np.unique(out, return_counts=True)
    assert values.tolist() == valid
    chi2 = ((counts - n / len(valid)) ** 2 / (n / len(valid))).sum()
    assert chi2 < 40
