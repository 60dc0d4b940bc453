"""Baseline scorers against values derived by hand (derivations in the comments), and the
published sanity anchors on the canonical benchmark."""
import math
import re

import numpy as np
import polars as pl
import pytest

from mitspec.planview import PlanView
from mitspec.genomes import load_genome
from mitspec.models.baselines import BASELINES
from mitspec.models.baselines.sigma70 import Layout
from mitspec.models.baselines.sigma70 import PAPWM, RPAPWM, PAPWMNoComp, PAPWMNoPos, Scan
from mitspec.models.baselines.statistical import ATContent, Kmer6, Markov, Random
from mitspec.models.baselines.thermo import Thermo
from mitspec.models.registry import available, resolve
from mitspec.sequence import revcomp_text

from .conftest import SPECS


def construct(length=100, background="G", **elements):
    """A sequence of one repeated base with elements written at given starts."""
    seq = list(background * length)
    for start, motif in elements.values():
        seq[start:start + len(motif)] = motif
    return "".join(seq)


# Canonical C-like: TTGACA at 30, TATAAT at 53, on an all-G background.
C_LIKE = construct(m35=(30, "TTGACA"), m10=(53, "TATAAT"))
# E-like: broken -10 TGTAAT, UP AAAAAAGAG at 15, TGT at 50.
E_LIKE = construct(up=(15, "AAAAAAGAG"), m35=(30, "TTGACA"), ext=(50, "TGT"), m10=(53, "TGTAAT"))


def test_pa_pwm_by_hand():
    # C-like: PWM35(TTGACA) = 6 x 1.5 = 9.0; PWM10(TATAAT) = 1.5 + 2 + 1.5 + 1.5 + 1.5 + 1.5 = 9.5;
    # UP window GGGGGGGGG = 5 x (-1) - 0.5 + 0.5 - 0.5 + 0.5 = -5.0, times 0.5 = -2.5;
    # ext window GGG = -1.5 + 1.5 + 0.3 = 0.3, not > 1, so 0; spacing 53 - 36 = 17, so 0.
    # Total 9 + 9.5 - 2.5 = 16.0.
    # E-like: PWM10(TGTAAT) = 1.5 - 2.5 + 1.5 + 1.5 + 1.5 + 1.5 = 5.0; UP AAAAAAGAG =
    # 5 x 1 + 0.5 + 0.5 + 0.5 + 0.5 = 7.0 -> 3.5; ext TGT = 1.5 + 1.5 + 0.3 = 3.3 > 1 and
    # PWM10 = 5.0 is not < 5 -> 0.5 x 3.3 = 1.65. Total 9 + 5 + 3.5 + 1.65 = 19.15.
    np.testing.assert_allclose(PAPWM().score([C_LIKE, E_LIKE]).score, [16.0, 19.15])
    # NoComp drops UP and ext: C-like 9 + 9.5 = 18.5, E-like 9 + 5 = 14.0
    np.testing.assert_allclose(PAPWMNoComp().score([C_LIKE, E_LIKE]).score, [18.5, 14.0])


def test_pa_pwm_weak_ten_doubles_ext_credit():
    # -10 TGTAAC: 1.5 - 2.5 + 1.5 + 1.5 + 1.5 - 1.5 = 2.0 < 5, so ext = 1.5 x 3.3 = 4.95.
    # Total 9 + 2 + 0.5 x (-5) + 4.95 = 13.45 (UP window all G as above).
    seq = construct(m35=(30, "TTGACA"), ext=(50, "TGT"), m10=(53, "TGTAAC"))
    np.testing.assert_allclose(PAPWM().score([seq]).score, [13.45])


def test_pa_pwm_reads_positions_from_the_plan_layout():
    # The same elements shifted 10 bp left, with a plan layout saying so, score as before;
    # a spacing of 16 costs 0.5.
    shifted = C_LIKE[10:] + "G" * 10
    meta = {"layouts": {"L": {"minus35": {"start": 20, "end": 26}, "minus10": {"start": 43, "end": 49}}}}
    assert PAPWM().for_plan(PlanView.from_meta(meta)).layout == Layout(20, 43, 5, 40)
    np.testing.assert_allclose(PAPWM().for_plan(PlanView.from_meta(meta)).score([shifted]).score, [16.0])
    meta16 = {"layouts": {"L": {"minus35": {"start": 30, "end": 36}, "minus10": {"start": 52, "end": 58}}}}
    seq16 = construct(m35=(30, "TTGACA"), m10=(52, "TATAAT"))
    np.testing.assert_allclose(PAPWM().for_plan(PlanView.from_meta(meta16)).score([seq16]).score, [16.0 - 0.5])
    assert PAPWM().for_plan(PlanView.from_meta({})).layout == Layout()  # no layout in the plan: canonical positions


