"""Natural backgrounds: genome windows and Markov-chain sequences."""
import numpy as np
import pytest

from mitspec.genomes import load_genome
from mitspec.plan.backgrounds import BackgroundError, genome_windows, markov_sequences
from mitspec.plan.compile import compile_program
from mitspec.rng import stream_key
from mitspec.sequence import at_fraction, decode_rows, revcomp_text
from mitspec.spec import program as ir
from mitspec.spec.check import check_source
from mitspec.spec.errors import SpecErrors


@pytest.fixture(scope="module")
def genome_text():
    return "".join("ACGTN"[c] for c in load_genome("ecoli_mg1655"))


def test_windows_are_real_genome_windows_on_either_strand(genome_text):
    bg = ir.GenomeBackground("ecoli_mg1655", 0.55, 0.65, "both")
    rows = np.arange(40, dtype=np.uint64)
    windows = decode_rows(genome_windows(bg, stream_key("w"), rows, 100))
    strands = []
    for w in windows:
        assert 0.55 <= sum(b in "AT" for b in w) / 100 <= 0.65 and "N" not in w
        forward, reverse = w in genome_text, revcomp_text(w) in genome_text
        assert forward or reverse
        strands.append(forward)
    assert 0 < sum(strands) < len(strands)  # both strands occur (P(all one strand) = 2^-39)


def test_windows_do_not_depend_on_which_other_instances_are_drawn():
    bg = ir.GenomeBackground("ecoli_mg1655", 0.5, 0.6)
    key = stream_key("order")
    everything = genome_windows(bg, key, np.arange(30, dtype=np.uint64), 80)
    some = genome_windows(bg, key, np.array([17, 3], dtype=np.uint64), 80)
    assert np.array_equal(everything[[17, 3]], some)


def test_forward_only_and_impossible_ranges():
    fwd = genome_windows(ir.GenomeBackground("ecoli_mg1655", 0, 1, "forward"), stream_key("f"),
                         np.arange(5, dtype=np.uint64), 50)
    text = "".join("ACGTN"[c] for c in load_genome("ecoli_mg1655"))
    assert all(w in text for w in decode_rows(fwd))
    with pytest.raises(BackgroundError, match="widen the AT range"):
        genome_windows(ir.GenomeBackground("ecoli_mg1655", 1.0, 1.0), stream_key("x"), np.arange(2, dtype=np.uint64), 200)


def test_markov_background_follows_the_genome_composition():
    # order 0 draws bases with the genome's (both-strand) frequencies: A = T, C = G, GC 0.5079.
    # 200 x 500 bases: SD of the GC fraction ~0.0016, so 0.01 is over 6 SD.
    seqs = markov_sequences(ir.MarkovBackground(0, "ecoli_mg1655"), stream_key("m"), np.arange(200, dtype=np.uint64), 500)
    gc = ((seqs == 1) | (seqs == 2)).mean()
    assert abs(gc - 0.5079) < 0.01
    order5 = markov_sequences(ir.MarkovBackground(5, "ecoli_mg1655"), stream_key("m"), np.arange(200, dtype=np.uint64), 500)
    assert abs(1 - at_fraction(order5).mean() - 0.5079) < 0.01


def test_genome_background_through_the_language():
    src = ('benchmark "t" seed 1 length 60\nbackground g = genome("ecoli_mg1655", at=[0.4, 0.5], strands="forward")\n'
           'class A n=20 on g { place "TATAAT" at 30 }\n')
    codes = compile_program(check_source(src))["A"].codes
    assert codes.shape == (20, 60) and decode_rows(codes[:, 30:36]) == ["TATAAT"] * 20


@pytest.mark.parametrize("call,message", [
    ('genome("ecoli_k12")', "no bundled genome `ecoli_k12`"),
    ('genome("ecoli_mg1655", at=[0.7, 0.4])', "the AT range [0.7, 0.4] is empty"),
    ('genome("ecoli_mg1655", strands="reverse")', '`strands` is "both" or "forward"'),
    ('markov(12, "ecoli_mg1655")', "the Markov order must be an integer from 0 to 8"),
    ('markov(5)', "markov() takes 2 arguments, got 1"),
])
def test_background_errors(call, message):
    with pytest.raises(SpecErrors) as info:
        check_source(f'benchmark "t" length 50\nbackground b = {call}\n')
    assert any(message in e.message for e in info.value.errors), [e.message for e in info.value.errors]
