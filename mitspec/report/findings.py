"""What a report says first: per model, one plain sentence per contrast, in the spec's own
terms (class titles, the MIT paper's names spelled out), resting on the same definitions
as the tables below it: "significant" is q < ALPHA (the report's family), a direction is
the sign of the headline against its null, and a composition verdict is the audit's.

A win rate's test is one-sided (X beats Y); a win rate below one half is tested the other
way too (Y beats X, the exact sign test on the same decided pairs), so an effect in the
opposite direction is said as such, never left as "no preference". A ratio whose interval
spans far more than its value (a denominator near 0) is called unstable.
"""
from __future__ import annotations

import math

from .. import stats
from ..metrics.expectations import reverse_p
from ..planview import PlanView

ALPHA = 0.05
# the MIT paper's names for its statistics (Cheng & Zhang, 2026), spelled out where a spec uses them
PAPER_TERMS = {"CSS": "Compensation Sensitivity Score", "SCR": "Scramble Control Ratio", "MES": "Motif Effect Size",
               "CM": "Compensation Magnitude", "CIR": "Context Independence Ratio"}
PAPER_KINDS = {"CSS": "win_rate", "SCR": "win_rate", "MES": "cohens_d", "CM": "magnitude", "CIR": "ratio"}


def term(name: str, kind: str) -> str:
    """`CSS (Compensation Sensitivity Score)` for the paper's names used for the paper's
    statistic (MES_synthetic: the MES of synthetic sequences); else the name."""
    stem, _, qualifier = name.partition("_")
    if PAPER_KINDS.get(stem) != kind:
        return name
    spelled = PAPER_TERMS[stem] + (f", {qualifier}" if qualifier else "")
    return f"{name} ({spelled})"


def class_label(name: str, titles: dict[str, str]) -> str:
    """`E (Synthetic Compensated)`: a class with the title its spec gave it."""
    title = titles.get(name)
    return f"{name} ({title})" if title and title != name else name


def _number(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.1e}" if x != 0 and (abs(x) < 10 ** -digits or abs(x) >= 1e4) else f"{x:.{digits}f}"


def _q(r: dict) -> str:
    q = r.get("q")
    if q is None:
        return "q not computed"
    return "q < 1e-300" if q == 0 else f"q = {q:.2g}" if q >= 1e-4 else f"q = {q:.1e}"


def _defined(r: dict) -> bool:
    return r.get("value") is not None and not (isinstance(r["value"], float) and math.isnan(r["value"]))


def _significant(r: dict) -> bool:
    return r.get("q") is not None and r["q"] < ALPHA


def unstable(r: dict) -> bool:
    """The record says it is unstable (a ratio whose denominator's interval includes 0), or
    its interval is (stats.unstable_ratio: from negative to positive, far wider than the value)."""
    if (r.get("note") or "").startswith("unstable"):
        return True
    low, high = r.get("ci_low"), r.get("ci_high")
    if low is None or high is None or not _defined(r):
        return False
    return stats.unstable_ratio(r["value"], low, high)


def finding(c: dict, r: dict, titles: dict[str, str], paper: bool = False, denominator: dict | None = None) -> str:
    """One sentence on one model's headline record `r` of contrast `c` (a plan record);
    `denominator`: for a ratio of effects, the model's record of the effect it divides by."""
    name = c["name"]
    if not _defined(r):
        note = r.get("note") or "no value"
        return f"{name}: {note}." if note.startswith("undefined") else f"{name}: undefined ({note})."
    value = r["value"]
    if c["kind"] == "win_rate":
        better, worse = class_label(c["better"], titles), class_label(c["worse"], titles)
        share = f"{100 * value:.0f}% of {'pairs' if paper else 'decided pairs'}"
        if _significant(r):
            return (f"prefers {better} over {worse}: it scores {c['better']} higher in {share} "
                    f"({name}: 95% CI {100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f}%, {_q(r)}).")
        reverse = reverse_p(r, paper) if value < 0.5 else None
        if reverse is not None and reverse < ALPHA:
            return (f"prefers {worse} over {better}, the opposite direction to what {name} tests: {c['better']} "
                    f"scores higher in only {share} ({name}: sign test of the reverse, one-sided, p = {reverse:.2g}).")
        return (f"shows no clear preference between {better} and {worse}: {c['better']} scores higher in "
                f"{share} ({name}: {_q(r)}).")
    if c["kind"] == "cohens_d":
        first, second = class_label(c["first"], titles), class_label(c["second"], titles)
        if _significant(r):
            side = "higher" if value > 0 else "lower"
            return (f"scores {first} {side} than {second} by {abs(value):.2f} standard deviations ({name}: "
                    f"Cohen's d = {_number(value)}, 95% CI {_number(r['ci_low'])} to {_number(r['ci_high'])}, {_q(r)}).")
        return f"shows no clear score difference between {first} and {second} ({name}: d = {_number(value)}, {_q(r)})."
    if c["kind"] in ("magnitude", "ratio", "effect_ratio"):
        interval = ("no interval" if r.get("ci_low") is None
                    else f"95% CI {_number(r['ci_low'])} to {_number(r['ci_high'])}")
        shown = f"{name} = {_number(value)} ({interval})"
        if unstable(r):
            return (f"{shown}: unstable, its denominator comes near 0 for this model (its interval runs from "
                    "negative to positive far beyond the value, or the denominator's own interval includes 0), "
                    "so it says little.")
        if denominator is not None and not _significant(denominator):
            return (f"{shown}: it divides by {denominator['contrast']}, which shows no clear effect for this "
                    "model, so it says little.")
        if c["kind"] == "magnitude":
            return (f"{shown}: going from {c['start']} to {c['end']} recovers {100 * value:.0f}% of the score "
                    f"difference between {c['start']} and {c['toward']}.")
        return f"{shown}."
    if c["kind"] == "profile":
        if _significant(r):
            return f"scores differ across the levels of {c['group']} and peak at {r.get('level')} ({name}: {_q(r)})."
        return f"shows no clear difference across the levels of {c['group']} ({name}: {_q(r)})."
    if c["kind"] == "periodicity":
        if _significant(r):
            return (f"scores rise and fall with a period of {c['period']:g} over the levels of {c['group']} "
                    f"({name}: amplitude {_number(value)}, {_q(r)}).")
        return f"shows no {c['period']:g}-periodic rhythm over the levels of {c['group']} ({name}: {_q(r)})."
    verdict = "significant" if _significant(r) else "not significant"
    note = f"; {r['note']}" if r.get("note") else ""
    return f"{name} = {_number(value)} ({verdict}, {_q(r)}{note})."