def test_pa_pwm_nopos_by_hand():
    # "TTGACATATAAT": best -35 = 9.0 (at 0), best -10 = 9.5 (at 6).
    # UP windows: TTGACATAT 0.0, TGACATATA 2.5, GACATATAA 1.5, ACATATAAT 3.5 -> 0.5 x 3.5 = 1.75.
    # ext windows: best TGA = 1.5 + 1.5 + 0.3 = 3.3 > 1, best -10 9.5 >= 5 -> 0.5 x 3.3 = 1.65.
    np.testing.assert_allclose(PAPWMNoPos().score(["TTGACATATAAT"]).score, [9 + 9.5 + 1.75 + 1.65])


def test_rpa_pwm_by_hand():
    # forward: 9 + 9.5 at spacing 17 (no penalty) + 0.5 forward bonus = 19.0; no UP window of
    # the G background is 70% AT and GGG is no extended -10.
    up = construct(up=(15, "AAAAAAAAA"), m35=(30, "TTGACA"), m10=(53, "TATAAT"))
    ext = construct(m35=(30, "TTGACA"), ext=(50, "TGT"), m10=(53, "TATAAT"))
    half = construct(m35=(30, "TTGACA"), ext=(50, "TAT"), m10=(53, "TATAAT"))
    s16 = construct(m35=(30, "TTGACA"), m10=(52, "TATAAT"))
    scores = RPAPWM().score([C_LIKE, up, ext, half, s16, revcomp_text(C_LIKE)]).score
    # UP AAAAAAAAA (15..24, within 20 bp upstream of 30) = 5 + 4 x 0.5 = 7.0 -> +3.5;
    # TGT right before the -10: +1.5; TAT (TnT): +0.75; spacing 16: -0.5;
    # the reverse complement finds the same promoter on its reverse strand: no bonus, 18.5.
    np.testing.assert_allclose(scores, [19.0, 22.5, 20.5, 19.75, 18.5, 18.5])


def _thermo_by_loops(seq: str) -> float:
    """The documented model, one placement at a time in plain Python."""
    from mitspec.models.baselines.sigma70 import PWM10, PWM35

    def pwm(m, s):
        return sum(m[k, "ACGT".index(b)] for k, b in enumerate(s))

    energies = {15: 2.0, 16: 1.0, 17: 0.0, 18: 1.0, 19: 2.0}
    weights = []
    for spacing, e_sp in energies.items():
        for i in range(0, len(seq) - (12 + spacing) + 1):
            j = i + 6 + spacing
            box10 = pwm(PWM10, seq[j:j + 6])
            upstream = seq[max(0, i - 20):i]
            at = sum(b in "AT" for b in upstream) / max(len(upstream), 1) if i > 0 else 0.0
            dg = -pwm(PWM35, seq[i:i + 6]) - box10 + e_sp - 3.0 * max(0.0, at - 0.5)
            if j >= 3 and seq[j - 3] == "T" and seq[j - 2] == "G":
                dg -= 2.0 if box10 < 5 else 1.0
            weights.append(math.exp(-dg))
    x = -10.0 + math.log(sum(weights))
    return x - math.log1p(math.exp(x))


def test_thermo_matches_its_definition():
    # For C_LIKE one placement dominates: dG = -(9 + 9.5) = -18.5, so log P(bound) is close
    # to -log(1 + exp(-(18.5 - 10))) = -log(1 + e^-8.5) = -2.03e-4; the loop sums them all.
    seqs = [C_LIKE, E_LIKE, construct(background="A"), "ACGT" * 25]
    expected = [_thermo_by_loops(s) for s in seqs]
    assert abs(expected[0] - (-math.log1p(math.exp(-8.5)))) < 1e-6
    np.testing.assert_allclose(Thermo().score(seqs).score, expected, rtol=1e-9, atol=1e-12)


def test_scan_by_hand():
    # E_LIKE has each element at its layout position with the best score its matrix allows
    # near there (UP AAAAAAGAG 7.0, ext TGT 3.3, TTGACA 9.0; TGTAAT 5.0 is the best -10
    # within reach), so Scan equals PA-PWM: 9 + 5 + 0.5 x 7 + 0.5 x 3.3 = 19.15.
    # Moving everything 4 bp downstream costs 4 x 0.25 = 1.0 per element: -35 8.0, -10 4.0,
    # UP 6.0 -> 3.0, ext 2.3 > 1 and the (penalised) -10 4.0 < 5 -> 1.5 x 2.3 = 3.45.
    # Total 8 + 4 + 3 + 3.45 = 18.45.
    moved = construct(up=(19, "AAAAAAGAG"), m35=(34, "TTGACA"), ext=(54, "TGT"), m10=(57, "TGTAAT"))
    np.testing.assert_allclose(Scan().score([E_LIKE, moved]).score, [19.15, 18.45])


