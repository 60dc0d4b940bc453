"""`profile(G, reference=LEVEL)`: the mean score at each level of a sweep, paired
differences to the reference level, and the level where the score peaks.

The peak is a claim only where the levels differ at all: a permutation test of "no level
effect" (each instance's scores permuted among its levels, which share its background;
statistic: the variance of the level means; PERMUTATIONS draws, seeded) comes first, and
a profile it cannot tell from flat has no peak (undefined, with the test's p)."""
from __future__ import annotations

import math

import numpy as np

from .. import rng, stats

PERMUTATIONS = 2000
PERMUTATION_BLOCK = 1 << 22  # permuted values held at once
from .base import GROUP, LEVEL, NAME_LIST, NAME_REF, ContrastKind, Operand


def plan_args(r: dict, checks) -> dict:
    group = r["group"]
    reference = r["reference"] if r["reference"] is not None else group[0].name
    origin = (group[0].condition or {}).get("origin")  # position levels read relative to it
    return {"group": group[0].group, "reference": reference, "classes": [c.name for c in group],
            **({"origin": origin} if origin else {})}


def level_label(condition: str, group: str) -> str:
    """`P[15]` -> `15`."""
    return condition[len(group) + 1:-1]


def level_effect_p(matrix: np.ndarray, seed: int, permutations: int = PERMUTATIONS) -> float:
    """Permutation p for "the levels do not differ": matrix (instances, levels); each
    row's values are permuted among the levels; statistic: variance of the column means.
    1 when the means are equal to float precision."""
    observed = matrix.mean(axis=0).var()
    if math.sqrt(observed) <= stats.noise_floor(matrix):
        return 1.0
    n, levels = matrix.shape
    rows = max(1, PERMUTATION_BLOCK // max(matrix.size, 1))
    exceed = 0
    for lo in range(0, permutations, rows):
        count = min(rows, permutations - lo)
        keys = np.arange(lo, lo + count, dtype=np.uint64)
        order = np.argsort(rng.uniform(np.uint64(seed), keys, n * levels).reshape(count, n, levels), axis=2)
        permuted = np.take_along_axis(np.broadcast_to(matrix, (count, n, levels)), order, axis=2)
        exceed += int((permuted.mean(axis=1).var(axis=1) >= observed * (1 - 1e-9)).sum())
    return (1 + exceed) / (1 + permutations)


def compute(calc, c: dict, model: str) -> list[dict]:
    ref = calc.scores_by_index(c["reference"])
    out, means, columns = [], [], []
    for name in c["classes"]:
        label = level_label(name, c["group"])
        values = calc.scores_by_index(name)
        columns.append(values)
        idx = calc.boot(f"{c['name']}/{label}", len(values))
        ci = stats.percentile_interval(values[idx].mean(axis=1))
        means.append((values.mean(), label))
        diff = values - ref  # levels of one sweep have the same n and share backgrounds by index
        dci = stats.percentile_interval(diff[idx].mean(axis=1))
        is_ref = name == c["reference"]
        out.append({"part": "level", "value": float(values.mean()), "ci_low": ci.low,
                    "ci_high": ci.high, "n": len(values), "level": label, "boot_low": ci.low, "boot_high": ci.high,
                    "method": "mean score; bootstrap 95%", "note": "reference" if is_ref else None})
        if not is_ref:
            out.append({"part": "difference", "value": float(diff.mean()), "ci_low": dci.low,
                        "ci_high": dci.high, "p": stats.ttest_two_sided(diff, floor=stats.noise_floor(values, ref)), "n": len(diff), "level": label,
                        "boot_low": dci.low, "boot_high": dci.high,
                        "method": "mean paired difference to the reference level; bootstrap 95%; paired t-test"})
    n = min(len(v) for v in columns)
    matrix = np.stack([v[:n] for v in columns], axis=1)
    seed = int(rng.stream_key(calc.config.seed if calc.config.seed is not None else calc.plan.seed,
                              "permutation", c["name"], model))
    p = level_effect_p(matrix, seed)
    best, label = max(means, key=lambda m: m[0])
    ref_label = level_label(c["reference"], c["group"])
    method = (f"level with the highest mean score, where a permutation test ({PERMUTATIONS} within-instance "
              "permutations of the levels) finds that the levels differ")
    if p >= 0.05:
        headline = {"contrast": c["name"], "value": math.nan, "p": p, "n": len(c["classes"]), "level": None,
                    "method": method, "note": f"flat: the levels do not differ detectably (p = {p:.3g}); no peak"}
        return [headline, *out]
    try:
        numeric = float(label)
    except ValueError:
        numeric = math.nan
    headline = {"contrast": c["name"], "value": numeric, "ci_low": math.nan, "ci_high": math.nan, "p": p,
                "n": len(c["classes"]), "level": label, "method": method,
                "note": f"peak at {label}" + (" (the reference)" if label == ref_label else f"; reference {ref_label}")}
    return [headline, *out]


def figures(canvas, c: dict) -> list:
    """The mean score per level with its interval, per model; a heatmap when two sweeps cross."""
    out = [(f"profile_{c['name']}", f"{c['name']}: mean score per level", canvas.profile(c))]
    grid = canvas.heatmap(c)
    if grid is not None:
        out.append((f"heatmap_{c['name']}", f"{c['name']}: mean score per pair of levels", grid))
    return out


KIND = ContrastKind(
    name="profile", label="profile over a sweep", usage="profile(SWEPT_CLASS, reference=LEVEL)",
    operands=(Operand("group", GROUP), Operand("reference", LEVEL, keyword=True, required=False, of="group")),
    plan_args=plan_args,
    describe=lambda c: f"mean score at each level of {c['group']}, and paired differences to {c['reference']}",
    schema={"properties": {"group": NAME_REF, "reference": NAME_REF, "classes": NAME_LIST,
                           "origin": {"type": "object", "required": ["at", "position"]}},
            "required": ["group", "reference", "classes"]},
    compute=compute,
    figures=figures,
    headline_is_level=True,
)
