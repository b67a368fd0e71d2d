"""Intervals checked against known values and by simulation."""

from __future__ import annotations

import numpy as np
import pytest

from gapbench.stats.intervals import bootstrap_mean, mean_interval, wilson
from gapbench.stats.paired import paired_task_gap


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


def test_mean_interval_uses_bootstrap_for_continuous():
    values = list(np.linspace(0.2, 0.8, 50))
    mean, lo, hi = mean_interval(values)
    assert mean == pytest.approx(0.5) and lo < 0.5 < hi and (lo, hi) == bootstrap_mean(values)


def test_paired_gap_detects_a_real_difference_and_not_a_null_one():
    rng = np.random.default_rng(2)
    a = rng.binomial(1, 0.8, 200).astype(float)
    b = rng.binomial(1, 0.4, 200).astype(float)
    diff, lo, hi, n = paired_task_gap({"t": (list(a), list(b))})
    assert n == 200 and lo > 0 and diff == pytest.approx(a.mean() - b.mean())
    diff, lo, hi, _ = paired_task_gap({"t": (list(a), list(a))})
    assert diff == 0 and lo == 0 and hi == 0
