"""Statistics for MIT contrasts, in numpy and the standard library (no scipy).

Win rates use the exact one-sided sign test (binomial, p = 1/2) on the pairs that are
not tied, a Wilson 95% interval, and a percentile paired bootstrap. Effect sizes use
Cohen's d with a pooled SD. `ttest_one_sample_greater` reproduces the published
computation (one-sided one-sample t-test of the 0/1 outcomes against 0.5).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

Z95 = 1.959963984540054  # standard normal 97.5% quantile
# Scores are known to about 9 significant digits of their own scale: a spread or a
# difference below RESOLUTION x max|score| is float noise (the pooled SD of 100 copies of
# 0.1 is 1.9e-17, not 0), so statistics that divide by it are undefined, not 1e15.
RESOLUTION = 1e-9
EXACT_SIGN_TEST = 2000  # pairs up to which the sign test sums binomial terms exactly


class Interval(NamedTuple):
    low: float
    high: float


def unstable_ratio(value: float, low: float, high: float) -> bool:
    """A ratio's percentile interval that runs from negative to positive and is more than
    four times as wide as the value's size (and at least 2 wide): its denominator comes
    near 0 in some resamples, so the value says little. False when the interval is missing."""
    if any(x is None or math.isnan(x) for x in (value, low, high)):
        return False
    return low < 0 < high and (high - low) > max(2.0, 4 * abs(value))


def noise_floor(*arrays) -> float:
    """RESOLUTION x the largest finite |value| in `arrays`: spreads and differences at or
    below it are float noise of those values (0 when they are all 0 or empty)."""
    scale = 0.0
    for a in arrays:
        a = np.asarray(a, dtype=np.float64)
        finite = np.abs(a[np.isfinite(a)])
        if finite.size:
            scale = max(scale, float(finite.max()))
    return RESOLUTION * scale


# ---- tests ------------------------------------------------------------------------------
def sign_test_greater(wins: int, losses: int) -> float:
    """P(X >= wins) for X ~ Binomial(wins + losses, 1/2): exact, one-sided (H1: wins favoured).
    Ties are not part of n: they carry no information about direction. n = 0 gives 1.
    Up to EXACT_SIGN_TEST pairs the sum is exact integer arithmetic; beyond, where that
    sum costs O(n^2) digit work (minutes at 10^5 pairs), it is the same tail as the
    regularized incomplete beta I_1/2(wins, losses + 1), to about 1e-12 relative."""
    n = wins + losses
    if n == 0 or wins == 0:
        return 1.0
    if n > EXACT_SIGN_TEST:
        return betainc(float(wins), float(losses + 1), 0.5)
    tail = sum(math.comb(n, k) for k in range(wins, n + 1))
    return float(tail / 2 ** n)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with df degrees of freedom."""
    if math.isnan(t):
        return math.nan
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return tail if t > 0 else 1.0 - tail


def ttest_one_sample_greater(values: np.ndarray, mu: float) -> float:
    """One-sided one-sample t-test, H1: mean > mu (the published protocol on 0/1 outcomes)."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n < 2:
        return math.nan
    sd = values.std(ddof=1)
    if sd == 0:
        return 0.0 if values.mean() > mu else 1.0
    return t_sf((values.mean() - mu) / (sd / math.sqrt(n)), n - 1)


def ttest_two_sided(first: np.ndarray, second: np.ndarray | None = None, floor: float | None = None) -> float:
    """Two-sided t-test: paired (second None: `first` holds the differences) or Welch.
    `floor`: the spread below which values are float noise (noise_floor of the scores the
    differences came from; default: of the arguments). No spread: NaN when there is no
    difference either (nothing to test), 0 when every value differs by the same amount."""
    a = np.asarray(first, dtype=np.float64)
    if second is None:
        floor = noise_floor(a) if floor is None else floor
        n, sd = len(a), a.std(ddof=1) if len(a) > 1 else math.nan
        if n < 2:
            return math.nan
        if sd <= floor:
            return math.nan if abs(a.mean()) <= floor else 0.0
        return 2 * t_sf(abs(a.mean()) / (sd / math.sqrt(n)), n - 1)
    b = np.asarray(second, dtype=np.float64)
    floor = noise_floor(a, b) if floor is None else floor
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if math.sqrt(va + vb) <= floor:
        return math.nan if abs(a.mean() - b.mean()) <= floor else 0.0
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return 2 * t_sf(abs(t), df)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted q-values; NaN p-values are left out of the family and stay NaN."""
    p = np.asarray(p, dtype=np.float64)
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    order = np.argsort(p[ok], kind="stable")
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q


