"""The contrast-kind registry is the one place kinds are defined: the checker, both JSON
schemas, `show`, the metrics engine and the report must agree with it."""
import typing

import pytest

from mitspec.contrasts import KINDS
from mitspec.contrasts.base import OPERAND_TYPES, LEVEL
from mitspec.metrics.io import metrics_schema
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
'''


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    return plan_of(tmp_path_factory.mktemp("k"), SWEEPS)


def _metrics(plan, score_of):
    import polars as pl

    from mitspec.metrics.engine import MetricsConfig, compute

    rows = plan.sequences.select("id", "class", "index", "sequence").to_dicts()
    scores = pl.DataFrame({"id": [r["id"] for r in rows], "model": "m", "score": [score_of(r) for r in rows]})
    table = compute(plan.meta, plan.sequences, scores, MetricsConfig(resamples=300))
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
