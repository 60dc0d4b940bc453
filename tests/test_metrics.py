"""Metrics engine: every contrast by hand on tiny score tables, ties, missing ids, files."""
import json
import math

import numpy as np
import polars as pl
import pytest

from mitspec import stats
from mitspec.metrics.engine import MetricsConfig, MetricsError, compute
from mitspec.metrics.io import read_many, read_scores
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
    r = by_contrast(compute(tiny.meta, tiny.sequences, scores_of(SCORES)))
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
    r = by_contrast(compute(tiny.meta, tiny.sequences, scores_of(SCORES)))
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
    a = compute(tiny.meta, tiny.sequences, scores_of(SCORES))
    b = compute(tiny.meta, tiny.sequences, scores_of(SCORES))
    assert a.equals(b)
    for r in a.iter_rows(named=True):
        if r["ci_low"] is not None and r["kind"] != "ratio":
            assert r["ci_low"] <= r["value"] + 1e-12 and r["value"] <= r["ci_high"] + 1e-12
    other_seed = compute(tiny.meta, tiny.sequences, scores_of(SCORES), MetricsConfig(seed=99))
    assert not a["boot_low"].equals(other_seed["boot_low"])


def test_bh_runs_over_every_test_in_the_run_when_asked(tiny):
    two = pl.concat([scores_of(SCORES, "m1"), scores_of({k: [v * 2 for v in vs] for k, vs in SCORES.items()}, "m2")])
    table = compute(tiny.meta, tiny.sequences, two, MetricsConfig(fdr="run"))
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
        compute(tiny.meta, tiny.sequences, scores.filter(pl.col("id") != "C_003"))
    extra = pl.concat([scores, pl.DataFrame({"id": ["Z_000"], "model": ["m"], "score": [1.0]})])
    with pytest.raises(MetricsError, match=r"1 id\(s\) unknown to the plan: Z_000"):
        compute(tiny.meta, tiny.sequences, extra)
    with pytest.raises(MetricsError, match="duplicated: C_000"):
        compute(tiny.meta, tiny.sequences, pl.concat([scores, scores.head(1)]))


def test_score_files_in_every_format(tiny, tmp_path):
    ids = tiny.sequences["id"].to_list()
    values = {i: float(k) for k, i in enumerate(ids)}
    (tmp_path / "alpha.csv").write_text("id,score\n" + "".join(f"{i},{v}\n" for i, v in values.items()))
    (tmp_path / "beta.json").write_text(json.dumps(values))
    (tmp_path / "gamma.json").write_text(json.dumps([{"id": i, "score": v, "model": "g"} for i, v in values.items()]))
    pl.DataFrame({"id": ids, "score": list(values.values())}).write_parquet(tmp_path / "delta.parquet")
    frames = read_many([tmp_path / f for f in ("alpha.csv", "beta.json", "gamma.json", "delta.parquet")])
    assert sorted(frames["model"].unique()) == ["alpha", "beta", "delta", "g"]
    table = compute(tiny.meta, tiny.sequences, frames)
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
    table = compute(plan.meta, plan.sequences, scores_of({"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g, "H": h}),
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
    table = compute(tiny.meta, tiny.sequences, scores_of(flat))
    cm = table.filter(pl.col("contrast") == "CM").row(0, named=True)
    assert cm["value"] is None and "undefined" in cm["note"]
    assert (cm["ci_low"], cm["ci_high"], cm["boot_low"], cm["boot_high"]) == (None, None, None, None)
