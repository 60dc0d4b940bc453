"""`cohens_d(X, Y)`: (mean X - mean Y) / pooled SD (MES); paired when X and Y share backgrounds."""
from __future__ import annotations

import math

from .. import stats
from .base import CLASS, NAME_REF, ContrastKind, Operand


def compute(calc, c: dict, model: str) -> dict:
    first, second = c["first"], c["second"]
    if calc.lineage(first, second):
        a, b = calc.pairs(first, second, "lineage")
        idx = calc.boot(c["name"], len(a))
        replicates = stats.cohens_d_rows(a[idx], b[idx])
        p, method = stats.ttest_two_sided(a - b, floor=stats.noise_floor(a, b)), "paired bootstrap 95%; paired t-test (two-sided)"
        n = len(a)
    else:
        a, b = calc.scores(first), calc.scores(second)
        ia, ib = calc.boot(c["name"], len(a)), calc.boot(c["name"] + "/2", len(b))
        replicates = stats.cohens_d_rows(a[ia], b[ib])
        p, method = stats.ttest_two_sided(a, b), "bootstrap 95% (groups resampled); Welch t-test (two-sided)"
        n = len(a) + len(b)
    value = stats.cohens_d(a, b)
    calc.replicates[c["name"]] = replicates
    ci = stats.percentile_interval(replicates)
    note = None
    if math.isnan(value):  # no spread to scale by: no effect size, so no test of one either
        note, p = "undefined: no spread to scale by (both classes constant, to float precision)", math.nan
    return {"value": value, "ci_low": ci.low, "ci_high": ci.high, "p": p, "n": n, "boot_low": ci.low,
            "boot_high": ci.high, "method": method, "note": note}


KIND = ContrastKind(
    name="cohens_d", label="Cohen's d", usage="cohens_d(X, Y)",
    operands=(Operand("first", CLASS), Operand("second", CLASS)),
    plan_args=lambda r, checks: {"first": r["first"].name, "second": r["second"].name},
    describe=lambda c: f"Cohen's d, {c['first']} vs {c['second']}",
    schema={"properties": {"first": NAME_REF, "second": NAME_REF}, "required": ["first", "second"]},
    compute=compute,
    audit=("first", "second"),
    null=0.0,
    effect=True,
)