@pytest.mark.slow
def test_markov_against_counts_from_the_genome():
    # log p(x_t | context) = log((count(context + x) + 1) / (count(context) + 4)) over both
    # strands; counted here with regular expressions on the genome text.
    genome = "".join("ACGTN"[c] for c in load_genome("ecoli_mg1655"))
    both = genome + "|" + revcomp_text(genome)

    def count(kmer):
        return len(re.findall(f"(?={kmer})", both))

    def logp(context, base):
        total = sum(count(context + b) for b in "ACGT")
        return math.log((count(context + base) + 1) / (total + 4))

    seq = "TATAATGC"
    expected = sum(logp(seq[max(0, t - 5):t], seq[t]) for t in range(len(seq)))
    assert Markov(order=5).score([seq]).score[0] == pytest.approx(expected, abs=1e-9)


def test_at_content_random_and_kmer6_by_hand():
    assert ATContent().score(["AATTGC", "GGGGCC"]).score.tolist() == [4 / 6, 0.0]
    # one window ACGTAC: log .246 + log .254 + log .254 + log .246 + log .246 + log .254;
    # ACGTACG has two windows, ACGTAC and CGTACG.
    la, lc = math.log(0.246), math.log(0.254)
    one = 3 * la + 3 * lc
    two = one + (4 * lc + 2 * la)
    np.testing.assert_allclose(Kmer6().score(["ACGTAC", "ACGTACG"]).score, [one, two])
    r = Random().score(["ACGT", "ACGT", "acgt", "TTTT"]).score
    assert r[0] == r[1] == r[2] != r[3] and ((0 <= r) & (r < 1)).all()


def test_every_baseline_is_registered_with_its_parameter_count():
    entries = {e.name: e for e in available()}
    names = {"pa_pwm", "pa_pwm_nocomp", "pa_pwm_nopos", "rpa_pwm", "thermo", "scan", "markov", "at_content",
             "random", "kmer6"}
    assert names <= set(entries)
    # PA-PWM: 4 matrices (6+6+9+3 positions x 4 bases = 96) + 7 scalars, "~100" as in MIT.md
    assert entries["pa_pwm"].params == 103
    # order-5 Markov chain: 3 free probabilities per context, contexts of length 0..5
    assert entries["markov"].params == 3 * (1 + 4 + 16 + 64 + 256 + 1024)
    assert entries["at_content"].params == 0 and entries["kmer6"].params == 3


@pytest.fixture(scope="module")
def paper_scores(tmp_path_factory):
    from mitspec.plan.build import build
    from mitspec.scores.cache import NoCache
    from mitspec.scores.run import run_plan

    out = tmp_path_factory.mktemp("paper")
    build(SPECS / "mit_sigma70_paper.mit", out)
    names = ["pa_pwm", "pa_pwm_nocomp", "rpa_pwm", "random"]
    path = run_plan(out, [resolve(n) for n in names], out, NoCache())
    return pl.read_parquet(path)


def _pairs(scores, model, better, worse):
    m = scores.filter(pl.col("model") == model)
    a = m.filter(pl.col("class") == better).sort("id")["score"].to_numpy()
    b = m.filter(pl.col("class") == worse).sort("id")["score"].to_numpy()
    n = min(len(a), len(b))
    return a[:n], b[:n]


def test_published_anchors_on_the_paper_protocol(paper_scores):
    """MIT.md: PA-PWM CSS 1.00 and SCR 0.98, RPA-PWM CSS 1.00, NoComp ties every D/E pair,
    random at chance. The random bound is the 95% binomial interval for 100 pairs at 0.5:
    0.5 +/- 1.96 x sqrt(0.25 / 100) = [0.402, 0.598]."""
    e, d = _pairs(paper_scores, "pa_pwm", "E", "D")
    assert (e > d).mean() == 1.0
    e, h = _pairs(paper_scores, "pa_pwm", "E", "H")
    assert (e > h).mean() >= 0.95
    e, d = _pairs(paper_scores, "rpa_pwm", "E", "D")
    assert (e > d).mean() >= 0.95
    e, d = _pairs(paper_scores, "pa_pwm_nocomp", "E", "D")
    assert (e == d).all()
    e, d = _pairs(paper_scores, "random", "E", "D")
    assert 0.402 <= (e > d).mean() <= 0.598


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_n_is_scored_or_refused_explicitly(name):
    """Issue 19: an all-N sequence got the best possible score (0.0) from markov, kmer6, scan
    and pa_pwm_nopos: N was silently left out. Now only scorers for which N means something
    take it (at_content: N is not A/T; random: any text); the others refuse it by name."""
    from mitspec.errors import ModelError

    scorer = BASELINES[name][0]()
    sequences = ["ACGT" * 25, "N" * 100]
    if scorer.accepts_n:
        scores = scorer.score(sequences).score
        assert np.isfinite(scores).all()
        if name == "at_content":
            assert scores.tolist() == [0.5, 0.0]
    else:
        with pytest.raises(ModelError, match=f"{name} cannot score sequence 2: it has N"):
            scorer.score(sequences)


