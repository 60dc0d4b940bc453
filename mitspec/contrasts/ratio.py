"""`A / B`: the ratio of two effects declared in the spec (CIR = MES_synthetic / MES_natural)."""
from __future__ import annotations

import math

import numpy as np

from .. import stats
from .base import EFFECT, NAME_REF, ContrastKind, Operand


def compute(calc, c: dict, model: str) -> dict:
    num, den = calc.results[c["numerator"]][0], calc.results[c["denominator"]][0]
    value = num["value"] / den["value"] if den["value"] != 0.0 and not math.isnan(den["value"]) else math.nan
    rn, rd = calc.replicates.get(c["numerator"]), calc.replicates.get(c["denominator"])
    ci = stats.Interval(math.nan, math.nan)
    if rn is not None and rd is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ci = stats.percentile_interval(rn / rd)
    note = None
    if math.isnan(value):
        note = "undefined: the denominator is zero or undefined"
    elif not (den["ci_low"] > 0 or den["ci_high"] < 0):
        note = f"unstable: the CI of {c['denominator']} includes 0, so this ratio's interval is unbounded"
        ci = stats.Interval(math.nan, math.nan)
    elif stats.unstable_ratio(value, ci.low, ci.high):
        note = (f"unstable: the interval runs from {ci.low:.3g} to {ci.high:.3g}, since {c['denominator']} comes "
                "near 0 in some resamples; the value says little")
    return {"value": value, "ci_low": ci.low, "ci_high": ci.high, "n": num["n"], "boot_low": ci.low,
            "boot_high": ci.high, "method": f"{c['numerator']} / {c['denominator']}; bootstrap 95%", "note": note}


KIND = ContrastKind(
    name="ratio", label="ratio", usage="EFFECT_A / EFFECT_B",
    operands=(Operand("numerator", EFFECT), Operand("denominator", EFFECT)),
    plan_args=lambda r, checks: {"numerator": r["numerator"], "denominator": r["denominator"]},
    describe=lambda c: f"{c['numerator']} / {c['denominator']}",
    schema={"properties": {"numerator": NAME_REF, "denominator": NAME_REF}, "required": ["numerator", "denominator"]},
    compute=compute,
    requires=lambda c: (c["numerator"], c["denominator"]),
)
