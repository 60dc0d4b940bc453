"""`interaction(E, B, N, Z)`: a difference of differences, (E - B) - (N - Z): how much an
edit's effect (E over B) changes in another context (N over Z). Paired per instance when
the four classes share backgrounds (a factorial's conditions, or classes derived from
one parent), else a difference of means; bootstrap 95% interval; paired t-test, or a
two-sided bootstrap p when unpaired."""
from __future__ import annotations

import numpy as np

from .. import stats
from .base import CLASS, NAME_REF, ContrastKind, Operand

ARMS = ("first", "base", "second", "second_base")


def compute(calc, c: dict, model: str) -> dict:
    names = [c[a] for a in ARMS]
    if calc.lineage(*names):
        by_background = [calc.frame.filter(calc.frame["class"] == n).sort("background") for n in names]
        common = set(by_background[0]["background"].to_list())
        for frame in by_background[1:]:
            common &= set(frame["background"].to_list())
        keep = sorted(common)
        e, b, n, z = (f.filter(f["background"].is_in(keep)).sort("background")["score"].to_numpy() for f in by_background)
        diff = (e - b) - (n - z)
        reps = calc.boot_mean(c["name"], diff)
        p, method = stats.ttest_two_sided(diff, floor=stats.noise_floor(e, b, n, z)), "paired (shared backgrounds); bootstrap 95%; paired t-test"
        value, count = float(diff.mean()), len(diff)
    else:
        groups = [calc.scores(n) for n in names]
        means = [calc.boot_mean(f"{c['name']}/{k}", g) for k, g in enumerate(groups)]
        reps = (means[0] - means[1]) - (means[2] - means[3])
        value = float((groups[0].mean() - groups[1].mean()) - (groups[2].mean() - groups[3].mean()))
        p = float(min(1.0, 2 * min((reps <= 0).mean(), (reps >= 0).mean())))
        method, count = "difference of means; bootstrap 95% (classes resampled); two-sided bootstrap p", sum(map(len, groups))
    calc.replicates[c["name"]] = reps
    ci = stats.percentile_interval(np.asarray(reps))
    return {"value": value, "ci_low": ci.low, "ci_high": ci.high, "p": p, "n": count, "boot_low": ci.low,
            "boot_high": ci.high, "method": method}


def plan_args(r: dict, checks) -> dict:
    names = [r[a].name for a in ARMS]
    if len(set(names)) < 4:
        checks.fail("an interaction compares four different classes", "e.g. interaction(T[1, 20], T[0, 20], T[1, 60], T[0, 60])")
    return dict(zip(ARMS, names))


KIND = ContrastKind(
    name="interaction", label="interaction", usage="interaction(E, B, N, Z)",
    operands=tuple(Operand(a, CLASS) for a in ARMS),
    plan_args=plan_args,
    describe=lambda c: f"({c['first']} - {c['base']}) - ({c['second']} - {c['second_base']})",
    schema={"properties": {a: NAME_REF for a in ARMS}, "required": list(ARMS)},
    compute=compute,
)