def test_sigma70_baselines_declare_what_they_read_and_skip_plans_without_it(tmp_path):
    """Before: pa_pwm, scan and thermo scored a terminator or a splice site as if it were a
    promoter. Now a default run leaves them out, saying why, and naming one is an error."""
    from mitspec.errors import ModelError
    from mitspec.models.registry import resolve
    from mitspec.plan.build import build
    from mitspec.scores.cache import NoCache
    from mitspec.scores.run import read_skipped, run_plan

    spec = tmp_path / "t.mit"
    spec.write_text('benchmark "t" seed 1 length 60\nbackground bg = iid(at=0.5)\n'
                    'class T n=5 on bg { place "GCGCGCGAAAGCGCGC" at 20 as stem }\n')
    build(spec, tmp_path / "p")
    said = []
    scorers = [resolve(name) for name in ("at_content", "pa_pwm", "thermo")]
    run_plan(tmp_path / "p", scorers, tmp_path / "p", NoCache(), say=said.append)
    assert sorted(read_skipped(tmp_path / "p")) == ["pa_pwm", "thermo"]
    assert any("skipping pa_pwm: it reads minus35 and minus10" in s for s in said)
    scored = pl.read_parquet(tmp_path / "p" / "scores.parquet")["model"].unique().to_list()
    assert scored == ["at_content"]
    with pytest.raises(ModelError, match="pa_pwm cannot score"):
        run_plan(tmp_path / "p", scorers, tmp_path / "p", NoCache(), named=frozenset({"pa_pwm"}))
    # a spec that names its boxes otherwise binds them to the roles
    spec.write_text('benchmark "t" seed 1 length 100\nbackground bg = iid(at=0.5)\n'
                    'layout L { b35 at 20..26  b10 at 43..49 }\nrole minus35 = L.b35\nrole minus10 = L.b10\n'
                    'class P n=5 on bg { place "TTGACA" at L.b35  place "TATAAT" at L.b10 }\n')
    result = build(spec, tmp_path / "q")
    assert result.meta["roles"] == {"minus35": {"start": 20, "end": 26}, "minus10": {"start": 43, "end": 49}}
    view = PlanView.from_meta(result.meta)
    bound = resolve("pa_pwm").for_plan(view)
    assert (bound.layout.minus35, bound.layout.minus10) == (20, 43) and bound.unmet(view) is None


def test_pa_pwm_with_minus35_near_the_start_cuts_the_up_window_short():
    """A -35 box at 10 puts the UP window (15 bp upstream) at -5..4: it raised IndexError.
    Columns off the 5' end add nothing. By hand, on an all-G background: -35 TTGACA 9.0,
    -10 TATAAT 9.5 (as in test_pa_pwm_by_hand); the UP window's in-sequence columns are
    its last four (AT-half, R, AT-half, R) on G: -0.5 + 0.5 - 0.5 + 0.5 = 0; ext GGG 0.3,
    no credit; spacing 33 - 16 = 17, no penalty. Total 18.5."""
    seq = construct(m35=(10, "TTGACA"), m10=(33, "TATAAT"))
    meta = {"layouts": {"L": {"minus35": {"start": 10, "end": 16}, "minus10": {"start": 33, "end": 39}}}}
    scorer = PAPWM().for_plan(PlanView.from_meta(meta))
    assert scorer.layout == Layout(minus35=10, minus10=33, up=-5, ext10=30)
    np.testing.assert_allclose(scorer.score([seq]).score, [18.5])


def test_a_baseline_is_registered_under_the_name_it_declares_once():
    """The name is written once, on the class; registering a class without a name of its
    own, or a second class under a taken name, is refused (issue 30: two spellings of a
    baseline's name could disagree silently)."""
    from mitspec.models.base import Scorer
    from mitspec.models.baselines.common import BASELINES, Baseline, baseline

    for name, (cls, _) in BASELINES.items():
        assert issubclass(cls, Scorer) and cls.name == name and cls().name == name

    class Unnamed(Baseline):
        """no name"""

    class Taken(Baseline):
        """a second oracle"""
        name = "oracle"

    for cls in (Unnamed, Taken):
        with pytest.raises(ValueError, match="needs a `name` of its own"):
            baseline(cls, "refused")
