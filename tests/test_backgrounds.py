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


# ---- a user's genome: genome(file=...), markov(k, file=...) -------------------------------
def _user_genome(directory, gz: bool = True, seed: int = 1, length: int = 20_000) -> str:
    import gzip
    import random

    rnd = random.Random(seed)
    text = "".join(rnd.choice("AACGTT") for _ in range(length))
    body = ">chrT test region\n" + "\n".join(text[i:i + 60] for i in range(0, len(text), 60)) + "\n"
    (directory / "data").mkdir(exist_ok=True)
    if gz:
        with gzip.open(directory / "data" / "region.fa.gz", "wt") as handle:
            handle.write(body)
    else:
        (directory / "data" / "region.fa").write_text(body)
    return text


def _compile(directory, body: str):
    from mitspec.plan.compile import compile_program
    from mitspec.spec.check import load

    spec = directory / "g.mit"
    spec.write_text('benchmark "g" seed 3 length 100\n' + body)
    program = load(spec)
    return program, compile_program(program)


def test_user_genome_windows_and_the_gap_sweep_takes_the_genome_continuation(tmp_path):
    text = _user_genome(tmp_path)
    program, built = _compile(tmp_path, 'background yeast = genome(file="data/region.fa.gz", strands="forward")\n'
                                        'class S n=30 on yeast { place "TATAAA" at 20 as a  place "ATG" at 50 as b\n'
                                        '  sweep gap(a, b) over [24, 30, 20] }\n')
    assert program.inputs[0]["kind"] == "genome" and program.classes[0].background.reserve == 6
    base, longer, shorter = (decode_rows(built[f"S[{k}]"].codes) for k in (24, 30, 20))
    for b, x, s in zip(base, longer, shorter):
        window = b[53:]  # a stretch of the genome the edits did not touch
        start = text.find(window) - 53
        assert start >= 0 and text[start:start + 20] == b[:20]
        continuation = text[start + 100:start + 106]
        assert x[:50] == b[:50] and x[50:56] == continuation and x[56:59] == "ATG"  # 6 bp inserted
        assert s[:46] == b[:46] and s[46:49] == "ATG" and s[96:] == continuation[:4]  # 4 deleted, 4 refilled


def test_user_genome_markov_and_plain_fasta(tmp_path):
    _user_genome(tmp_path, gz=False)
    program, built = _compile(tmp_path, 'background mk = markov(2, file="data/region.fa")\nclass M n=500 on mk { }\n')
    at = np.isin(built["M"].codes, (0, 3)).mean()
    assert abs(at - 4 / 6) < 0.02  # the file's composition: A and T drawn 2 of 6 times each


def test_user_genome_errors_and_a_changed_file(tmp_path):
    from mitspec.plan.build import build

    _user_genome(tmp_path)
    (tmp_path / "data" / "notfasta.txt").write_text("ACGT\n")
    for body, message in (('genome(file="data/missing.fa")', 'cannot read "data/missing.fa"'),
                          ('genome(file="data/notfasta.txt")', "is not FASTA"),
                          ('genome(file="/etc/hostname")', "lies outside the data directory"),
                          ('genome("ecoli_mg1655", file="data/region.fa.gz")', "genome() takes 0 arguments")):
        with pytest.raises(SpecErrors) as info:
            _compile(tmp_path, f"background b = {body}\nclass C n=1 on b {{ }}\n")
        assert any(message in e.message for e in info.value.errors), [e.message for e in info.value.errors]
    spec = tmp_path / "g.mit"
    spec.write_text('benchmark "g" seed 3 length 100\nbackground b = genome(file="data/region.fa.gz")\n'
                    'class C n=3 on b { }\n')
    first = build(spec, tmp_path / "plan")
    assert first.fresh and not build(spec, tmp_path / "plan").fresh
    _user_genome(tmp_path, seed=2)  # the spec is the same text, its genome is not: the plan is stale
    second = build(spec, tmp_path / "plan")
    assert second.fresh and second.meta["sequences"]["content_sha256"] != first.meta["sequences"]["content_sha256"]
    (tmp_path / "data" / "region.fa.gz").unlink()
    with pytest.raises(SpecErrors, match='cannot read "data/region.fa.gz"'):
        build(spec, tmp_path / "plan")


def test_an_independent_class_refills_its_parents_edits_from_its_own_background():
    """Before: a class re-running a genome-background parent's deletion on an iid background
    looked for genome bases that its own windows never drew."""
    program = check_source('benchmark "x" seed 1 length 80\nbackground g = genome("ecoli_mg1655")\n'
                           'background b = iid(at=1.0)\n'
                           'class P n=5 on g { place "ACGTAC" at 40 as e  delete 10..20 }\n'
                           'class Q n=5 from P independent on b { }\n'
                           'class R n=5 from Q independent on g { erase e }\n')
    reserves = {c.name: getattr(c.background, "reserve", None) for c in program.classes}
    assert reserves == {"P": 10, "Q": None, "R": 16}  # R: the deletion's 10 bases, then the erased 6
    built = compile_program(program)
    q = decode_rows(built["Q"].codes)
    assert all(set(r[:30] + r[36:70]) <= {"A", "T"} and r[30:36] == "ACGTAC" for r in q)  # refill is Q's own AT-only
    assert all(set(r[70:]) <= {"A", "T"} for r in q)


