"""`effect_ratio(composition=C, low=, high=, position=P, correct=, wrong=)`: a compositional
effect over a positional one (the published "46-fold"), undefined when the positional
effect's interval includes 0."""
from __future__ import annotations

import math

import numpy as np

from .. import stats
from .base import GROUP, LEVEL, NAME_PAIR, ContrastKind, Operand


def compute(calc, c: dict, model: str) -> list[dict]:
    effects = []
    for part, (first, second) in (("composition", c["composition"][::-1]), ("position", c["position"])):
        a, b = calc.scores_by_index(first), calc.scores_by_index(second)
        n = min(len(a), len(b))
        diff = a[:n] - b[:n]  # levels share backgrounds: pair by index
        reps = calc.boot_mean(f"{c['name']}/{part}", diff)
        effects.append((part, first, second, diff, reps, stats.percentile_interval(reps), stats.noise_floor(a, b)))
    (_, _, _, dc, rc, _, _), (_, _, _, dp, rp, cp, _) = effects
    records = [{"part": part, "value": float(d.mean()), "ci_low": ci.low, "ci_high": ci.high,
                "p": stats.ttest_two_sided(d, floor=floor), "n": len(d), "boot_low": ci.low, "boot_high": ci.high,
                "method": f"mean paired difference {first} - {second}; bootstrap 95%; paired t-test"}
               for part, first, second, d, _, ci, floor in effects]
    if not (cp.low > 0 or cp.high < 0):
        head = {"value": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                "note": f"undefined: the positional effect's 95% CI ({cp.low:.3g} to {cp.high:.3g}) includes 0"}
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            ci = stats.percentile_interval(rc / rp)
        head = {"value": float(dc.mean() / dp.mean()), "ci_low": ci.low, "ci_high": ci.high, "note": None}
    head.update({"contrast": c["name"], "n": len(dc) + len(dp),
                 "method": "compositional effect / positional effect; bootstrap 95% (experiments resampled apart)"})
    return [head, *records]


def _describe(c: dict) -> str:
    (low, high), (good, bad) = c["composition"], c["position"]
    return f"(mean {high} - mean {low}) / (mean {good} - mean {bad})"


KIND = ContrastKind(
    name="effect_ratio", label="compositional / positional effect",
    usage="effect_ratio(composition=C, low=0.3, high=0.8, position=P, correct=15, wrong=70)",
    operands=(Operand("composition", GROUP, keyword=True), Operand("low", LEVEL, keyword=True, of="composition"),
              Operand("high", LEVEL, keyword=True, of="composition"), Operand("position", GROUP, keyword=True),
              Operand("correct", LEVEL, keyword=True, of="position"), Operand("wrong", LEVEL, keyword=True, of="position")),
    plan_args=lambda r, checks: {"composition": [r["low"], r["high"]], "position": [r["correct"], r["wrong"]]},
    describe=_describe,
    schema={"properties": {"composition": NAME_PAIR, "position": NAME_PAIR}, "required": ["composition", "position"]},
    compute=compute,
)
