"""`D -> E toward C`: (mean E - mean D) / (mean C - mean D), how far E moves D back to C (CM)."""
from __future__ import annotations

import math

import numpy as np

from .. import stats
from .base import CLASS, NAME_REF, ContrastKind, Operand


def compute(calc, c: dict, model: str) -> dict:
    groups = [calc.scores(x) for x in (c["start"], c["end"], c["toward"])]
    means = [g.mean() for g in groups]
    denominator = means[2] - means[0]
    value = (means[1] - means[0]) / denominator if denominator != 0 else math.nan
    reps = [calc.boot_mean(f"{c['name']}/{k}", g) for k, g in enumerate(groups)]
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates = (reps[1] - reps[0]) / (reps[2] - reps[0])
    calc.replicates[c["name"]] = replicates
    ci = stats.percentile_interval(replicates)
    note = "undefined: mean of the intact class equals the broken one" if math.isnan(value) else None
    if note is None and stats.unstable_ratio(value, ci.low, ci.high):
        note = (f"unstable: the interval runs from {ci.low:.3g} to {ci.high:.3g}, since mean {c['toward']} - "
                f"mean {c['start']} comes near 0 in some resamples; the value says little")
    return {"value": value, "ci_low": ci.low, "ci_high": ci.high, "n": sum(len(g) for g in groups),
            "boot_low": ci.low, "boot_high": ci.high,
            "method": "(mean end - mean start) / (mean toward - mean start); bootstrap 95%", "note": note}


KIND = ContrastKind(
    name="magnitude", label="compensation magnitude", usage="D -> E toward C",
    operands=(Operand("start", CLASS), Operand("end", CLASS), Operand("toward", CLASS)),
    plan_args=lambda r, checks: {"start": r["start"].name, "end": r["end"].name, "toward": r["toward"].name},
    describe=lambda c: f"(mean {c['end']} - mean {c['start']}) / (mean {c['toward']} - mean {c['start']})",
    schema={"properties": {"start": NAME_REF, "end": NAME_REF, "toward": NAME_REF},
            "required": ["start", "end", "toward"]},
    compute=compute,
    audit=("end", "start"),
    null=0.0,
    effect=True,
)
