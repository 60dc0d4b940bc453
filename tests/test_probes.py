"""Curve metrics by hand, and the probe specs end to end with the baselines (the sanity
anchors of the probes issue)."""

import numpy as np
import polars as pl
import pytest

from mitspec.metrics.calculator import compute
from mitspec.models.registry import resolve
from mitspec.plan.build import build
from mitspec.plan.store import load_plan
from mitspec.scores.cache import NoCache
from mitspec.scores.run import run_plan

from .conftest import SPECS, plan_of

CURVES = """benchmark "curves" seed 1 length 10
background bg = iid(at=0.5)
class T n=3 on bg { sweep at_content over [0.2, 0.8] }
class P n=3 on bg { place "A" at 0 as e  sweep e over [0, 5] }
contrast R = correlate(T, at_content)
contrast PROF = profile(P, reference=0)
contrast FOLD = effect_ratio(composition=T, low=0.2, high=0.8, position=P, correct=0, wrong=5)
"""


@pytest.fixture(scope="module")
def curves(tmp_path_factory):
    return plan_of(tmp_path_factory.mktemp("curves"), CURVES)


def test_curve_metrics_by_hand(curves):
    seqs = curves.sequences
    at = dict(zip(seqs["id"], [sum(b in "AT" for b in s) / 10 for s in seqs["sequence"]]))
    # score = 10 x AT exactly for T (r = 1); P[0] scores 1, 2, 3 and P[5] 0, 2, 1
    values = {i: 10 * at[i] for i in seqs["id"] if i.startswith("T[")}
    values.update({"P[0]_000": 1.0, "P[0]_001": 2.0, "P[0]_002": 3.0, "P[5]_000": 0.0, "P[5]_001": 2.0, "P[5]_002": 1.0})
    scores = pl.DataFrame({"id": list(values), "model": "m", "score": list(values.values())})
    r = {row["contrast"]: row for row in compute(curves.view, seqs, scores).iter_rows(named=True)}
    assert r["R"]["value"] == pytest.approx(1.0) and r["R.spearman"]["value"] == pytest.approx(1.0)
    # profile: means 2.0 at level 0 and 1.0 at level 5; paired differences 1-0, 2-2, 1-3... as P[5] - P[0]:
    # (0-1, 2-2, 1-3) = (-1, 0, -2), mean -1.0. Level 0 has the higher mean, but three
    # instances allow only 2^3 within-instance swaps of the two levels, so no arrangement is
    # rarer than 1/8 and the permutation test cannot find a level effect: no peak is named
    assert r["PROF[0]"]["value"] == 2.0 and r["PROF[5]"]["value"] == 1.0
    assert r["PROF[5]-ref"]["value"] == -1.0
    assert r["PROF"]["level"] is None and r["PROF"]["p"] > 0.05 and "no peak" in r["PROF"]["note"]
    # effect ratio: composition = mean(T[0.8] - T[0.2]) = 10 x mean AT difference;
    # position = mean(P[0] - P[5]) = 1.0, whose bootstrap CI over (1, 0, 2) includes 0 -> undefined
    comp = np.mean([values[f"T[0.8]_{i:03d}"] - values[f"T[0.2]_{i:03d}"] for i in range(3)])
    assert r["FOLD.composition"]["value"] == pytest.approx(comp) and r["FOLD.position"]["value"] == 1.0
    assert r["FOLD"]["value"] is None and "includes 0" in r["FOLD"]["note"]


def run_probe(tmp_path, spec, models):
    out = build(SPECS / f"{spec}.mit", tmp_path / spec).out_dir
    path = run_plan(out, [resolve(m) for m in models], out, NoCache())
    plan = load_plan(out)
    return compute(plan.view, plan.sequences, pl.read_parquet(path).select("id", "model", "score"))


def rows(metrics, model):
    return {r["contrast"]: r for r in metrics.filter(pl.col("model") == model).iter_rows(named=True)}


def test_positional_sweep_anchors(tmp_path):
    m = run_probe(tmp_path, "positional_sweep", ["pa_pwm", "at_content"])
    assert rows(m, "pa_pwm")["UP_POSITION"]["level"] == "15"
    # AT content has no positional preference: away from the levels where the UP overlaps
    # the boxes (25, 45), no level differs from 15 after correction
    at = rows(m, "at_content")
    for level in (0, 5, 10, 20, 35, 60, 70, 80, 90):
        assert at[f"UP_POSITION[{level}]-ref"]["q"] >= 0.05


def test_spacing_and_strand_anchors(tmp_path):
    assert rows(run_probe(tmp_path, "spacing", ["pa_pwm"]), "pa_pwm")["SPACING"]["level"] == "17"
    strand = rows(run_probe(tmp_path, "strand", ["pa_pwm"]), "pa_pwm")
    assert strand["STRAND"]["level"] == "forward"
    assert strand["STRAND[motifs_reversed]-ref"]["value"] < 0 and strand["STRAND[motifs_reversed]-ref"]["q"] < 0.05


def test_at_titration_anchors(tmp_path):
    m = run_probe(tmp_path, "at_titration", ["at_content", "pa_pwm_nocomp"])
    at = rows(m, "at_content")
    for name in ("AT_intact", "AT_broken", "AT_compensated"):
        assert at[name]["value"] > 0.99  # the AT-content scorer is AT: r ~ 1 by construction
    # NoComp reads only the fixed -35/-10 boxes: its score is constant within a construct
    assert rows(m, "pa_pwm_nocomp")["AT_intact"]["value"] is None


def test_probe_reports_show_profiles_and_scatters(tmp_path):
    from mitspec.metrics.calculator import MetricsConfig
    from mitspec.report.pipeline import report_run

    out = build(SPECS / "at_titration.mit", tmp_path / "at").out_dir
    path = run_plan(out, [resolve("at_content"), resolve("pa_pwm")], out, NoCache())
    report_run(load_plan(out), path, out, MetricsConfig())
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert {"scatter_AT_intact.png", "scatter_AT_broken.png", "scatter_AT_compensated.png"} <= set(figures)
    html = (out / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == 1 + 3  # distributions + three scatters
    assert "pa_pwm (composition)" in html and "pa_pwm (position)" in html and "at_content (spearman)" in html
