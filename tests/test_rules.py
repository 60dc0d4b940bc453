"""The declared grammar's rules as the oracle scores them (models/baselines/rules.py),
each checked by hand on positions whose answer is known."""
import math

import numpy as np
import pytest

from mitspec.models.baselines.rules import Placed, gauss, rule_scores


def at(*starts, width=6, strand="+", present=None, motif=None):
    n = len(starts)
    return Placed(np.array(starts), width, strand, np.ones(n, bool) if present is None else np.array(present), motif)


def rule(kind, *names, value=None, tolerance=None, phase=None, within=None, weight=1.0):
    return {"rule": kind, "names": list(names), "value": value, "tolerance": tolerance, "phase": phase,
            "within": within, "weight": weight}


def test_spacing_is_full_at_the_preferred_gap_and_falls_as_a_gaussian_of_the_tolerance():
    # -35 box at 30..36; -10 boxes at 53 (gap 17), 54 (18), 57 (21): by hand exp(-d^2/2) with sigma 1
    placed = {"m35": at(30, 30, 30), "m10": at(53, 54, 57)}
    got = rule_scores([rule("spacing", "m35", "m10", value=17, tolerance=1)], placed, None, 3)
    np.testing.assert_allclose(got, [1.0, math.exp(-0.5), math.exp(-8.0)])


def test_a_zero_tolerance_still_has_half_a_base_of_width():
    assert gauss(np.array([1.0]), 0)[0] == pytest.approx(math.exp(-2.0))


def test_position_reads_from_the_origin_when_the_class_has_one():
    placed = {"tata": at(69, 72)}
    got = rule_scores([rule("position", "tata", value=-31, tolerance=2)], placed, 100, 2)
    np.testing.assert_allclose(got, [1.0, math.exp(-0.5 * (3 / 2) ** 2)])


def test_orientation_credits_the_declared_strand_only():
    plus = rule_scores([rule("orientation", "a", value=1.0)], {"a": at(5, strand="+")}, None, 1)
    minus = rule_scores([rule("orientation", "a", value=1.0)], {"a": at(5, strand="-")}, None, 1)
    assert plus.tolist() == [1.0] and minus.tolist() == [0.0]


def test_period_is_the_mean_cosine_of_the_copies_phase_from_the_first():
    # copies 10.5 bp apart (rounded 30, 40, 51) are nearly in phase; a copy shifted by half a
    # turn (45) is out of phase: by hand (cos(2pi 10/10.5) + cos(2pi 21/10.5)) / 2 and cos(2pi 15/10.5) ...
    copies = {"w1": at(30, 30, motif="ww"), "w2": at(40, 45, motif="ww"), "w3": at(51, 51, motif="ww")}
    got = rule_scores([rule("period", "ww", value=10.5)], copies, None, 2)
    in_phase = (math.cos(2 * math.pi * 10 / 10.5) + math.cos(2 * math.pi * 21 / 10.5)) / 2
    shifted = (math.cos(2 * math.pi * 15 / 10.5) + math.cos(2 * math.pi * 21 / 10.5)) / 2
    np.testing.assert_allclose(got, [in_phase, shifted])
    assert got[0] > 0.9 > got[1]


def test_period_with_a_phase_reads_every_copy_from_the_origin():
    got = rule_scores([rule("period", "ww", value=10.0, phase=5)], {"w": at(15, 20, motif="ww")}, 0, 2)
    np.testing.assert_allclose(got, [1.0, -1.0], atol=1e-12)


def test_cooperative_needs_both_present_and_close():
    placed = {"a": at(10, 10, 10, present=[True, True, False]), "b": at(30, 60, 30)}
    got = rule_scores([rule("cooperative", "a", "b", within=25)], placed, None, 3)
    assert got.tolist() == [1.0, 0.0, 0.0]


def test_a_rule_about_an_element_a_class_lacks_adds_nothing_and_an_absent_site_gets_no_credit():
    assert rule_scores([rule("spacing", "a", "b", value=5)], {"a": at(0)}, None, 1).tolist() == [0.0]
    broken = {"a": at(0, present=[False]), "b": at(11)}
    assert rule_scores([rule("spacing", "a", "b", value=5)], broken, None, 1).tolist() == [0.0]


def test_weights_scale_each_rule():
    placed = {"a": at(0), "b": at(11)}
    got = rule_scores([rule("spacing", "a", "b", value=5, weight=4.0), rule("orientation", "a", value=1.0, weight=2.5)],
                      placed, None, 1)
    assert got.tolist() == [6.5]