# ---- intervals ----------------------------------------------------------------------------
def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    if n == 0:
        return Interval(math.nan, math.nan)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # the bounds are exactly 0 (no successes) and 1 (no failures); rounding would leave 1e-18
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(low, high)


def bootstrap_indices(seed: int, n: int, resamples: int) -> np.ndarray:
    """(resamples, n) indices drawn with replacement from a generator seeded by `seed`."""
    return np.random.Generator(np.random.PCG64(seed)).integers(0, n, size=(resamples, n))


BOOTSTRAP_BLOCK = 1 << 22  # indices drawn at once by bootstrap_means (32 MB)


def bootstrap_means(seed: int, values: np.ndarray, resamples: int) -> np.ndarray:
    """(resamples,) means of `values` resampled with replacement: the same numbers as
    values[bootstrap_indices(seed, n, resamples)].mean(axis=1), drawn a block of rows at
    a time from the one generator (its stream does not depend on the block sizes), so
    200,000 pairs x 1,000 resamples never hold 3 GB of indices and gathered values."""
    values = np.asarray(values)
    n = len(values)
    generator = np.random.Generator(np.random.PCG64(seed))
    rows = max(1, BOOTSTRAP_BLOCK // max(n, 1))
    out = np.empty(resamples)
    for lo in range(0, resamples, rows):
        hi = min(resamples, lo + rows)
        out[lo:hi] = values[generator.integers(0, n, size=(hi - lo, n))].mean(axis=1)
    return out


def percentile_interval(values: np.ndarray) -> Interval:
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return Interval(math.nan, math.nan)
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(float(low), float(high))


# ---- effect sizes -------------------------------------------------------------------------
def cohens_d(first: np.ndarray, second: np.ndarray) -> float:
    """(mean1 - mean2) / pooled SD. Undefined (NaN) when the pooled SD is float noise of
    the scores (at or below noise_floor): both groups constant, to 9 digits."""
    a, b = np.asarray(first, np.float64), np.asarray(second, np.float64)
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return math.nan
    pooled = math.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    if pooled <= noise_floor(a, b):
        return math.nan
    return float((a.mean() - b.mean()) / pooled)


def cohens_d_rows(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Cohen's d per row of (resamples, n) arrays (NaN where a row's pooled SD is float noise)."""
    na, nb = first.shape[1], second.shape[1]
    pooled = np.sqrt(((na - 1) * first.var(axis=1, ddof=1) + (nb - 1) * second.var(axis=1, ddof=1)) / (na + nb - 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pooled > noise_floor(first, second), (first.mean(axis=1) - second.mean(axis=1)) / pooled, np.nan)


# ---- correlation --------------------------------------------------------------------------
def pearson(x: np.ndarray, y: np.ndarray) -> float:
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(x) < 3:
        return math.nan
    sx, sy = x.std(), y.std()
    if sx <= noise_floor(x) or sy <= noise_floor(y):  # a constant, to float noise, has no correlation
        return math.nan
    return float(((x - x.mean()) * (y - y.mean())).mean() / (sx * sy))


def pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r per row of (resamples, n) arrays (NaN where a row of x or y is constant to float noise)."""
    dx = x - x.mean(axis=1, keepdims=True)
    dy = y - y.mean(axis=1, keepdims=True)
    sx, sy = np.sqrt((dx * dx).mean(axis=1)), np.sqrt((dy * dy).mean(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (dx * dy).mean(axis=1) / (sx * sy)
    return np.where((sx > noise_floor(x)) & (sy > noise_floor(y)), r, np.nan)


def correlation_p(r: float, n: int) -> float:
    """Two-sided p for H0: rho = 0, from t = r sqrt((n - 2) / (1 - r^2)) with n - 2 df."""
    if math.isnan(r) or n < 3:
        return math.nan
    if abs(r) >= 1:
        return 0.0
    return 2 * t_sf(abs(r) * math.sqrt((n - 2) / (1 - r * r)), n - 2)
