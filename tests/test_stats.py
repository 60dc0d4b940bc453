"""Statistics by hand and against the published MIT table."""
import math

import numpy as np
import pytest

from mitspec import stats


def test_sign_test_by_hand():
    # 3 wins, 0 losses: P(X >= 3 | n=3) = 1/8. 2 wins, 1 loss: (3 + 1) / 8 = 0.5.
    assert stats.sign_test_greater(3, 0) == 0.125
    assert stats.sign_test_greater(2, 1) == 0.5
    assert stats.sign_test_greater(0, 0) == 1.0  # all ties: no evidence either way


def test_wilson_by_hand():
    # 8/10, z = 1.96: centre (0.8 + 3.8416 / 20) / (1 + 3.8416 / 10) = 0.99208 / 1.38416 = 0.716738;
    # half-width 1.96 * sqrt(0.016 + 3.8416 / 400) / 1.38416 = 1.96 * 0.160012 / 1.38416 = 0.226581
    # -> [0.490157, 0.943319].
    low, high = stats.wilson(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert stats.wilson(0, 100).low == 0.0 and stats.wilson(100, 100).high == 1.0


def test_published_p_values_follow_from_the_one_sample_t_test():
    """MIT.md's table: CSS 0.63 -> p 0.0043, 0.60 -> 0.0225, 0.54 -> 0.213, 0.52 -> 0.346,
    0.49 -> 0.579 (n = 100 pairs, one-sided one-sample t-test of the 0/1 outcomes vs 0.5)."""
    published = {63: 0.0043, 60: 0.0225, 54: 0.213, 52: 0.346, 49: 0.579}
    for wins, p in published.items():
        outcomes = np.r_[np.ones(wins), np.zeros(100 - wins)]
        assert stats.ttest_one_sample_greater(outcomes, 0.5) == pytest.approx(p, abs=0.0006)


def test_published_fdr_follows_from_bh_across_eight_scorers():
    """MIT.md: BH across eight scorers' CSS tests turns HyenaDNA's 0.0043 into 0.034, Evo2's
    0.0225 into 0.090, NT's 0.213 into 0.569, GROVER's 0.346 into 0.691 and Caduceus's
    0.579 into 0.772. These follow with m = 8 from the five published p-values, random
    (CSS 0.50: t = 0, p = 0.5), the 6-mer (CSS 0.43: p = 0.919) and an eighth test with
    p = 1 (a scorer with CSS 0.00, such as the NoComp ablation). A scorer with CSS 1.00 has
    p = 0 and would halve HyenaDNA's q, so PA-PWM and RPA-PWM were not in that family.
    Tolerance 0.002: the published p-values are rounded to three figures."""
    p = np.array([0.0043, 0.0225, 0.213, 0.346, 0.579, 0.5, 0.919, 1.0])
    q = stats.benjamini_hochberg(p)
    np.testing.assert_allclose(q[:5], [0.034, 0.090, 0.569, 0.691, 0.772], atol=0.002)
    assert stats.ttest_one_sample_greater(np.r_[np.ones(43), np.zeros(57)], 0.5) == pytest.approx(0.919, abs=0.001)


def test_bh_by_hand():
    # p = 0.01, 0.04, 0.03 (m = 3): sorted 0.01, 0.03, 0.04 -> 0.03, 0.045, 0.04 -> monotone 0.03, 0.04, 0.04
    np.testing.assert_allclose(stats.benjamini_hochberg(np.array([0.01, 0.04, 0.03])), [0.03, 0.04, 0.04])
    q = stats.benjamini_hochberg(np.array([0.01, np.nan]))
    assert q[0] == 0.01 and math.isnan(q[1])  # NaN is not a member of the family


def test_cohens_d_by_hand():
    # [1, 2, 3] vs [2, 3, 4]: means differ by -1, both variances 1, pooled SD 1 -> d = -1.
    assert stats.cohens_d(np.array([1, 2, 3]), np.array([2, 3, 4])) == -1.0
    # [0, 2] vs [0, 0, 0]: mean diff 1, variances 2 and 0, pooled sqrt((1*2 + 2*0)/3) -> 1/sqrt(2/3)
    assert stats.cohens_d(np.array([0, 2]), np.array([0, 0, 0])) == pytest.approx(1 / math.sqrt(2 / 3))
    assert math.isnan(stats.cohens_d(np.array([1, 1]), np.array([2, 2])))


def test_bootstrap_is_seeded_and_reproducible():
    a = stats.bootstrap_indices(7, 50, 1000)
    assert np.array_equal(a, stats.bootstrap_indices(7, 50, 1000))
    assert not np.array_equal(a, stats.bootstrap_indices(8, 50, 1000))


def test_published_bootstrap_interval_is_reproduced_approximately():
    # MIT.md: HyenaDNA CSS 0.63 with 95% CI 0.53-0.73 (percentile bootstrap, 1000 resamples).
    # With 63 ones in 100 the bootstrap SD is sqrt(0.63 * 0.37 / 100) = 0.048: the interval is
    # about 0.63 +/- 0.095; any seed lands within 0.02 of the published bounds.
    outcomes = np.r_[np.ones(63), np.zeros(37)]
    replicates = outcomes[stats.bootstrap_indices(42, 100, 1000)].mean(axis=1)
    low, high = stats.percentile_interval(replicates)
    assert abs(low - 0.53) <= 0.02 and abs(high - 0.73) <= 0.02


def test_t_distribution_tail_by_hand():
    # df = 1 is the Cauchy distribution: P(T > 1) = 1/2 - atan(1)/pi = 0.25
    assert stats.t_sf(1.0, 1) == pytest.approx(0.25, abs=1e-12)
    # df = 2 has a closed form: P(T > t) = 1/2 - t / (2 sqrt(t^2 + 2)); t = 1 -> 0.5 - 1/(2 sqrt 3)
    assert stats.t_sf(1.0, 2) == pytest.approx(0.5 - 1 / (2 * math.sqrt(3)), abs=1e-12)
    assert stats.t_sf(-1.0, 2) == pytest.approx(0.5 + 1 / (2 * math.sqrt(3)), abs=1e-12)


def test_sign_test_past_the_exact_limit_matches_the_exact_binomial_sum():
    """Beyond EXACT_SIGN_TEST pairs the tail comes from the incomplete beta; the reference
    here is the exact sum of binomial terms, computed with integers in the test."""
    import math

    n = stats.EXACT_SIGN_TEST + 501
    for wins in (n // 2 - 60, n // 2, n // 2 + 17, n // 2 + 90):
        exact = sum(math.comb(n, k) for k in range(wins, n + 1)) / 2 ** n
        assert stats.sign_test_greater(wins, n - wins) == pytest.approx(exact, rel=1e-10)
    assert stats.sign_test_greater(0, n) == 1.0


def test_bootstrap_means_equal_the_full_index_matrix_whatever_the_block(monkeypatch):
    """bootstrap_means draws its indices a block of rows at a time; the numbers must be
    the ones the whole (resamples, n) matrix gives, or every CI in a large plan would move."""
    values = np.random.default_rng(1).normal(size=37)
    expected = values[stats.bootstrap_indices(99, 37, 250)].mean(axis=1)
    for block in (37, 100, 37 * 250, 1 << 22):  # one row, rows straddling, all at once
        monkeypatch.setattr(stats, "BOOTSTRAP_BLOCK", block)
        assert np.array_equal(stats.bootstrap_means(99, values, 250), expected)


def test_a_spread_that_is_float_noise_is_no_spread():
    """Issue 26: cohens_d(np.full(100, 0.1), np.zeros(100)) was 5.1e15, because the pooled
    SD of 100 copies of 0.1 is 1.9e-17 of float noise, not 0; so was Pearson's r."""
    assert math.isnan(stats.cohens_d(np.full(100, 0.1), np.zeros(100)))
    assert math.isnan(stats.pearson(np.arange(10.0), np.full(10, 0.1) + np.arange(10) * 1e-18))
    rows = stats.cohens_d_rows(np.full((3, 100), 0.1), np.zeros((3, 100)))
    assert np.isnan(rows).all()
    # a real spread, however small against the scores' scale at 1e-6, is kept
    assert math.isfinite(stats.cohens_d(np.full(100, 0.1) + np.arange(100) * 1e-6, np.zeros(100) + 1e-6))
    # paired differences of float noise are no difference: nothing to test
    a = np.full(50, 140.1)
    assert math.isnan(stats.ttest_two_sided((a + 1e-13) - a, floor=stats.noise_floor(a)))
    assert stats.ttest_two_sided(np.full(20, 2.0)) == 0.0  # every pair shifted by the same real amount


def test_win_rate_tests_against_scipy():
    """The sign test and Wilson interval the win rate uses, against scipy (a reference we did not write)."""
    scipy_stats = pytest.importorskip("scipy.stats")
    for wins, losses in ((30, 10), (31, 6), (63, 37), (5, 0)):
        assert stats.sign_test_greater(wins, losses) == pytest.approx(
            scipy_stats.binomtest(wins, wins + losses, 0.5, alternative="greater").pvalue, rel=1e-10)
        ci = scipy_stats.binomtest(wins, wins + losses).proportion_ci(method="wilson")
        assert tuple(stats.wilson(wins, wins + losses)) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_unstable_ratio_is_an_interval_across_zero_far_wider_than_the_value():
    """Issue 29's CM 12.29 [-59.14, 69.54] is unstable; an interval that keeps its sign
    (CIR 2.56 [1.51, 6.68]) or is narrow around a small value is not; no interval, no call."""
    assert stats.unstable_ratio(12.29, -59.14, 69.54)
    assert not stats.unstable_ratio(2.56, 1.51, 6.68)
    assert not stats.unstable_ratio(0.1, -0.5, 0.7)
    assert not stats.unstable_ratio(1.0, math.nan, math.nan)
