"""The report's plain-language findings (report/findings.py): each sentence rests on the
same record the tables show, says a reversed effect as reversed, and calls a ratio whose
interval straddles zero far beyond its value (stats.unstable_ratio) unstable."""
import math

import pytest
from scipy import stats as scipy_stats

from mitspec.metrics.expectations import reverse_p
from mitspec.planview import PlanView
from mitspec.report import findings

CSS = {"name": "CSS", "kind": "win_rate", "better": "E", "worse": "D", "pairing": "lineage", "n_pairs": 100}
MES = {"name": "MES_synthetic", "kind": "cohens_d", "first": "C", "second": "D"}
CM = {"name": "CM", "kind": "magnitude", "start": "D", "end": "E", "toward": "C"}
CIR = {"name": "CIR", "kind": "ratio", "numerator": "MES_synthetic", "denominator": "MES_natural"}
TITLES = {"C": "Synthetic Intact", "D": "Synthetic Broken", "E": "Synthetic Compensated"}


def record(value, q=None, p=None, low=None, high=None, n=100, ties=0, note=None, contrast="CSS"):
    return {"contrast": contrast, "value": value, "q": q, "p": p, "ci_low": low, "ci_high": high, "n": n,
            "ties": ties, "note": note}


def test_a_clear_win_rate_names_both_classes_by_their_titles():
    text = findings.finding(CSS, record(0.93, q=5.5e-20, low=0.86, high=0.97), TITLES)
    assert text.startswith("prefers E (Synthetic Compensated) over D (Synthetic Broken): it scores E higher in 93%")
    assert "95% CI 86-97%" in text and "q = 5.5e-20" in text


def test_a_win_rate_far_below_one_half_is_said_as_the_opposite_direction():
    """5 wins of 100 decided pairs: the one-sided test of 'E beats D' gives p near 1 (q 1.0),
    which used to read as no preference; the reverse's exact sign test (scipy's binomtest,
    95 of 100, one-sided) is what the sentence quotes."""
    r = record(0.05, q=1.0, p=1.0, low=0.02, high=0.11)
    text = findings.finding(CSS, r, TITLES)
    expected = scipy_stats.binomtest(95, 100, 0.5, alternative="greater").pvalue
    assert text.startswith("prefers D (Synthetic Broken) over E (Synthetic Compensated), the opposite direction")
    assert f"p = {expected:.2g}" in text
    assert reverse_p(r, paper=False) == pytest.approx(expected, rel=1e-9)
    assert findings.direction(CSS, r) == "opposite"


def test_ties_are_left_out_of_the_reverse_test_in_sound_mode_and_counted_as_losses_in_paper_mode():
    # sound: value 0.2 of 50 decided pairs (50 ties): 10 wins, 40 losses
    sound = reverse_p(record(0.2, n=100, ties=50), paper=False)
    assert sound == pytest.approx(scipy_stats.binomtest(40, 50, 0.5, alternative="greater").pvalue, rel=1e-9)
    # paper: value 0.1 of all 100 pairs with 50 ties: 10 wins, 40 losses, ties dropped by the sign test
    paper = reverse_p(record(0.1, n=100, ties=50), paper=True)
    assert paper == pytest.approx(scipy_stats.binomtest(40, 50, 0.5, alternative="greater").pvalue, rel=1e-9)


def test_a_win_rate_near_one_half_is_no_clear_preference():
    text = findings.finding(CSS, record(0.62, q=0.059, n=50, low=0.48, high=0.74), TITLES)
    assert text.startswith("shows no clear preference between E (Synthetic Compensated) and D (Synthetic Broken)")
    assert findings.direction(CSS, record(0.62, q=0.059, n=50)) is None


def test_an_undefined_value_says_why_once():
    text = findings.finding(CSS, record(math.nan, note="undefined: all 50 pairs tie (no preference either way)"), TITLES)
    assert text == "CSS: undefined: all 50 pairs tie (no preference either way)."


def test_cohens_d_says_which_class_scores_higher():
    lower = findings.finding(MES, record(-0.06, q=0.01, low=-0.10, high=-0.02, contrast="MES_synthetic"), TITLES)
    assert lower.startswith("scores C (Synthetic Intact) lower than D (Synthetic Broken) by 0.06 standard deviations")
    assert findings.finding(MES, record(0.03, q=0.28, contrast="MES_synthetic"), TITLES).startswith(
        "shows no clear score difference")


def test_the_issues_unstable_magnitude_is_called_unstable_and_a_stable_one_is_read_out():
    """CM 12.29 [-59.14, 69.54] (issue 29) was shown with no note."""
    assert "unstable" in findings.finding(CM, record(12.29, low=-59.14, high=69.54, contrast="CM"), TITLES)
    stable = findings.finding(CM, record(1.06, low=1.01, high=1.12, contrast="CM"), TITLES)
    assert "unstable" not in stable and "recovers 106% of the score difference between D and C" in stable
    # a wide interval that keeps its sign is uncertain, not unstable
    assert not findings.unstable(record(2.56, low=1.51, high=6.68))


def test_a_ratio_over_an_effect_that_is_not_there_says_so():
    denominator = record(0.03, q=0.28, contrast="MES_natural")
    text = findings.finding(CIR, record(-2.22, contrast="CIR"), TITLES, denominator=denominator)
    assert "it divides by MES_natural, which shows no clear effect" in text


def test_paper_names_are_spelled_out_only_for_the_statistic_they_name():
    assert findings.term("CSS", "win_rate") == "CSS (Compensation Sensitivity Score)"
    assert findings.term("MES_natural", "cohens_d") == "MES_natural (Motif Effect Size, natural)"
    assert findings.term("CSS", "cohens_d") == "CSS"  # a spec's own CSS that is not the paper's
    assert findings.term("spacing", "profile") == "spacing"


def test_terms_define_each_contrast_with_its_class_titles():
    plan = PlanView.from_meta({"classes": [{"name": k, "title": v} for k, v in TITLES.items()], "contrasts": [CSS, CM]})
    css, cm = findings.terms(plan)
    assert css == ("CSS (Compensation Sensitivity Score): P(E > D), paired by lineage, 100 pairs; "
                   "E = Synthetic Compensated; D = Synthetic Broken")
    assert cm == ("CM (Compensation Magnitude): (mean E - mean D) / (mean C - mean D); D = Synthetic Broken; "
                  "E = Synthetic Compensated; C = Synthetic Intact")


def test_headline_lists_clear_reversed_and_explained_effects():
    plan = PlanView.from_meta({"classes": [], "contrasts": [CSS, MES]})
    rows = {("CSS", "m"): record(0.05, q=1.0), ("MES_synthetic", "m"): record(-0.4, q=0.001, contrast="MES_synthetic")}
    doc = {"stats": "sound", "audit": {"models": [{"contrast": "MES_synthetic", "model": "m",
                                                   "verdict": "explained by composition", "share": 0.97}]}}
    assert findings.headline(plan, rows, doc, "m") == (
        "clear effects: MES_synthetic (negative); opposite direction: CSS; explained by composition: MES_synthetic")
    sentences = findings.model_findings(plan, rows, doc, "m")
    assert sentences[1].endswith("Composition predicts 97% of it: explained by composition.")
