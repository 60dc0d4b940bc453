"""`correlate(G, COVARIATE)`: Pearson and Spearman correlation of score with a covariate
over every sequence of a swept class, and of the condition means; or over the sequences
of one class without a sweep (per-sequence covariates only). Covariates: each
sequence's `at_content`, `gc_content` or `cpg` (CG dinucleotides per adjacent pair), or
its condition's sweep level: `level` (the first sweep's, relative to the origin when
there is one), `level_2`, ... (a factorial's other sweeps)."""
from __future__ import annotations

import numpy as np

from .. import stats
from .base import COVARIATE, GROUP, NAME_LIST, NAME_REF, ContrastKind, Operand

COVARIATES = ("at_content", "gc_content", "cpg", "level", "level_2", "level_3")
LABELS = {"at_content": "AT fraction", "gc_content": "GC fraction", "cpg": "CpG frequency", "level": "sweep level",
          "level_2": "second sweep's level", "level_3": "third sweep's level"}


def levels_of(group: list, covariate: str) -> list:
    """A level covariate's value for each condition (numbers only), or a reason it has none."""
    k = 1 if covariate == "level" else int(covariate.rsplit("_", 1)[1])
    values = []
    for cls in group:
        c = cls.condition or {}
        levels = list(c["levels"]) if "levels" in c else [c.get("level")]
        if len(levels) < k:
            return f"`{cls.group}` has {len(levels)} sweep(s), so it has no {covariate}"
        if isinstance(levels[k - 1], str):
            return f"the levels of `{cls.group}`'s sweep {k} are names ({levels[k - 1]}), not numbers"
        values.append(levels[k - 1])
    return values


def plan_args(r: dict, checks) -> dict:
    group = r["group"]
    name = group[0].group or group[0].name
    out = {"group": name, "with": r["with"], "classes": [c.name for c in group]}
    if r["with"].startswith("level") and group[0].group is None:
        checks.fail(f"class `{name}` has no sweep, so its sequences have no {r['with']}",
                    "correlate a class without a sweep with at_content, gc_content or cpg", at="with")
    if r["with"].startswith("level"):
        values = levels_of(group, r["with"])
        if isinstance(values, str):
            checks.fail(values, "correlate with at_content, gc_content or cpg, or a numeric sweep's level", at="with")
        if len(set(values)) < 2:
            checks.fail(f"`{group[0].group}` has one {r['with']} only", "a correlation needs two levels or more",
                        at="with")
        out["levels"] = values
    return out


def compute(calc, c: dict, model: str) -> list[dict]:
    curve = calc.curve(c["classes"], c["with"], c.get("levels"))
    label = LABELS[c["with"]]
    x, y, n = curve.at, curve.score, len(curve.at)
    idx = calc.boot(c["name"], n)
    out = []
    for part, a, b, what in ((None, x, y, "Pearson r"), ("spearman", curve.at_rank, curve.score_rank, "Spearman rho")):
        r = stats.pearson(a, b)
        ci = stats.percentile_interval(stats.pearson_rows(a[idx], b[idx]))
        out.append({"part": part, "value": r, "ci_low": ci.low, "ci_high": ci.high,
                    "p": stats.correlation_p(r, n), "n": n, "boot_low": ci.low, "boot_high": ci.high,
                    "method": f"{what} of score with {label} over sequences; bootstrap 95%; t-test (two-sided)"})
    if len(c["classes"]) < 2:  # one class: per-sequence correlations only (no condition means)
        return out
    r_means = stats.pearson(curve.mean_at, curve.mean_score)
    seeds = [calc.boot(f"{c['name']}/{k}", len(at)) for k, at in enumerate(curve.level_at)]
    mx = np.stack([at[s].mean(axis=1) for at, s in zip(curve.level_at, seeds)], axis=1)
    my = np.stack([score[s].mean(axis=1) for score, s in zip(curve.level_score, seeds)], axis=1)
    ci = stats.percentile_interval(stats.pearson_rows(mx, my))
    out.append({"part": "means", "value": r_means, "ci_low": ci.low, "ci_high": ci.high,
                "n": len(curve.level_at), "boot_low": ci.low, "boot_high": ci.high,
                "method": "Pearson r of condition means; bootstrap 95% (sequences resampled within levels)"})
    return out


def figures(canvas, c: dict) -> list:
    """Each sequence's score against the covariate, with the fitted line, per model."""
    label = LABELS[c["with"]]
    return [(f"scatter_{c['name']}", f"{c['name']}: score against {label}", canvas.scatter(c, c["with"], label))]


KIND = ContrastKind(
    name="correlate", label="correlation with a covariate",
    usage="correlate(CLASS, at_content | gc_content | cpg | level | level_2)  (level: a swept class)",
    operands=(Operand("group", GROUP, plain=True), Operand("with", COVARIATE, choices=COVARIATES)),
    plan_args=plan_args,
    describe=lambda c: (f"correlation of score with {LABELS[c['with']]} across the levels of {c['group']}"
                        if len(c["classes"]) > 1 else f"correlation of score with {LABELS[c['with']]} across the "
                        f"sequences of {c['group']}"),
    schema={"properties": {"group": NAME_REF, "with": {"enum": list(COVARIATES)}, "classes": NAME_LIST,
                           "levels": {"type": "array", "items": {"type": "number"}}},
            "required": ["group", "with", "classes"]},
    compute=compute,
    figures=figures,
)
