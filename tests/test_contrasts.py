"""The contrast-kind registry is the one place kinds are defined: the checker, both JSON
schemas, `show`, the metrics engine and the report must agree with it."""
import typing

import pytest

from mitspec.contrasts import KINDS
from mitspec.contrasts.base import OPERAND_TYPES, LEVEL
from mitspec.metrics.files import metrics_schema
from mitspec.plan.store import plan_schema
from mitspec.spec import ast
from mitspec.spec.check.contrasts import _syntax
from mitspec.spec.check.scope import CONTRAST_NODES
from .conftest import plan_of


def test_plan_schema_has_one_branch_per_kind():
    branches = plan_schema()["$defs"]["contrast"]["oneOf"]
    assert [b["properties"]["kind"]["const"] for b in branches] == list(KINDS)


def test_metrics_schema_lists_every_kind():
    kind = metrics_schema()["properties"]["results"]["items"]["properties"]["kind"]
    assert kind["enum"] == list(KINDS)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_is_complete(name):
    kind = KINDS[name]
    assert kind.name == name and kind.label and kind.usage
    assert callable(kind.compute) and callable(kind.plan_args) and callable(kind.describe)
    assert set(kind.schema) == {"properties", "required"} and set(kind.schema["required"]) <= set(kind.schema["properties"])
    names = [o.name for o in kind.operands]
    assert len(set(names)) == len(names)
    for operand in kind.operands:
        assert operand.type in OPERAND_TYPES
        if operand.type == LEVEL:
            assert operand.of in names, f"{name}.{operand.name} names the levels of an unknown operand"


def test_every_contrast_node_maps_to_a_kind():
    """The AST's contrast forms (special syntax, or a call naming the kind) reach the registry."""
    assert set(CONTRAST_NODES) == set(typing.get_args(ast.Contrast))
    span = None  # positions play no part in the mapping
    name = ast.Name("x", span)
    special = {ast.WinRate(name, name, name, "lineage", span), ast.Magnitude(name, name, name, name, span),
               ast.Ratio(name, name, name, span)}
    assert {_syntax(node)[0] for node in special} <= set(KINDS)
    called = {k for k in KINDS if k not in {_syntax(node)[0] for node in special}}
    for kind in called:  # written as a call: `contrast X = kind(...)`
        node = ast.Effect(name, ast.Call(ast.Name(kind, span), (), (), span), span)
        assert _syntax(node)[0] == kind


# ---- periodicity, interaction and the covariates of correlate, on constructed scores ------
SWEEPS = '''benchmark "k" seed 2 length 120
background bg = iid(at=0.5)
class P n=40 on bg { place "TTGACA" at 10 as a  sweep a over 20..62 step 2 }
class T n=30 on bg { place "ATG" at 80 as s  place "TATA" at 30 as t
  sweep gap(t, s) over [20, 30]  sweep s over motifs ["ATG", "GTG"] }
contrast PER = periodicity(P, period=10.5)
contrast INTER = interaction(T[20, ATG], T[20, GTG], T[30, ATG], T[30, GTG])
contrast LEVEL = correlate(P, level)
contrast GC = correlate(P, gc_content)
contrast PRO = profile(P, reference=20)
'''


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    return plan_of(tmp_path_factory.mktemp("k"), SWEEPS)


def _metrics(plan, score_of):
    import polars as pl

    from mitspec.metrics.calculator import MetricsConfig, compute

    rows = plan.sequences.select("id", "class", "index", "sequence").to_dicts()
    scores = pl.DataFrame({"id": [r["id"] for r in rows], "model": "m", "score": [score_of(r) for r in rows]})
    table = compute(plan.view, plan.sequences, scores, MetricsConfig(resamples=300))
    return {r["contrast"]: r for r in table.iter_rows(named=True)}


def _level(row) -> float:
    return float(row["class"][2:-1]) if row["class"].startswith("P[") else 0.0


def test_periodicity_recovers_a_planted_sinusoid_and_not_a_flat_profile(sweeps):
    import math

    import numpy as np

    noise = np.random.default_rng(1)
    planted = _metrics(sweeps, lambda r: 2.0 * math.cos(2 * math.pi * (_level(r) - 3.0) / 10.5) + noise.normal(0, 0.5))
    # amplitude 2 and first peak at level 3, by construction
    assert planted["PER"]["value"] == pytest.approx(2.0, abs=0.15) and planted["PER"]["p"] < 0.01
    assert planted["PER.phase"]["value"] == pytest.approx(3.0, abs=0.3)
    # no interval: the amplitude is biased upward (see test_periodicity_null_runs_hold_their_level)
    assert planted["PER"]["ci_low"] is None and planted["PER"]["ci_high"] is None
    flat = _metrics(sweeps, lambda r: noise.normal(0, 0.5))
    assert flat["PER"]["value"] < 0.3 and flat["PER"]["p"] > 0.05
    assert flat["PER.phase"]["value"] is None and "no sinusoid" in flat["PER.phase"]["note"]
    constant = _metrics(sweeps, lambda r: 0.1)  # 7e-16 of float noise is no amplitude, and has no phase
    assert constant["PER"]["value"] == 0.0 and constant["PER"]["p"] == 1.0 and constant["PER.phase"]["value"] is None


