"""Expectations judged per model: pass, fail or undetermined, each on one stated rule.

- direction (`expect CSS`, `expect E > D`): a win rate passes when q < ALPHA and it is
  above 1/2, fails when the exact sign test of the reverse (the same decided pairs,
  one-sided) has p < ALPHA; a signed effect with a q passes or fails by its sign when
  q < ALPHA; one without a test (magnitude, ratio) by whether its 95% interval lies above
  or below the kind's null. Anything else is undetermined.
- above V / below V: the 95% interval lies wholly beyond V (pass) or wholly on the other
  side (fail); an unstable ratio, or an interval holding V, is undetermined.
- peak A..B: the profile's level effect has q < ALPHA and its peak lies in A..B (pass) or
  outside (fail); without a level effect, undetermined.
- periodic: the periodicity test has q < ALPHA (pass); otherwise undetermined (no
  rhythm found is not evidence of none).

The `oracle` is the positive control: an expectation it does not pass cannot be detected
by this design (or the declared grammar does not imply it), and is flagged uninformative.
"""
from __future__ import annotations

import math

from .. import stats
from ..contrasts import KINDS
from ..planview import PlanView

ALPHA = 0.05
CONTROL = "oracle"


def _number(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def reverse_p(r: dict, paper: bool = False) -> float | None:
    """One-sided exact sign-test p that the contrast's *second* class wins, from a win
    rate's value, pairs and ties (sound: ties left out; paper: ties were failures)."""
    value, n, ties = _number(r.get("value")), r.get("n") or 0, r.get("ties") or 0
    decided = n if paper else n - ties
    if value is None or decided <= 0:
        return None
    wins = round(value * decided)
    losses = (n - ties - wins) if paper else decided - wins
    return stats.sign_test_greater(losses, wins) if wins + losses > 0 else None


def _significant(r: dict) -> bool:
    q = _number(r.get("q"))
    return q is not None and q < ALPHA


def _by_interval(r: dict, threshold: float, above: bool) -> tuple[str, str]:
    low, high, value = _number(r.get("ci_low")), _number(r.get("ci_high")), _number(r.get("value"))
    if value is None:
        return "undetermined", "no value"
    if (r.get("note") or "").startswith("unstable") or low is None or high is None:
        return "undetermined", f"{value:.3g}, no stable interval"
    shown = f"{value:.3g} [{low:.3g}, {high:.3g}]"
    if low > threshold:
        return ("pass" if above else "fail"), f"{shown} above {threshold:g}"
    if high < threshold:
        return ("fail" if above else "pass"), f"{shown} below {threshold:g}"
    return "undetermined", f"{shown} holds {threshold:g}"


def judge(expectation: dict, r: dict | None, paper: bool = False) -> tuple[str, str]:
    """(verdict, why) of one expectation on one model's headline record of its contrast."""
    if r is None:
        return "undetermined", "not computed for this model"
    kind, value = expectation["kind"], _number(r.get("value"))
    if kind == "direction":
        if r["kind"] == "win_rate":
            if value is None:
                return "undetermined", r.get("note") or "no value"
            if _significant(r) and value > 0.5:
                return "pass", f"{value:.2f} of decided pairs, q = {r['q']:.2g}"
            reverse = reverse_p(r, paper) if value < 0.5 else None
            if reverse is not None and reverse < ALPHA:
                return "fail", f"{value:.2f}: the reverse holds (sign test p = {reverse:.2g})"
            return "undetermined", f"{value:.2f}, q = {_number(r.get('q')) or float('nan'):.2g}"
        if _number(r.get("q")) is not None:
            if value is None or not _significant(r):
                return "undetermined", "no clear effect" if value is None else f"{value:.3g}, q = {r['q']:.2g}"
            return ("pass" if value > 0 else "fail"), f"{value:.3g}, q = {r['q']:.2g}"
        return _by_interval(r, KINDS[r["kind"]].null, True)
    if kind in ("above", "below"):
        return _by_interval(r, expectation["low"] if kind == "above" else expectation["high"], kind == "above")
    if kind == "peak":
        if not _significant(r):
            return "undetermined", "no level effect (q >= 0.05)"
        try:
            level = float(r.get("level"))
        except (TypeError, ValueError):
            return "undetermined", f"the peak level {r.get('level')!r} is not a number"
        inside = expectation["low"] <= level <= expectation["high"]
        return ("pass" if inside else "fail"), f"peak at {level:g}, q = {r['q']:.2g}"
    if kind == "periodic":
        return ("pass", f"q = {r['q']:.2g}") if _significant(r) else ("undetermined", "no periodicity found")
    raise ValueError(f"unknown expectation kind {kind!r}")


def judge_all(plan: PlanView, results: list[dict], models: list[str], paper: bool = False) -> list[dict]:
    """One record per expectation: its text, per model {verdict, why}, the oracle's
    verdict as the positive control (None when the oracle was not run) and `informative`."""
    headline = {(r["contrast"], r["model"]): r for r in results}
    out = []
    for e in plan.expectations:
        verdicts = {m: dict(zip(("verdict", "why"), judge(e, headline.get((e["contrast"], m)), paper)))
                    for m in models}
        control = verdicts.get(CONTROL, {}).get("verdict")
        out.append({**e, "results": verdicts, "control": control,
                    "informative": None if control is None else control == "pass"})
    return out