def direction(c: dict, r: dict, paper: bool = False) -> str | None:
    """'clear' (an effect in the tested direction, or for a signed effect either sign),
    'opposite' (a win rate significantly reversed), or None."""
    if not _defined(r):
        return None
    if c["kind"] == "win_rate":
        if _significant(r):
            return "clear"
        reverse = reverse_p(r, paper) if r["value"] < 0.5 else None
        return "opposite" if reverse is not None and reverse < ALPHA else None
    if c["kind"] in ("magnitude", "ratio", "effect_ratio"):
        return None  # derived numbers: their sentences say what they are
    return "clear" if _significant(r) else None


def headline(plan: PlanView, rows: dict[tuple[str, str], dict], doc: dict, model: str) -> str:
    """One line per model: its clear effects, those reversed, and what composition explains."""
    paper = doc.get("stats") == "paper"
    audit = {(a["contrast"], a["model"]): a["verdict"] for a in (doc.get("audit") or {}).get("models", [])}
    clear, opposite, explained = [], [], []
    for c in plan.contrasts:
        r = rows.get((c["name"], model))
        if r is None:
            continue
        d = direction(c, r, paper)
        if d == "clear":
            sign = " (negative)" if c["kind"] != "win_rate" and r["value"] < 0 else ""
            clear.append(c["name"] + sign)
            if audit.get((c["name"], model)) == "explained by composition":
                explained.append(c["name"])
        elif d == "opposite":
            opposite.append(c["name"])
    parts = [f"clear effects: {', '.join(clear)}" if clear else "no clear effect"]
    if opposite:
        parts.append(f"opposite direction: {', '.join(opposite)}")
    if explained:
        parts.append(f"explained by composition: {', '.join(explained)}")
    return "; ".join(parts)


def composition_clause(audit_row: dict | None) -> str:
    """The audit's verdict on one model's contrast, as a sentence; '' when there is none."""
    if not audit_row or audit_row["verdict"] == "no effect to explain":
        return ""
    verdict = {"inconclusive": "the data cannot say whether composition explains it (its interval is too wide)"}.get(
        audit_row["verdict"], audit_row["verdict"])
    share = audit_row.get("share")
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return f" Composition: {verdict}."
    return f" Composition predicts {100 * share:.0f}% of it: {verdict}."


def terms(plan: PlanView) -> list[str]:
    """Each contrast defined in words: `CSS (Compensation Sensitivity Score): P(E > D), ...;
    E = Synthetic Compensated, D = Synthetic Broken`."""
    from ..contrasts import KINDS

    titles = plan.titles()
    out = []
    for c in plan.contrasts:
        named = [v for k, v in c.items() if k not in ("name", "kind") and isinstance(v, str) and v in titles]
        legend = "; ".join(f"{n} = {titles[n]}" for n in dict.fromkeys(named) if titles[n] and titles[n] != n)
        out.append(f"{term(c['name'], c['kind'])}: {KINDS[c['kind']].describe(c)}" + (f"; {legend}" if legend else ""))
    return out


def model_findings(plan: PlanView, rows: dict[tuple[str, str], dict], doc: dict, model: str) -> list[str]:
    """Sentences for one model, one per contrast, in plan order; `rows` maps
    (contrast, model) to headline records."""
    titles = plan.titles()
    audit = {(a["contrast"], a["model"]): a for a in (doc.get("audit") or {}).get("models", [])}
    paper = doc.get("stats") == "paper"
    out = []
    for c in plan.contrasts:
        r = rows.get((c["name"], model))
        if r is None:
            continue
        denominator = rows.get((c["denominator"], model)) if c["kind"] == "ratio" else None
        out.append(finding(c, r, titles, paper, denominator) + composition_clause(audit.get((c["name"], model))))
    return out
