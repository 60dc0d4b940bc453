"""`periodicity(P, period=10.5)`: how strongly the mean score over a position sweep
follows a sinusoid of the given period (helical phasing: one turn of B-DNA is ~10.5 bp).

The condition means y_l at levels x_l are fitted by least squares to
a + b cos(2 pi x / T) + c sin(2 pi x / T); the amplitude sqrt(b^2 + c^2) is the headline
(in score units), the phase (the level of the first peak, in [0, T)) a part. p: the
levels are permuted among the means (2,000 permutations, seeded) and the amplitude
recomputed. No interval: a fitted amplitude is never below 0 and is biased upward, so a
bootstrap interval of it excludes 0 even where there is no periodicity (200 of 200 null
runs did); the permutation p is the evidence. The phase is reported only where that test
finds a sinusoid (p < 0.05): the phase of noise is noise. An amplitude within float noise
of the scores is 0 (p = 1).
"""
from __future__ import annotations

import math

import numpy as np

from .. import rng, stats
from .base import GROUP, NAME_LIST, NAME_REF, RAW, ContrastKind, Operand

PERMUTATIONS = 2000


def fit(x: np.ndarray, y: np.ndarray, period: float) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude and phase of y ~ a + b cos + c sin, for each row of y: y (..., levels)."""
    angle = 2 * math.pi * x / period
    design = np.stack([np.ones_like(angle), np.cos(angle), np.sin(angle)], axis=1)
    coef = np.linalg.lstsq(design, np.atleast_2d(y).T, rcond=None)[0]  # (3, rows)
    b, c = coef[1], coef[2]
    amplitude = np.hypot(b, c)
    phase = (np.arctan2(c, b) * period / (2 * math.pi)) % period  # where b cos + c sin peaks
    return amplitude, phase


def plan_args(r: dict, checks) -> dict:
    group = r["group"]
    levels = []
    for cls in group:
        c = cls.condition or {}
        level = c.get("level")
        if "levels" in c or isinstance(level, str) or level is None:
            checks.fail(f"`{group[0].group}` is not a single sweep over numbers", "sweep one element over positions",
                        at="group")
        levels.append(level)
    period = r["period"]
    value = getattr(period, "value", None) if period is not None else 10.5
    if not isinstance(value, float) or not value > 0:
        checks.fail("the period is a positive number of levels' units (bp)", "e.g. period=10.5", at="period")
    if len(levels) < 4:
        checks.fail(f"`{group[0].group}` has {len(levels)} levels", "fitting a sinusoid needs 4 levels or more",
                    at="group")
    return {"group": group[0].group, "classes": [c.name for c in group], "levels": levels, "period": value}


def compute(calc, c: dict, model: str) -> list[dict]:
    x = np.asarray(c["levels"], dtype=float)
    scores = [calc.scores_by_index(name) for name in c["classes"]]
    n = min(len(s) for s in scores)
    matrix = np.stack([s[:n] for s in scores], axis=1)  # (instances, levels)
    means = matrix.mean(axis=0)
    amplitude, phase = (float(v[0]) for v in fit(x, means, c["period"]))
    method = (f"amplitude of the level means' least-squares sinusoid (period {c['period']:g}); permutation p "
              f"({PERMUTATIONS} level permutations); no interval (the amplitude is biased upward)")
    if amplitude <= stats.noise_floor(matrix):
        head = {"value": 0.0, "ci_low": math.nan, "ci_high": math.nan, "p": 1.0, "n": len(x), "method": method,
                "note": "flat: the level means are equal to float precision"}
        part = {"part": "phase", "value": math.nan, "n": len(x),
                "method": "level of the fitted sinusoid's first peak", "note": "undefined: no sinusoid"}
        return [head, part]
    seed = int(rng.stream_key(calc.config.seed if calc.config.seed is not None else calc.plan.seed,
                              "permutation", c["name"], model))
    order = np.argsort(rng.uniform(np.uint64(seed), np.arange(PERMUTATIONS, dtype=np.uint64), len(x)), axis=1)
    null, _ = fit(x, means[order], c["period"])
    p = float((1 + (null >= amplitude * (1 - 1e-9)).sum()) / (1 + PERMUTATIONS))
    head = {"value": amplitude, "ci_low": math.nan, "ci_high": math.nan, "p": p, "n": len(x), "method": method}
    found = p < 0.05
    part = {"part": "phase", "value": phase if found else math.nan, "ci_low": math.nan,
            "ci_high": math.nan, "n": len(x), "method": f"level of the fitted sinusoid's first peak, in [0, {c['period']:g})",
            "note": None if found else f"undefined: the permutation test finds no sinusoid (p = {p:.3g})"}
    return [head, part]


KIND = ContrastKind(
    name="periodicity", label="periodicity over a sweep", usage="periodicity(SWEPT_CLASS, period=10.5)",
    operands=(Operand("group", GROUP), Operand("period", RAW, keyword=True, required=False)),
    plan_args=plan_args,
    describe=lambda c: f"amplitude of a {c['period']:g}-periodic sinusoid fitted to the mean score over {c['group']}",
    schema={"properties": {"group": NAME_REF, "classes": NAME_LIST, "levels": {"type": "array", "items": {"type": "number"}},
                           "period": {"type": "number", "exclusiveMinimum": 0}},
            "required": ["group", "classes", "levels", "period"]},
    compute=compute,
)
