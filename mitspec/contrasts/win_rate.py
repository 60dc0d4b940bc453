"""`X > Y paired [by index]`: the fraction of pairs in which X's score beats Y's (CSS, SCR)."""
from __future__ import annotations

import math

import numpy as np

from .. import stats
from .base import CLASS, NAME_REF, RAW, ContrastKind, Operand


def plan_args(r: dict, checks) -> dict:
    better, worse = r["better"], r["worse"]
    if r["pairing"] is None:
        checks.fail(f"say how `{better.name} > {worse.name}` pairs instances",
                    "add `paired` (instances share backgrounds) or `paired by index`")
    if better.name == worse.name:
        checks.fail("a contrast compares two different classes", "e.g. `E > D paired`")
    if r["pairing"] == "lineage" and better.background_root != worse.background_root:
        checks.fail(f"`{better.name}` and `{worse.name}` do not share backgrounds, so they cannot be paired by lineage",
                    "derive one from the other (without `independent`), or write `paired by index`")
    return {"better": better.name, "worse": worse.name, "pairing": r["pairing"], "n_pairs": min(better.n, worse.n)}


def compute(calc, c: dict, model: str) -> dict:
    """Sound mode: the win rate among decided pairs, wins / (wins + losses), with its
    Wilson interval and exact sign test on the same pairs; a tie is a pair whose scores
    differ by float noise (stats.noise_floor) and is reported, never counted. No decided
    pair: undefined. Paper mode: wins / all pairs (ties are failures), as published."""
    a, b = calc.pairs(c["better"], c["worse"], c["pairing"])
    n = len(a)
    if n == 0:
        return {"value": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0, "ties": 0,
                "method": "-", "note": "no pairs"}
    if calc.config.stats == "paper":
        wins, ties = int((a > b).sum()), int((a == b).sum())
        outcomes = (a > b).astype(np.float64)
        replicates = calc.boot_mean(c["name"], outcomes)
        calc.replicates[c["name"]] = replicates
        boot = stats.percentile_interval(replicates)
        return {"value": wins / n, "ci_low": boot.low, "ci_high": boot.high, "n": n, "ties": ties,
                "p": stats.ttest_one_sample_greater(outcomes, 0.5), "boot_low": boot.low, "boot_high": boot.high,
                "method": "wins / pairs (ties count as failures); one-sample t-test vs 0.5 (one-sided); "
                          "percentile bootstrap 95%",
                "note": f"{ties} tie(s) count as failures" if ties else None}
    diff = a - b
    floor = stats.noise_floor(a, b)
    win, loss = diff > floor, diff < -floor
    wins, losses = int(win.sum()), int(loss.sum())
    ties, decided = n - wins - losses, wins + losses
    method = ("wins / decided pairs (ties, |difference| <= 1e-9 x the largest |score|, left out and counted); "
              "exact sign test (one-sided); Wilson 95%")
    if decided == 0:
        return {"value": math.nan, "ci_low": math.nan, "ci_high": math.nan, "p": math.nan, "n": n, "ties": ties,
                "method": method, "note": f"undefined: all {n} pairs tie (no preference either way)"}
    # bootstrap of wins / decided: the same resampled pairs for numerator and denominator
    seed_label = c["name"]
    rep_wins = calc.boot_mean(seed_label, win.astype(np.float64))
    rep_decided = calc.boot_mean(seed_label, (win | loss).astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates = np.where(rep_decided > 0, rep_wins / rep_decided, np.nan)
    calc.replicates[c["name"]] = replicates
    boot = stats.percentile_interval(replicates)
    ci = stats.wilson(wins, decided)
    return {"value": wins / decided, "ci_low": ci.low, "ci_high": ci.high, "p": stats.sign_test_greater(wins, losses),
            "n": n, "ties": ties, "boot_low": boot.low, "boot_high": boot.high, "method": method,
            "note": f"{ties} tie(s) of {n} pairs left out: {wins} of {decided} decided pairs" if ties else None}


KIND = ContrastKind(
    name="win_rate", label="win rate", usage="X > Y paired  (or  X > Y paired by index)",
    operands=(Operand("better", CLASS), Operand("worse", CLASS), Operand("pairing", RAW, required=False)),
    plan_args=plan_args,
    describe=lambda c: f"P({c['better']} > {c['worse']}), paired by {c['pairing']}, {c['n_pairs']} pairs",
    schema={"properties": {"better": NAME_REF, "worse": NAME_REF, "pairing": {"enum": ["lineage", "index"]},
                           "n_pairs": {"type": "integer", "minimum": 1}},
            "required": ["better", "worse", "pairing", "n_pairs"]},
    compute=compute,
    audit=("better", "worse"),
    null=0.5,
)