# ---- first-order chains from parameters -------------------------------------------------
def _chain_codes(expr: str, n: int = 3000, length: int = 200):
    program = check_source(f'benchmark "c" seed 11 length {length}\nbackground bg = {expr}\n'
                           f'class A "a" n={n} on bg {{ }}\n')
    return program.classes[0].background, compile_program(program)["A"].codes


@pytest.mark.parametrize("gc,ratio", [(0.6, 0.3), (0.42, 0.2), (0.65, 1.4), (0.5, 1.0), (0.4, 0.0)])
def test_a_cpg_target_chain_has_the_composition_and_cpg_ratio_asked(gc, ratio):
    """markov(gc=G, cpg=R): GC fraction G and CpG observed/expected R (CG count over
    p(C) p(G) x pairs). 600,000 bases: the sampling error of either is far below 0.02 / 0.05."""
    bg, codes = _chain_codes(f"markov(gc={gc}, cpg={ratio})")
    matrix = np.array(bg.transitions)
    assert np.allclose(matrix.sum(axis=1), 1) and (matrix >= 0).all()
    assert np.allclose(np.array(bg.initial) @ matrix, bg.initial)  # the composition is stationary
    assert abs(np.isin(codes, (1, 2)).mean() - gc) < 0.02
    cg = ((codes[:, :-1] == 1) & (codes[:, 1:] == 2)).mean()
    assert abs(cg / ((codes == 1).mean() * (codes == 2).mean()) - ratio) < 0.05
    assert abs(np.isin(codes[:, 0], (1, 2)).mean() - gc) < 0.04  # the first base too: no warm-up drift


def test_a_chain_from_transitions_starts_in_its_stationary_composition():
    """The first base comes from the stationary distribution, checked against numpy's left
    eigenvector of eigenvalue 1; transitions are the matrix given (counted, 600k pairs)."""
    rows = [[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.4, 0.3, 0.2, 0.1], [0.5, 0.1, 0.1, 0.3]]
    bg, codes = _chain_codes(f"markov(transitions={rows})")
    values, vectors = np.linalg.eig(np.array(rows).T)
    pi = np.real(vectors[:, np.argmin(abs(values - 1))])
    assert np.allclose(bg.initial, pi / pi.sum(), atol=1e-9)
    counts = np.zeros((4, 4))
    np.add.at(counts, (codes[:, :-1].ravel(), codes[:, 1:].ravel()), 1)
    assert np.abs(counts / counts.sum(axis=1, keepdims=True) - np.array(rows)).max() < 0.01


def test_an_edit_on_a_chain_background_continues_the_chain():
    """`erase` on a markov(gc, cpg) class draws fresh bases from the same chain: a CpG-free
    chain gives CpG-free refills."""
    program = check_source('benchmark "c" seed 2 length 60\nbackground bg = markov(gc=0.5, cpg=0)\n'
                           'class A "a" n=400 on bg { place "ACGTACGTAC" at 20 as e }\nclass B "b" n=400 from A { erase e }\n')
    codes = compile_program(program)["B"].codes
    refill = codes[:, 19:30]  # the refill and the base before it (its end meets the old base at 30)
    assert not ((refill[:, :-1] == 1) & (refill[:, 1:] == 2)).any()


@pytest.mark.parametrize("expr,message", [
    ("iid(cpg=0.2)", "iid() draws every base independently, so it takes no `cpg`"),
    ("markov(gc=0.6)", "takes `gc=` (or `at=`) and `cpg=`"),
    ("markov(gc=0.8, cpg=3)", "no first-order chain has GC 0.8 and a CpG ratio of 3"),
    ("markov(gc=1, cpg=1)", "no first-order chain"),
    ("markov(gc=0.5, cpg=0.5, order=2)", "has no argument `order`"),
    ("markov(transitions=[[1, 0, 0, 0]])", "a list of four rows"),
    ("markov(transitions=[[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0], [1, 0, 0, 0]])", "the row from G needs four"),
    ("markov(transitions=[[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0.5, 0, 0, 0]])", "the row from T sums to 0.5"),
    ("markov(transitions=[[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]], gc=0.5)", "not both"),
])
def test_chain_parameter_mistakes_are_diagnostics(expr, message):
    with pytest.raises(SpecErrors) as info:
        check_source(f'benchmark "c" length 20\nbackground bg = {expr}\nclass A "a" n=1 on bg {{ }}\n')
    assert any(message in e.message for e in info.value.errors), [e.message for e in info.value.errors]
