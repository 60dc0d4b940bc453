"""`profile(G, reference=LEVEL)`: the mean score at each level of a sweep, paired
differences to the reference level, and the level where the score peaks."""
from __future__ import annotations

import math

from .. import stats
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


def compute(calc, c: dict, model: str) -> list[dict]:
    ref = calc.scores_by_index(c["reference"])
    out, means = [], []
    for name in c["classes"]:
        label = level_label(name, c["group"])
        values = calc.scores_by_index(name)
        idx = calc.boot(f"{c['name']}/{label}", len(values))
        ci = stats.percentile_interval(values[idx].mean(axis=1))
        means.append((values.mean(), label))
        diff = values - ref  # levels of one sweep have the same n and share backgrounds by index
        dci = stats.percentile_interval(diff[idx].mean(axis=1))
        is_ref = name == c["reference"]
        out.append({"contrast": f"{c['name']}[{label}]", "value": float(values.mean()), "ci_low": ci.low,
                    "ci_high": ci.high, "n": len(values), "level": label, "boot_low": ci.low, "boot_high": ci.high,
                    "method": "mean score; bootstrap 95%", "note": "reference" if is_ref else None})
        if not is_ref:
            out.append({"contrast": f"{c['name']}[{label}]-ref", "value": float(diff.mean()), "ci_low": dci.low,
                        "ci_high": dci.high, "p": stats.ttest_two_sided(diff), "n": len(diff), "level": label,
                        "boot_low": dci.low, "boot_high": dci.high,
                        "method": "mean paired difference to the reference level; bootstrap 95%; paired t-test"})
    best, label = max(means, key=lambda m: m[0])
    try:
        numeric = float(label)
    except ValueError:
        numeric = math.nan
    ref_label = level_label(c["reference"], c["group"])
    headline = {"contrast": c["name"], "value": numeric, "ci_low": math.nan, "ci_high": math.nan,
                "n": len(c["classes"]), "level": label, "method": "level with the highest mean score",
                "note": f"peak at {label}" + (" (the reference)" if label == ref_label else f"; reference {ref_label}")}
    return [headline, *out]


KIND = ContrastKind(
    name="profile", label="profile over a sweep", usage="profile(SWEPT_CLASS, reference=LEVEL)",
    operands=(Operand("group", GROUP), Operand("reference", LEVEL, keyword=True, required=False, of="group")),
    plan_args=plan_args,
    describe=lambda c: f"mean score at each level of {c['group']}, and paired differences to {c['reference']}",
    schema={"properties": {"group": NAME_REF, "reference": NAME_REF, "classes": NAME_LIST,
                           "origin": {"type": "object", "required": ["at", "position"]}},
            "required": ["group", "reference", "classes"]},
    compute=compute,
)
