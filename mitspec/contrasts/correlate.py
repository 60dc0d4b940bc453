"""`correlate(G, at_content)`: Pearson and Spearman correlation of score with a covariate
over every sequence of a swept class, and of the condition means."""
from __future__ import annotations

import numpy as np

from .. import stats
from .base import COVARIATE, GROUP, NAME_LIST, NAME_REF, ContrastKind, Operand

COVARIATES = ("at_content",)


def plan_args(r: dict, checks) -> dict:
    group = r["group"]
    return {"group": group[0].group, "with": r["with"], "classes": [c.name for c in group]}


def compute(calc, c: dict, model: str) -> list[dict]:
    curve = calc.curve(c["classes"])
    x, y, n = curve.at, curve.score, len(curve.at)
    idx = calc.boot(c["name"], n)
    out = []
    for suffix, a, b, label in (("", x, y, "Pearson r"), (".spearman", curve.at_rank, curve.score_rank, "Spearman rho")):
        r = stats.pearson(a, b)
        ci = stats.percentile_interval(stats.pearson_rows(a[idx], b[idx]))
        out.append({"contrast": c["name"] + suffix, "value": r, "ci_low": ci.low, "ci_high": ci.high,
                    "p": stats.correlation_p(r, n), "n": n, "boot_low": ci.low, "boot_high": ci.high,
                    "method": f"{label} of score with AT fraction over sequences; bootstrap 95%; t-test (two-sided)"})
    r_means = stats.pearson(curve.mean_at, curve.mean_score)
    seeds = [calc.boot(f"{c['name']}/{k}", len(at)) for k, at in enumerate(curve.level_at)]
    mx = np.stack([at[s].mean(axis=1) for at, s in zip(curve.level_at, seeds)], axis=1)
    my = np.stack([score[s].mean(axis=1) for score, s in zip(curve.level_score, seeds)], axis=1)
    ci = stats.percentile_interval(stats.pearson_rows(mx, my))
    out.append({"contrast": c["name"] + ".means", "value": r_means, "ci_low": ci.low, "ci_high": ci.high,
                "n": len(curve.level_at), "boot_low": ci.low, "boot_high": ci.high,
                "method": "Pearson r of condition means; bootstrap 95% (sequences resampled within levels)"})
    return out


KIND = ContrastKind(
    name="correlate", label="correlation with AT", usage="correlate(SWEPT_CLASS, at_content)",
    operands=(Operand("group", GROUP), Operand("with", COVARIATE, choices=COVARIATES)),
    plan_args=plan_args,
    describe=lambda c: f"correlation of score with AT fraction across the levels of {c['group']}",
    schema={"properties": {"group": NAME_REF, "with": {"enum": list(COVARIATES)}, "classes": NAME_LIST},
            "required": ["group", "with", "classes"]},
    compute=compute,
)