def test_interaction_is_a_difference_of_differences(sweeps):
    # per class constants plus a shared per-instance term: (3 - 1) - (2 - 1.5) = 1.5 exactly
    base = {"T[20, ATG]": 3.0, "T[20, GTG]": 1.0, "T[30, ATG]": 2.0, "T[30, GTG]": 1.5}
    result = _metrics(sweeps, lambda r: base.get(r["class"], 0.0) + 0.1 * r["index"])
    assert result["INTER"]["value"] == pytest.approx(1.5)
    assert result["INTER"]["method"].startswith("paired") and result["INTER"]["n"] == 30


def test_correlate_with_the_sweep_level_and_gc(sweeps):
    by_level = _metrics(sweeps, lambda r: 2.0 * _level(r))
    assert by_level["LEVEL"]["value"] == pytest.approx(1.0)
    gc = _metrics(sweeps, lambda r: sum(b in "GC" for b in r["sequence"]) / len(r["sequence"]))
    assert gc["GC"]["value"] == pytest.approx(1.0)


PLAIN = '''benchmark "c" seed 2 length 40
background bg = iid(at=0.5)
class W "windows" n=60 on bg { }
contrast AT = correlate(W, at_content)
'''


def test_correlate_on_a_class_without_a_sweep_reads_each_sequence(tmp_path):
    """Issue 28: per-sequence covariates on any class (it said "has no sweep"). A score that
    is each sequence's AT fraction correlates 1 with it; no condition means are claimed."""
    plan = plan_of(tmp_path, PLAIN)
    (contrast,) = plan.meta["contrasts"]
    assert contrast["classes"] == ["W"] and "across the sequences of W" in KINDS["correlate"].describe(contrast)
    got = _metrics(plan, lambda r: sum(b in "AT" for b in r["sequence"]) / len(r["sequence"]))
    assert got["AT"]["value"] == pytest.approx(1.0) and got["AT"]["n"] == 60 and "AT.means" not in got


def test_a_level_correlation_needs_a_sweep():
    from mitspec.spec.check import check_source
    from mitspec.spec.errors import SpecErrors

    with pytest.raises(SpecErrors) as info:
        check_source(PLAIN.replace("at_content)", "level)"))
    assert "class `W` has no sweep, so its sequences have no level" in info.value.errors[0].message


NULL_SWEEP = '''benchmark "n" seed 4 length 60
background bg = iid(at=0.5)
class P n=20 on bg { place "TTGACA" at 5 as a  sweep a over 10..40 step 3 }
contrast PER = periodicity(P, period=10.5)
contrast PRO = profile(P, reference=10)
'''


@pytest.mark.slow
def test_periodicity_and_profile_null_runs_hold_their_level(tmp_path):
    """Issue 26, point 6: the amplitude's bootstrap interval excluded 0 in 200 of 200 null
    runs (a fitted amplitude is biased upward), and flat profiles reported a peak. 200 runs
    of pure noise: the periodicity test and the profile's level test each reject at about
    their 5% level (binomial 99.9% bound for 200 draws at 0.05: 22), no amplitude interval
    is claimed, and a phase or a peak appears only with a rejection."""
    import numpy as np
    import polars as pl

    from mitspec.metrics.calculator import MetricsConfig, compute

    plan = plan_of(tmp_path, NULL_SWEEP)
    rng = np.random.default_rng(11)
    runs = 200
    frame = pl.concat([pl.DataFrame({"id": plan.sequences["id"], "model": f"m{i:03d}",
                                     "score": rng.normal(size=plan.sequences.height)}) for i in range(runs)])
    table = compute(plan.view, plan.sequences, frame, MetricsConfig(resamples=50))
    rows = {(r["contrast"], r["model"]): r for r in table.iter_rows(named=True)}
    models = [f"m{i:03d}" for i in range(runs)]
    per = [rows[("PER", m)] for m in models]
    pro = [rows[("PRO", m)] for m in models]
    assert sum(r["p"] < 0.05 for r in per) <= 22 and sum(r["p"] < 0.05 for r in pro) <= 22
    assert sum(r["p"] < 0.05 for r in per) >= 2  # the test is alive
    assert all(r["ci_low"] is None for r in per)
    for m, r in zip(models, per):
        assert (rows[("PER.phase", m)]["value"] is not None) == (r["p"] < 0.05)
    for r in pro:
        assert (r["value"] is not None) == (r["p"] < 0.05)
        assert r["value"] is not None or r["note"].startswith("flat")


def test_a_profile_with_a_real_peak_reports_it_and_a_flat_one_does_not(sweeps):
    import numpy as np

    noise = np.random.default_rng(3)
    peaked = _metrics(sweeps, lambda r: -abs(_level(r) - 40.0) / 5 + noise.normal(0, 0.3))
    flat = _metrics(sweeps, lambda r: 1.5)  # the oracle on a position sweep: every level ties
    assert peaked["PRO"]["value"] == 40.0 and peaked["PRO"]["p"] < 0.01
    assert flat["PRO"]["value"] is None and flat["PRO"]["p"] == 1.0 and flat["PRO"]["note"].startswith("flat")
    assert flat["LEVEL"]["value"] is None  # a constant has no correlation (it was 1e15-scaled noise)
