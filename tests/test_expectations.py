"""Expectations judged per model (metrics/expectations.py), and the declared grammar as
the positive control: the oracle must pass what the grammar implies, and without the
grammar a positional expectation is undetermined for it, so the report flags it."""
import json

import pytest
from click.testing import CliRunner
from scipy import stats as scipy_stats

from mitspec.cli import main
from mitspec.metrics.expectations import judge, reverse_p

WIN = {"kind": "win_rate", "contrast": "W"}


def rec(value, q=None, low=None, high=None, n=100, ties=0, note=None, kind="win_rate", level=None):
    return {"kind": kind, "value": value, "q": q, "ci_low": low, "ci_high": high, "n": n, "ties": ties,
            "note": note, "level": level}


@pytest.mark.parametrize("record, verdict", [
    (rec(0.93, q=1e-9), "pass"),
    (rec(0.62, q=0.06), "undetermined"),
    (rec(0.05, q=1.0), "fail"),  # the reverse: 95 of 100, sign test p ~ 6e-25
    (rec(0.45, q=1.0), "undetermined"),  # the reverse: 55 of 100, p = 0.18
])
def test_a_win_rate_direction(record, verdict):
    assert judge({"kind": "direction"}, record)[0] == verdict


def test_the_reverse_test_is_scipys_binomial_test():
    assert reverse_p(rec(0.3, n=60, ties=10)) == pytest.approx(
        scipy_stats.binomtest(35, 50, 0.5, alternative="greater").pvalue, rel=1e-9)


@pytest.mark.parametrize("record, verdict", [
    (rec(0.4, q=0.001, kind="cohens_d"), "pass"), (rec(-0.4, q=0.001, kind="cohens_d"), "fail"),
    (rec(0.4, q=0.2, kind="cohens_d"), "undetermined"),
    (rec(1.06, low=1.01, high=1.12, kind="magnitude"), "pass"),  # no test: the interval against the null 0
    (rec(12.29, low=-59.14, high=69.54, kind="magnitude"), "undetermined"),
])
def test_a_signed_effect_direction(record, verdict):
    assert judge({"kind": "direction"}, record)[0] == verdict


def test_thresholds_are_judged_by_the_interval():
    above = {"kind": "above", "low": 0.7, "high": None}
    assert judge(above, rec(0.9, low=0.8, high=0.95))[0] == "pass"
    assert judge(above, rec(0.5, low=0.4, high=0.6))[0] == "fail"
    assert judge(above, rec(0.7, low=0.6, high=0.8))[0] == "undetermined"
    below = {"kind": "below", "low": None, "high": 0.0}
    assert judge(below, rec(-0.5, low=-0.9, high=-0.2, kind="cohens_d"))[0] == "pass"
    assert judge(above, rec(2.0, low=1.0, high=3.0, note="unstable: ..."))[0] == "undetermined"


def test_a_peak_needs_a_level_effect_and_a_level_in_range():
    peak = {"kind": "peak", "low": 16, "high": 18}
    assert judge(peak, rec(17.0, q=0.001, kind="profile", level="17"))[0] == "pass"
    assert judge(peak, rec(21.0, q=0.001, kind="profile", level="21"))[0] == "fail"
    assert judge(peak, rec(None, q=0.4, kind="profile"))[0] == "undetermined"


def test_periodicity_passes_or_is_undetermined_never_fails():
    assert judge({"kind": "periodic"}, rec(0.8, q=0.01, kind="periodicity"))[0] == "pass"
    assert judge({"kind": "periodic"}, rec(0.1, q=0.7, kind="periodicity"))[0] == "undetermined"


SPACING = """
benchmark "spacing" seed 3 length 100
background bg = iid(A=0.28, C=0.22, G=0.22, T=0.28)
layout sigma70 { minus35 at 30..36  minus10 at 53..59 }
motif minus35 = "TTGACA"
motif minus10 = "TATAAT"
class S "spacer" n=40 on bg {
  place minus35 at sigma70.minus35
  place minus10 at sigma70.minus10
  sweep spacer over 13..21
}
contrast SPACING = profile(S, reference=17)
contrast BEST = S[17] > S[13] paired
expect peak(SPACING) in 16..18
expect S[17] > S[13]
"""


def _run(tmp_path, text, name):
    spec = tmp_path / f"{name}.mit"
    spec.write_text(text)
    out = tmp_path / name
    result = CliRunner().invoke(main, ["run", str(spec), "-m", "oracle", "-m", "pa_pwm", "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    return json.loads((out / "metrics.json").read_text()), (out / "report.md").read_text()


def test_the_declared_spacing_makes_the_oracle_a_positive_control_that_agrees_with_pa_pwm(tmp_path):
    declared, report = _run(tmp_path, SPACING + "grammar { spacing minus35 .. minus10 = 17 +/- 1 }\n", "declared")
    for e in declared["expectations"]:
        assert e["results"]["oracle"]["verdict"] == "pass" and e["informative"], e
        assert e["results"]["pa_pwm"]["verdict"] == "pass", e  # pa_pwm encodes sigma70's 17 bp itself
    assert report.index("## Expectations") < report.index("## Findings") < report.index("## Summary")
    assert "Uninformative here" not in report


def test_without_the_grammar_the_oracle_cannot_see_spacing_and_the_report_says_so(tmp_path):
    bare, report = _run(tmp_path, SPACING, "bare")
    peak, pair = bare["expectations"]
    assert peak["control"] == "undetermined" and peak["informative"] is False
    assert pair["control"] == "undetermined"  # every pair ties: the oracle reads the motifs, not their spacing
    assert "| expect peak(SPACING) in 16..18 | pass | ?: uninformative |" in report
    assert "Uninformative here: the oracle (the positive control) shows no clear effect on SPACING, BEST" in report
