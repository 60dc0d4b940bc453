"""Matrix motifs: pwm("file") in every format Bio.motifs reads, jaspar("ID") offline,
min_score, consensus(), and sampling that follows the matrix."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mitspec.plan.compile import compile_program
from mitspec.pwm import (
    UNIFORM_SHARE,
    PwmError,
    acceptance,
    best_score,
    consensus,
    log_odds,
    probabilities,
    read_pwm,
)
from mitspec.sequence import decode_rows
from mitspec.spec.check import check, check_source
from mitspec.spec.errors import SpecErrors
from mitspec.spec.parser import parse

from .conftest import ROOT

# one GATA-like matrix written in four formats (counts out of 10; MEME as probabilities)
COUNTS = [[1, 1, 7, 1], [8, 1, 0, 1], [0, 1, 1, 8]]
FILES = {
    "g.jaspar": ">MA9999.1 GATA\nA [ 1 8 0 ]\nC [ 1 1 1 ]\nG [ 7 0 1 ]\nT [ 1 1 8 ]\n",
    "g.pfm": "1 8 0\n1 1 1\n7 0 1\n1 1 8\n",
    "g.transfac": "ID  GATA\nP0      A      C      G      T\n01      1      1      7      1\n"
                  "02      8      1      0      1\n03      0      1      1      8\nXX\n//\n",
    "g.meme": "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\n"
              "A 0.25 C 0.25 G 0.25 T 0.25\n\nMOTIF GATA\nletter-probability matrix: alength= 4 w= 3 nsites= 10 E= 0\n"
              " 0.1 0.1 0.7 0.1\n 0.8 0.1 0.0 0.1\n 0.0 0.1 0.1 0.8\n\n",
}


@pytest.fixture
def matrices(tmp_path):
    (tmp_path / "motifs").mkdir()
    for name, text in FILES.items():
        (tmp_path / "motifs" / name).write_text(text)
    return tmp_path


def _check(directory, body: str, data_dir=None):
    spec = directory / "s.mit"
    spec.write_text('benchmark "pwm" seed 4 length 60\nbackground bg = iid(at=0.5)\n' + body)
    return check(parse(spec.read_text(), str(spec)), data_dir=data_dir)


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_format_reads_to_the_same_probabilities(matrices, name):
    counts = read_pwm(matrices / "motifs" / name)
    freqs = np.array(COUNTS) / 10
    # the documented pseudocount: 0.99 x frequencies + 0.01 x 1/4
    assert np.allclose(probabilities(counts), (1 - UNIFORM_SHARE) * freqs + UNIFORM_SHARE / 4)


def test_sampled_sites_follow_the_matrix_and_the_plan_records_the_file(matrices):
    program = _check(matrices, 'motif gata = pwm("motifs/g.jaspar")\nclass G n=20000 on bg { place gata at 10 }\n')
    codes = compile_program(program)["G"].codes[:, 10:13]
    freqs = np.stack([np.bincount(codes[:, j], minlength=4) / len(codes) for j in range(3)])
    expected = np.array(probabilities(np.array(COUNTS, dtype=float)))
    # 20,000 draws: the standard error of a frequency is at most 0.0035; 5 of them is 0.018
    assert np.abs(freqs - expected).max() < 0.018
    (record,) = program.inputs
    assert record["kind"] == "pwm" and record["path"] == "motifs/g.jaspar" and len(record["sha256"]) == 64


def test_min_score_keeps_only_sites_above_the_threshold(matrices):
    program = _check(matrices, 'motif gata = pwm("motifs/g.pfm", min_score=3.5)\nclass G n=2000 on bg { place gata at 10 }\n')
    codes = compile_program(program)["G"].codes[:, 10:13]
    odds = log_odds(program.classes[0].steps[0].op.motif.probs)
    scores = odds[np.arange(3), codes].sum(axis=1)
    assert scores.min() >= 3.5
    # the exact acceptance of this threshold, by enumerating all 64 sites, matches the grid's lower bound
    probs = np.array(probabilities(np.array(COUNTS, dtype=float)))
    sites = np.array(np.meshgrid(range(4), range(4), range(4), indexing="ij")).reshape(3, -1).T
    p_site = probs[np.arange(3), sites].prod(axis=1)
    exact = p_site[odds[np.arange(3), sites].sum(axis=1) >= 3.5].sum()
    assert exact - 0.02 <= acceptance(probs, 3.5) <= exact + 1e-12


def test_max_score_keeps_weak_sites_only(matrices):
    """Weak sites (issue 28): every drawn site scores within [min_score, max_score], where
    unbounded draws from the same matrix score above it."""
    program = _check(matrices, 'motif weak = pwm("motifs/g.pfm", min_score=0, max_score=3)\n'
                               'class G n=2000 on bg { place weak at 10 }\n')
    codes = compile_program(program)["G"].codes[:, 10:13]
    odds = log_odds(program.classes[0].steps[0].op.motif.probs)
    scores = odds[np.arange(3), codes].sum(axis=1)
    assert scores.min() >= 0 and scores.max() <= 3 + 1e-9 and len(np.unique(scores.round(6))) >= 2
    free = _check(matrices, 'motif g = pwm("motifs/g.pfm")\nclass G n=2000 on bg { place g at 10 }\n')
    unbounded = odds[np.arange(3), compile_program(free)["G"].codes[:, 10:13]].sum(axis=1)
    assert unbounded.max() > 3
    for body, message in (('min_score=3, max_score=1', "max_score=1 is below min_score=3"),
                          ('min_score=0.1, max_score=1', "of sites drawn from this matrix score within min_score=0.1, max_score=1"),
                          ('max_score="x"', "`max_score` is a number")):
        with pytest.raises(SpecErrors) as info:
            _check(matrices, f'motif g = pwm("motifs/g.pfm", {body})\nclass G n=1 on bg {{ }}\n')
        assert any(message in e.message for e in info.value.errors), [e.message for e in info.value.errors]


def test_consensus_and_threshold_errors(matrices):
    program = _check(matrices, 'motif gata = pwm("motifs/g.meme")\nmotif best = consensus(gata)\n'
                               'class G n=3 on bg { place best at 10 }\n')
    assert decode_rows(compile_program(program)["G"].codes[:, 10:13]) == ["GAT"] * 3
    best = best_score(probabilities(np.array(COUNTS, dtype=float)))
    for body, message in (
            ('motif g = pwm("motifs/g.jaspar", min_score=9)\n', f"above the best site's score ({best:.2f})"),
            ('motif g = pwm("motifs/nope.jaspar")\n', 'cannot read "motifs/nope.jaspar"'),
            ('motif g = pwm("motifs/g.unknown")\n', "cannot tell the matrix format"),
            ('motif g = pwm("../outside.jaspar")\n', "lies outside the data directory"),
            ('motif g = consensus("ACGT")\n', "consensus() takes a matrix motif")):
        (matrices / "motifs" / "g.unknown").write_text("x")
        with pytest.raises(SpecErrors) as info:
            _check(matrices, body + "class G n=1 on bg { }\n")
        assert any(message in e.message for e in info.value.errors), [e.message for e in info.value.errors]


def test_data_dir_widens_where_files_may_come_from(matrices):
    (matrices / "shared.jaspar").write_text(FILES["g.jaspar"])
    inner = matrices / "specs"
    inner.mkdir()
    with pytest.raises(SpecErrors, match="outside the data directory"):
        _check(inner, 'motif g = pwm("../shared.jaspar")\nclass G n=1 on bg { place g at 1 }\n')
    program = _check(inner, 'motif g = pwm("../shared.jaspar")\nclass G n=1 on bg { place g at 1 }\n',
                     data_dir=str(matrices))
    assert program.inputs[0]["path"] == "../shared.jaspar"


def test_jaspar_offline_matches_the_matrix_shipped_with_the_ctcf_spec():
    pytest.importorskip("pyjaspar")
    program = check_source('benchmark "j" length 40\nbackground bg = uniform()\nmotif ctcf = jaspar("MA0139")\n'
                           'class C n=1 on bg { place ctcf at 5 }\n')
    motif = program.classes[0].steps[0].op.motif
    shipped = probabilities(read_pwm(ROOT / "specs" / "motifs" / "MA0139.2.jaspar"))
    assert motif.name == "MA0139.2" and motif.probs == shipped
    assert program.inputs == ({"kind": "jaspar", "id": "MA0139.2", "release": "JASPAR2026", "name": "CTCF"},)
    # the most frequent base of each column, read by hand off the counts in MA0139.2.jaspar
    # (column 1: A 281, C 49, G 449, T 134 -> G; column 6: C 433 beats T 324; ...)
    assert consensus(shipped) == "GCCACCAGGGGGCGC"
    with pytest.raises(SpecErrors, match="has no matrix MA9999999"):
        check_source('benchmark "j" length 40\nmotif m = jaspar("MA9999999")\n')


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(FILES)), st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 3),
                                                          st.sampled_from(list(" \n\t[]>ACGT0123456789.-eE:/=#\x00é"))),
                                                min_size=1, max_size=6))
def test_a_mangled_matrix_file_is_a_diagnostic_or_a_matrix(tmp_path_factory, name, edits):
    """Bio.motifs' parsers raise bare Exception (and UnboundLocalError) on some malformed
    files; read_pwm turns every failure into a PwmError."""
    text = list(FILES[name])
    for where, op, char in edits:
        k = int(where * len(text))
        if op == 0 and text:
            del text[min(k, len(text) - 1)]
        elif op == 1:
            text.insert(k, char)
        elif text:
            text[min(k, len(text) - 1)] = char
    path = tmp_path_factory.mktemp("m") / name
    path.write_text("".join(text))
    try:
        counts = read_pwm(path)
    except PwmError:
        return
    probs = probabilities(counts)
    assert np.isfinite(log_odds(probs)).all() and 0 <= acceptance(probs, best_score(probs) - 1) <= 1


@pytest.mark.parametrize("text, said", [
    ("1e308 8 0\n1 1 1\n7 0 1\n1 1 8\n", "is not a count of binding sites"),  # stored a column of [0.0025] x 4
    ("1 8 0\n1 1 1\n7 0 1\n1 1 8\n5 5 5\n", "has 5 rows of counts; a .pfm matrix has 4"),  # the 5th row was dropped
])
def test_matrices_that_cannot_be_counts_are_refused(tmp_path, text, said):
    (tmp_path / "m.pfm").write_text(text)
    with pytest.raises(PwmError, match=said):
        read_pwm(tmp_path / "m.pfm")


def test_an_unknown_jaspar_id_is_one_sentence_without_a_library_warning(tmp_path, capfd):
    pytest.importorskip("pyjaspar")
    with pytest.raises(SpecErrors, match="has no matrix SP1"):
        _check(tmp_path, 'motif m = jaspar("SP1")\nclass A n=2 on bg { place m at 2 }\n')
    assert "Warning" not in capfd.readouterr().err
