"""Intervals checked against known values and by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from gapbench.stats.intervals import bootstrap_mean, mean_interval, proportion_interval, wilson
from gapbench.stats.paired import paired_bootstrap_diff


def test_wilson_known_values():
    # Reference values (Wilson 1927; as given by statsmodels proportion_confint(method="wilson")).
    assert wilson(8, 10) == pytest.approx((0.4901625, 0.9433178), abs=1e-6)
    assert wilson(0, 20) == pytest.approx((0.0, 0.1611251), abs=1e-6)
    assert wilson(50, 100) == pytest.approx((0.4038315, 0.5961685), abs=1e-6)


def test_wilson_coverage_close_to_95_percent():
    rng = np.random.default_rng(1)
    p, n, hits = 0.3, 60, 0
    for _ in range(2000):
        lo, hi = wilson(rng.binomial(n, p), n)
        hits += lo <= p <= hi
    assert 0.93 <= hits / 2000 <= 0.97


def test_proportion_interval_is_wilson_corrected_with_exact_tails():
    z = 1.959963984540054

    def score_bound(x, n, sign):  # Wilson's bound written out, at a shifted count
        p = x / n
        return (p + z * z / (2 * n) + sign * z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)

    # middle counts: Wilson at x ∓ 1/4, so a little wider than plain Wilson on both sides
    lo, hi = proportion_interval(30, 60)
    assert (lo, hi) == pytest.approx((score_bound(29.75, 60, -1), score_bound(30.25, 60, +1)), abs=1e-12)
    assert lo < wilson(30, 60)[0] and hi > wilson(30, 60)[1]
    # x = 1 of 50: plain Wilson's lower bound (0.0035) is above p = 0.002, 0.003 ...; the exact bound is used
    exact = binomtest(1, 50).proportion_ci(0.95, method="exact")
    assert proportion_interval(1, 50)[0] == pytest.approx(exact.low, rel=1e-9)
    assert proportion_interval(1, 50)[0] < 0.002 < wilson(1, 50)[0]
    assert proportion_interval(49, 50)[1] == pytest.approx(binomtest(49, 50).proportion_ci(0.95, "exact").high)
    # the ends: one-sided and never a point
    assert proportion_interval(0, 20)[0] == 0.0 and 0.15 < proportion_interval(0, 20)[1] < 0.2
    assert proportion_interval(20, 20)[1] == 1.0 and proportion_interval(20, 20)[0] < 1.0
    assert proportion_interval(0, 0) == (0.0, 1.0)


def test_mean_interval_uses_bootstrap_for_continuous():
    values = list(np.linspace(0.2, 0.8, 50))
    mean, lo, hi = mean_interval(values)
    assert mean == pytest.approx(0.5) and lo < 0.5 < hi and (lo, hi) == bootstrap_mean(values)
    assert mean_interval(np.asarray(values)) == (mean, lo, hi)  # arrays work too (was: `if not values`)


def test_mean_interval_is_never_a_point_and_stays_in_range():
    for values in ([1.0] * 30, [0.0] * 30, [0.4] * 30, [0.7], [1.0], [0.0, 1e-9], np.zeros(500)):
        mean, lo, hi = mean_interval(values)
        assert 0.0 <= lo <= mean <= hi <= 1.0 and hi - lo > 0, values
    # constant continuous scores: the share of items that might differ is at most 1 − 0.025^(1/n)
    q = 1 - 0.025 ** (1 / 30)
    assert mean_interval([0.4] * 30) == pytest.approx((0.4, 0.4 - 0.4 * q, 0.4 + 0.6 * q))
    assert mean_interval([0.9, 0.95, 0.99, 1.0] * 5)[2] <= 1.0  # skewed towards 1: clipped, not past it
    assert mean_interval([]) == (0.0, 0.0, 1.0)


def test_paired_gap_detects_a_real_difference_and_not_a_null_one():
    rng = np.random.default_rng(2)
    a = rng.binomial(1, 0.8, 200).astype(float)
    b = rng.binomial(1, 0.4, 200).astype(float)
    diff, lo, hi = paired_bootstrap_diff(a, b)
    assert lo > 0 and diff == pytest.approx(a.mean() - b.mean())
    diff, lo, hi = paired_bootstrap_diff(a, a)  # no discordant pair: a zero gap, but not a certain one
    assert diff == 0 and lo < 0 < hi and hi == pytest.approx(-lo)
