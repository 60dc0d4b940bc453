"""Metrics engine: every contrast by hand on tiny score tables, ties, missing ids, files."""
import json
import math

import numpy as np
import polars as pl
import pytest

from mitspec import stats
from mitspec.metrics.calculator import MetricsConfig, MetricsError, compute
from mitspec.metrics.files import read_many, read_scores
from mitspec.plan.build import build
from mitspec.plan.store import load_plan

from .conftest import SPECS, plan_of

TINY = """benchmark "tiny" seed 3 length 20
background bg = iid(at=0.5)
class C n=4 on bg { place "TATAAT" at 5 }
class D n=4 from C { place "TGTAAT" at 5 }
class E n=4 from D { place "TGT" at 2 }
class H n=2 from E { shuffle 2..5 distinct }
class X n=3 from D independent { }
contrast CSS = E > D paired
contrast SCR = E > H paired
contrast IDX = X > D paired by index
contrast MES = cohens_d(C, D)
contrast MES_X = cohens_d(X, C)
contrast CM = D -> E toward C
contrast CIR = MES / MES_X
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return plan_of(tmp_path_factory.mktemp("tiny"), TINY)


def scores_of(values: dict[str, list[float]], model="m") -> pl.DataFrame:
    rows = [(f"{cls}_{i:03d}", model, v) for cls, vs in values.items() for i, v in enumerate(vs)]
    return pl.DataFrame(rows, schema=["id", "model", "score"], orient="row")


SCORES = {
    "C": [5.0, 6.0, 7.0, 8.0],
    "D": [1.0, 2.0, 3.0, 4.0],
    "E": [2.0, 1.0, 3.5, 4.0],  # vs D: win, loss, win, tie
    "H": [1.0, 1.0],            # vs E_0, E_1: win (2 > 1), tie (1 = 1)
    "X": [0.0, 3.0, 9.0],       # vs D by index: loss (0 < 1), win (3 > 2), win (9 > 3)
}


def by_contrast(table: pl.DataFrame) -> dict:
    return {r["contrast"]: r for r in table.iter_rows(named=True)}


def test_win_rates_by_hand(tiny):
    r = by_contrast(compute(tiny.view, tiny.sequences, scores_of(SCORES)))
    # CSS: 2 wins, 1 loss, 1 tie of 4 pairs -> 2 of 3 decided; sign test on the same 3: P(X >= 2 | 3) = 4/8
    assert (r["CSS"]["value"], r["CSS"]["n"], r["CSS"]["ties"], r["CSS"]["p"]) == (2 / 3, 4, 1, 0.5)
    assert "1 tie(s) of 4 pairs left out: 2 of 3 decided pairs" in r["CSS"]["note"]
    # and the interval is Wilson's for 2 of those 3 (not 2 of 4)
    assert (r["CSS"]["ci_low"], r["CSS"]["ci_high"]) == pytest.approx(tuple(stats.wilson(2, 3)))
    # SCR pairs only the 2 H instances with their parents E_0, E_1: 1 win, 1 tie -> 1 of 1 decided;
    # sign test on 1 untied win: P(X >= 1 | 1) = 1/2
    assert (r["SCR"]["value"], r["SCR"]["n"], r["SCR"]["ties"], r["SCR"]["p"]) == (1.0, 2, 1, 0.5)
    # IDX pairs X_i with D_i for i < 3: loss, win, win -> 2/3; P(X >= 2 | 3) = 0.5
    assert r["IDX"]["value"] == pytest.approx(2 / 3) and r["IDX"]["n"] == 3 and r["IDX"]["p"] == 0.5


def test_effect_sizes_by_hand(tiny):
    r = by_contrast(compute(tiny.view, tiny.sequences, scores_of(SCORES)))
    # MES: C - D = 4 for every pair; both SDs sqrt(5/3) -> d = 4 / sqrt(5/3) = 3.0984
    assert r["MES"]["value"] == pytest.approx(4 / math.sqrt(5 / 3))
    # C and D share backgrounds, so the paired t-test on differences (all 4) has sd 0: p = 0
    assert r["MES"]["p"] == 0.0 and r["MES"]["n"] == 4
    # MES_X: X (independent) vs C: means 4 and 6.5; var X = ((-4)^2 + (-1)^2 + 5^2) / 2 = 21,
    # var C = 5/3; pooled = sqrt((2 * 21 + 3 * 5/3) / 5) = sqrt(9.4); d = -2.5 / sqrt(9.4)
    assert r["MES_X"]["value"] == pytest.approx(-2.5 / math.sqrt(9.4)) and r["MES_X"]["n"] == 7
    # CM: means D 2.5, E 2.625, C 6.5 -> (2.625 - 2.5) / (6.5 - 2.5) = 0.03125
    assert r["CM"]["value"] == pytest.approx(0.03125)
    # CIR = MES / MES_X
    assert r["CIR"]["value"] == pytest.approx((4 / math.sqrt(5 / 3)) / (-2.5 / math.sqrt(9.4)))


def test_intervals_contain_the_estimates_and_are_seeded(tiny):
    a = compute(tiny.view, tiny.sequences, scores_of(SCORES))
    b = compute(tiny.view, tiny.sequences, scores_of(SCORES))
    assert a.equals(b)
    for r in a.iter_rows(named=True):
        if r["ci_low"] is not None and r["kind"] != "ratio":
            assert r["ci_low"] <= r["value"] + 1e-12 and r["value"] <= r["ci_high"] + 1e-12
    other_seed = compute(tiny.view, tiny.sequences, scores_of(SCORES), MetricsConfig(seed=99))
    assert not a["boot_low"].equals(other_seed["boot_low"])


def test_bh_runs_over_every_test_in_the_run_when_asked(tiny):
    two = pl.concat([scores_of(SCORES, "m1"), scores_of({k: [v * 2 for v in vs] for k, vs in SCORES.items()}, "m2")])
    table = compute(tiny.view, tiny.sequences, two, MetricsConfig(fdr="run"))
    tested = table.filter(pl.col("p").is_not_null())
    # CSS, SCR, IDX, MES, MES_X carry p-values: 5 tests x 2 models = a family of 10
    assert len(tested) == 10
    p = tested["p"].to_numpy()
    order = np.argsort(p, kind="stable")
    expected = np.minimum.accumulate((p[order] * 10 / np.arange(1, 11))[::-1])[::-1]
    np.testing.assert_allclose(np.sort(tested["q"].to_numpy()), np.sort(np.minimum(expected, 1)))


def test_missing_extra_and_duplicate_ids_are_errors(tiny):
    scores = scores_of(SCORES)
    with pytest.raises(MetricsError, match=r"model m: 1 id\(s\) missing: C_003"):
        compute(tiny.view, tiny.sequences, scores.filter(pl.col("id") != "C_003"))
    extra = pl.concat([scores, pl.DataFrame({"id": ["Z_000"], "model": ["m"], "score": [1.0]})])
    with pytest.raises(MetricsError, match=r"1 id\(s\) unknown to the plan: Z_000"):
        compute(tiny.view, tiny.sequences, extra)
    with pytest.raises(MetricsError, match="duplicated: C_000"):
        compute(tiny.view, tiny.sequences, pl.concat([scores, scores.head(1)]))


def test_score_files_in_every_format(tiny, tmp_path):
    ids = tiny.sequences["id"].to_list()
    values = {i: float(k) for k, i in enumerate(ids)}
    (tmp_path / "alpha.csv").write_text("id,score\n" + "".join(f"{i},{v}\n" for i, v in values.items()))
    (tmp_path / "beta.json").write_text(json.dumps(values))
    (tmp_path / "gamma.json").write_text(json.dumps([{"id": i, "score": v, "model": "g"} for i, v in values.items()]))
    pl.DataFrame({"id": ids, "score": list(values.values())}).write_parquet(tmp_path / "delta.parquet")
    frames = read_many([tmp_path / f for f in ("alpha.csv", "beta.json", "gamma.json", "delta.parquet")])
    assert sorted(frames["model"].unique()) == ["alpha", "beta", "delta", "g"]
    table = compute(tiny.view, tiny.sequences, frames)
    css = table.filter(pl.col("contrast") == "CSS")
    assert css["value"].unique().to_list() == [1.0]  # scores rise with the plan's row order: E after D
    with pytest.raises(MetricsError, match="needs columns id and score"):
        (tmp_path / "bad.csv").write_text("name,value\nx,1\n")
        read_scores(tmp_path / "bad.csv")
    with pytest.raises(MetricsError, match="appears in both"):
        read_many([tmp_path / "alpha.csv", tmp_path / "alpha.csv"])


def test_recovers_a_published_shaped_table(tmp_path):
    """Per-sequence scores built so that, by index, E beats D in 63 of 100 pairs and H in 24
    of 50 (HyenaDNA's CSS 0.63 and SCR 0.48), with C and D drawn to a chosen effect size;
    the engine must report what plain numpy computes from the same arrays."""
    plan = load_plan(build(SPECS / "mit_sigma70_paper.mit", tmp_path / "plan").out_dir)
    rng = np.random.default_rng(0)
    d = rng.normal(0, 1, 100)
    e = d + np.where(np.arange(100) < 63, 0.5, -0.5)
    h = e[:50] + np.where(np.arange(50) < 26, 0.3, -0.3)  # 24 of 50 with E > H
    c = d + rng.normal(-0.34, 1.0, 100)
    a, b = rng.normal(0, 1, 100), rng.normal(0.01, 1, 100)
    f, g = rng.normal(0, 1, 50), rng.normal(0, 1, 50)
    table = compute(plan.view, plan.sequences, scores_of({"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g, "H": h}),
                    MetricsConfig(stats="paper"))
    r = by_contrast(table)

    def cohen(x, y):
        pooled = np.sqrt(((len(x) - 1) * x.var(ddof=1) + (len(y) - 1) * y.var(ddof=1)) / (len(x) + len(y) - 2))
        return (x.mean() - y.mean()) / pooled

    assert r["CSS"]["value"] == 0.63 and r["SCR"]["value"] == 0.48
    assert r["CSS"]["p"] == pytest.approx(0.0043, abs=0.0001)  # the published p for 0.63
    assert r["MES_synthetic"]["value"] == pytest.approx(cohen(c, d))
    assert r["MES_natural"]["value"] == pytest.approx(cohen(a, b))
    assert r["CM"]["value"] == pytest.approx((e.mean() - d.mean()) / (c.mean() - d.mean()))
    assert r["CIR"]["value"] == pytest.approx(cohen(c, d) / cohen(a, b))


def test_an_undefined_value_has_no_interval(tiny):
    """Issue 12: with mean C = mean D the compensation magnitude is undefined (0 / 0), so
    its interval must be undefined too; the report printed a finite CI before."""
    flat = {"C": [1.0, 2.0, 3.0, 4.0], "D": [4.0, 3.0, 2.0, 1.0], "E": [5.0, 5.0, 6.0, 6.0], "H": [0.0, 1.0],
            "X": [1.0, 2.0, 3.0]}
    table = compute(tiny.view, tiny.sequences, scores_of(flat))
    cm = table.filter(pl.col("contrast") == "CM").row(0, named=True)
    assert cm["value"] is None and "undefined" in cm["note"]
    assert (cm["ci_low"], cm["ci_high"], cm["boot_low"], cm["boot_high"]) == (None, None, None, None)


PAIRS = """benchmark "pairs" seed 5 length 20
background bg = iid(at=0.5)
class D n=100 on bg { place "TGTAAT" at 5 }
class E n=100 from D { place "TATAAT" at 5 }
contrast CSS = E > D paired
"""


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    return plan_of(tmp_path_factory.mktemp("pairs"), PAIRS)


def _win_rate(plan, wins: int, ties: int, losses: int, **config) -> dict:
    d = np.zeros(100)
    e = np.r_[np.ones(wins), np.zeros(ties), -np.ones(losses)]
    return by_contrast(compute(plan.view, plan.sequences, scores_of({"D": d, "E": e}), MetricsConfig(**config)))["CSS"]


def test_a_win_rate_value_interval_and_test_count_ties_alike(pairs):
    """Issue 26, point 1: 30 wins, 60 ties, 10 losses printed 0.30* [0.22, 0.40] with p 0.0011:
    the interval said the class loses while the test said it wins. Now all three rest on the
    40 decided pairs: 30/40 = 0.75, Wilson [0.60, 0.86] (by hand: centre (0.75 + 1.92/40) /
    1.096 = 0.728, half-width 1.96 sqrt(0.0046875 + 0.0006) / 1.096 = 0.130), p = P(X >= 30 | 40)
    = 0.0011."""
    r = _win_rate(pairs, 30, 60, 10)
    assert (r["value"], r["ties"], r["n"]) == (0.75, 60, 100)
    assert (round(r["ci_low"], 2), round(r["ci_high"], 2)) == (0.60, 0.86)
    assert r["p"] == pytest.approx(stats.sign_test_greater(30, 10)) and round(r["p"], 4) == 0.0011
    assert r["ci_low"] > 0.5 and r["q"] < 0.05  # interval and test agree
    assert r["boot_low"] <= 0.75 <= r["boot_high"]
    paper = _win_rate(pairs, 30, 60, 10, stats="paper")  # the published definition: ties are failures
    assert paper["value"] == 0.30 and "count as failures" in paper["note"]


def test_all_pairs_tied_is_undefined_not_a_reverse_preference(pairs):
    """All pairs tied (at_content's adjusted CSS, a position-blind PWM on paired classes)
    printed 0.00 [0, 0.037]: a significant reverse preference that does not exist."""
    r = _win_rate(pairs, 0, 100, 0)
    assert r["value"] is None and r["ci_low"] is None and r["p"] is None and r["q"] is None
    assert "all 100 pairs tie" in r["note"]


def test_ties_within_float_noise_are_ties(pairs):
    """A pair whose scores differ by 1e-13 on a scale of 140 nats is a tie, not a win."""
    d = np.full(100, -140.0)
    e = d + np.r_[np.full(50, 1e-13), np.ones(30), -np.ones(20)]
    r = by_contrast(compute(pairs.view, pairs.sequences, scores_of({"D": d, "E": e})))["CSS"]
    assert (r["ties"], r["value"]) == (50, 0.6)


def test_a_lopsided_decided_majority_is_found(pairs):
    """pa_pwm_nopos's SCR on the canonical spec: 31 wins, 13 ties, 6 losses, called
    inconclusive when ties counted as losses (0.62); 31 of 37 decided pairs is p = 1.9e-5."""
    r = _win_rate(pairs, 31, 63, 6)  # 100 pairs here; the test reads only wins and losses
    assert r["value"] == pytest.approx(31 / 37) and r["p"] == pytest.approx(stats.sign_test_greater(31, 6))
    assert r["q"] < 0.05 and r["ci_low"] > 0.5


def test_a_models_q_values_do_not_depend_on_the_other_models(tiny):
    """Issue 26, point 5: the paper's HyenaDNA CSS was "beyond" alone, "inconclusive" next to
    four gLMs and "beyond" with eight, because every run was one BH family. By default each
    model is its own family; `fdr="run"` keeps the run-wide family on request."""
    alone = compute(tiny.view, tiny.sequences, scores_of(SCORES, "m1"))
    others = [scores_of({k: list(np.random.default_rng(i).normal(size=len(v))) for k, v in SCORES.items()}, f"o{i}")
              for i in range(6)]
    crowded = compute(tiny.view, tiny.sequences, pl.concat([scores_of(SCORES, "m1"), *others]))
    mine = crowded.filter(pl.col("model") == "m1")
    assert mine.select("contrast", "q").equals(alone.select("contrast", "q"))
    run_wide = compute(tiny.view, tiny.sequences, pl.concat([scores_of(SCORES, "m1"), *others]), MetricsConfig(fdr="run"))
    assert not run_wide.filter(pl.col("model") == "m1")["q"].equals(alone["q"])


def test_scores_that_carry_other_sequences_are_refused(tiny, tmp_path):
    """Issue 26, point 7: scores of other sequences under the plan's ids were audited against
    the plan's sequences, silently. A score file may carry the scored sequences (a column or
    a FASTA); one that differs from the plan's is refused, naming the ids."""
    from mitspec.metrics.files import with_fasta_sequences

    seqs = dict(zip(tiny.sequences["id"], tiny.sequences["sequence"]))
    ids = list(seqs)
    frame = pl.DataFrame({"id": ids, "score": [float(i) for i in range(len(ids))],
                          "sequence": [seqs[i] for i in ids]})
    frame.write_csv(tmp_path / "own.csv")
    table = compute(tiny.view, tiny.sequences, read_scores(tmp_path / "own.csv"))  # the plan's own: accepted
    assert len(table)
    changed = frame.with_columns(pl.when(pl.col("id") == "E_002").then(pl.lit("A" * 20)).otherwise(pl.col("sequence"))
                                 .alias("sequence"))
    changed.write_csv(tmp_path / "other.csv")
    with pytest.raises(MetricsError, match=r"1 scored sequence\(s\) differ from the plan's under the same id \(E_002"):
        compute(tiny.view, tiny.sequences, read_scores(tmp_path / "other.csv"))
    (tmp_path / "seqs.fa").write_text("".join(f">{i}\n{'C' * 20 if i == 'D_001' else seqs[i]}\n" for i in ids))
    bare = read_scores(tmp_path / "own.csv").drop("sequence")
    with pytest.raises(MetricsError, match="D_001"):
        compute(tiny.view, tiny.sequences, with_fasta_sequences(bare, tmp_path / "seqs.fa"))


def test_the_papers_own_sequences_and_scores_evaluate_without_a_generated_spec(tmp_path):
    """Issue 26, point 7: the paper's 650 sequences (specs/data/mit_paper, PROVENANCE.md) as a
    plan of given sequences, and its per-sequence scores evaluated against exactly those,
    audit included. --stats paper reproduces the published table (MIT.md: HyenaDNA CSS 0.63,
    p 0.0043; Evo2 0.60, p 0.0225; NT 0.54; GROVER 0.52; Caduceus 0.49; SCR 0.48, 0.46,
    0.40, 0.52, 0.42; MES_syn -0.34, -0.03, -0.10, -0.05, -0.40)."""
    from mitspec.metrics.files import with_fasta_sequences
    from mitspec.metrics.evaluate import evaluate

    plan = load_plan(build(SPECS / "mit_sigma70_published.mit", tmp_path / "plan").out_dir)
    data = SPECS / "data" / "mit_paper"
    scores = with_fasta_sequences(read_scores(data / "scores.csv"), data / "sequences.fasta")
    table, doc = evaluate(plan.view, plan.sequences, scores, MetricsConfig(stats="paper", resamples=200),
                          from_files=True)
    r = {(x["contrast"], x["model"]): x for x in table.iter_rows(named=True)}
    published = {"hyenadna": (0.63, 0.48, -0.34), "evo2_1b": (0.60, 0.46, -0.03), "nt_500m": (0.54, 0.40, -0.10),
                 "grover": (0.52, 0.52, -0.05), "caduceus": (0.49, 0.42, -0.40)}
    for model, (css, scr, mes) in published.items():
        assert r[("CSS", model)]["value"] == css and r[("SCR", model)]["value"] == scr
        assert round(r[("MES_synthetic", model)]["value"], 2) == mes
    assert r[("CSS", "hyenadna")]["p"] == pytest.approx(0.0043, abs=0.0001)
    assert r[("CSS", "evo2_1b")]["p"] == pytest.approx(0.0225, abs=0.0002)
    assert doc["sequences_checked"] and doc["audit"]["composition"]
    css = next(c for c in doc["audit"]["composition"] if c["contrast"] == "CSS")
    assert round(css["at_diff"], 3) == 0.012  # the measurement on the paper's own sequences
    sound_table, sound = evaluate(plan.view, plan.sequences, scores, MetricsConfig(resamples=200), from_files=True)
    pwm = sound_table.filter((pl.col("contrast") == "CSS") & (pl.col("model") == "pa_pwm_paper")).row(0, named=True)
    assert pwm["value"] is None and pwm["ties"] == 100  # the paper's PWM ties every pair: no preference, not 0.00
    shuffled = scores.with_columns(pl.col("sequence").str.reverse())
    with pytest.raises(MetricsError, match="differ from the plan's"):
        evaluate(plan.view, plan.sequences, shuffled, MetricsConfig(resamples=50), from_files=True)


GIVEN = """benchmark "g" length 8
background mine = given("seqs.fa")
class X n=2 on mine { mutate 0 -> "A" }
class Y n=2 from X { shuffle 2..6 }
contrast XY = X > Y paired
"""


def test_given_sequences_become_a_plan_and_bad_files_are_diagnostics(tmp_path):
    from mitspec.spec.check import load
    from mitspec.spec.errors import SpecErrors

    def problems_of(text: str) -> str:
        (tmp_path / "spec.mit").write_text(text)
        with pytest.raises(SpecErrors) as caught:
            load(tmp_path / "spec.mit")
        return str(caught.value)

    (tmp_path / "seqs.fa").write_text(">X_000 one\nCCCCGGGG\n>X_001|two\nTTTTAAAA\n")
    plan = plan_of(tmp_path, GIVEN)
    assert plan.sequences.filter(pl.col("class") == "X")["sequence"].to_list() == ["ACCCGGGG", "ATTTAAAA"]
    (tmp_path / "seqs.fa").write_text(">X_000\nCCCCGGGG\n")
    assert "lacks 1 of class `X`'s 2 records (first: X_001)" in problems_of(GIVEN)
    # n far past the file (the fuzzer's n=10^9 listed a billion names and never returned):
    # 1 record held, so 10^9 - 1 are missing, counted without listing them
    huge = problems_of(GIVEN.replace("class X n=2", "class X n=1000000000").replace("class Y n=2", "class Y n=1"))
    assert "lacks 999,999,999 of class `X`'s 1,000,000,000 records (first: X_001)" in huge
    (tmp_path / "seqs.fa").write_text(">X_000\nCCCCGGG\n>X_001\nCCCCGGGG\n")
    assert "is 7 bp, not the benchmark's 8" in problems_of(GIVEN)
    (tmp_path / "seqs.fa").write_text(">X_000\nCCCCGGGG\n>X_001\nCCCCGGGG\n")
    assert "no model to draw them from" in problems_of(GIVEN.replace('mutate 0 -> "A"', "delete 0..2"))
