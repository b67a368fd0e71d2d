"""Paired tests and intervals: checked against scipy, hand-computed values, enumeration and simulation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import binomtest

from gapbench.stats.intervals import proportion_interval
from gapbench.stats.paired import cell_bootstrap, paired_binary_interval, paired_bootstrap_diff
from gapbench.stats.tests import (benjamini_hochberg, cell_permutation_test, holm, mcnemar_exact,
                                  paired_permutation_test)


def from_table(n11: int, n10: int, n01: int, n00: int) -> tuple[np.ndarray, np.ndarray]:
    """Paired 0/1 arrays with the given 2×2 table (n10: a right, b wrong)."""
    a = np.array([1] * n11 + [1] * n10 + [0] * n01 + [0] * n00, dtype=float)
    b = np.array([1] * n11 + [0] * n10 + [1] * n01 + [0] * n00, dtype=float)
    return a, b


@pytest.mark.parametrize("table", [(10, 1, 6, 3), (50, 12, 3, 35), (5, 0, 5, 5), (0, 7, 7, 0), (30, 25, 20, 25),
                                   (100, 40, 18, 42), (3, 1, 0, 2), (8, 9, 1, 0)])
def test_mcnemar_matches_scipy_binomtest(table):
    a, b = from_table(*table)
    n10, n01 = table[1], table[2]
    assert mcnemar_exact(a, b) == pytest.approx(binomtest(n10, n10 + n01, 0.5).pvalue, rel=1e-12)
    assert mcnemar_exact(b, a) == pytest.approx(mcnemar_exact(a, b), rel=1e-12)  # symmetric


def test_mcnemar_hand_computed_tables():
    # n10 = 1, n01 = 6: P(X <= 1 | n=7) = (1 + 7) / 128, two-sided 16/128
    assert mcnemar_exact(*from_table(10, 1, 6, 3)) == pytest.approx(16 / 128)
    # n10 = 0, n01 = 5: 2 * (1/32)
    assert mcnemar_exact(*from_table(5, 0, 5, 5)) == pytest.approx(2 / 32)
    # n10 = n01 = 2: 2 * P(X <= 2 | n=4) = 2 * 11/16 > 1, capped
    assert mcnemar_exact(*from_table(1, 2, 2, 1)) == 1.0
    # concordant only: no evidence either way
    assert mcnemar_exact(*from_table(10, 0, 0, 4)) == 1.0
    with pytest.raises(ValueError):
        mcnemar_exact([0.5, 1.0], [0.0, 1.0])


def enumerate_sign_flips(x) -> float:
    x = np.asarray(x, float)
    obs = abs(x.sum())
    stats = [abs(sum(s * v for s, v in zip(signs, x))) for signs in itertools.product((-1, 1), repeat=len(x))]
    return sum(t >= obs - 1e-12 for t in stats) / len(stats)


def test_permutation_exact_small_cases():
    assert paired_permutation_test([1, 2, 3], [0, 0, 0]) == pytest.approx(0.25)  # only ±(1+2+3) reach 6
    assert paired_permutation_test([1] * 5, [0] * 5) == pytest.approx(2 / 32)
    assert paired_permutation_test([0.3, 0.3], [0.3, 0.3]) == 1.0  # no difference at all
    rng = np.random.default_rng(3)
    for n in (4, 7, 10):
        a, b = rng.random(n), rng.random(n)
        assert paired_permutation_test(a, b) == pytest.approx(enumerate_sign_flips(a - b), abs=1e-12)
    # exact: independent of n_perm and seed
    a, b = rng.random(12), rng.random(12) - 0.2
    assert paired_permutation_test(a, b, n_perm=10, seed=1) == paired_permutation_test(a, b, seed=99)


def test_permutation_monte_carlo_close_to_exact_with_plus_one_correction():
    rng = np.random.default_rng(4)
    n = 18  # above the exact limit; enumerate 2^18 patterns here to get the exact value
    a, b = rng.random(n), rng.random(n) - 0.15
    d = a - b
    patterns = (np.arange(2 ** n)[:, None] >> np.arange(n) & 1) * 2 - 1
    exact = np.mean(np.abs(patterns @ d) >= abs(d.sum()) - 1e-12)
    p = paired_permutation_test(a, b, n_perm=20000, seed=0)
    assert abs(p - exact) < 0.01
    assert paired_permutation_test(a, b, n_perm=20000, seed=0) == p  # seeded
    # a huge effect: no random flip reaches it, so p = 1 / (n_perm + 1), never 0
    big = rng.random(200) + 1.0
    assert paired_permutation_test(big, np.zeros(200), n_perm=999) == pytest.approx(1 / 1000)


def test_sign_flip_on_binary_scores_is_mcnemar():
    a, b = from_table(20, 9, 3, 8)  # 12 discordant pairs: exact enumeration
    assert paired_permutation_test(a, b) == pytest.approx(mcnemar_exact(a, b), rel=1e-12)
    a, b = from_table(300, 60, 40, 100)  # 100 discordant pairs: Monte Carlo (grouped binomial draws)
    assert paired_permutation_test(a, b, n_perm=20000) == pytest.approx(mcnemar_exact(a, b), abs=0.01)


def test_holm_known_values():
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == [1.0, 1.0]  # capped at 1
    assert holm([0.02]) == [0.02]
    assert holm([]) == []
    # monotone in the order of the raw p-values, and never below them
    raw = [0.001, 0.2, 0.011, 0.04, 0.012, 0.3]
    adj = holm(raw)
    # sorted: 0.001·6, 0.011·5, max(0.012·4, 0.055), 0.04·3, 0.2·2, max(0.3·1, 0.4)
    assert adj == pytest.approx([0.006, 0.4, 0.055, 0.12, 0.055, 0.4])
    order = np.argsort(raw)
    assert all(np.diff(np.asarray(adj)[order]) >= 0) and all(x >= r for x, r in zip(adj, raw))


def test_benjamini_hochberg_known_values():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4/1, 4/2, 4/3, 4/4 = 0.02, 0.02, 0.04, 0.04 (already monotone)
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # step-up: a large p pulls no smaller one up, a small later ratio pulls earlier ones down
    assert benjamini_hochberg([0.01, 0.02, 0.03]) == pytest.approx([0.03, 0.03, 0.03])
    assert benjamini_hochberg([0.5, 0.9]) == pytest.approx([0.9, 0.9])
    assert benjamini_hochberg([2e-3]) == [2e-3] and benjamini_hochberg([]) == []
    raw = [0.001, 0.2, 0.011, 0.04, 0.012, 0.3]
    assert all(r <= b <= h for r, b, h in zip(raw, benjamini_hochberg(raw), holm(raw)))


def test_cell_permutation_weights_tasks_equally():
    t1 = (np.array([1.0, 1.0, 0.0]), np.array([0.0, 0.0, 0.0]))
    t2 = (np.array([0.0, 1.0]), np.array([1.0, 1.0]))
    # statistic: (d1/3 summed) / 2 + (d2/2 summed) / 2, each pair's sign flipped independently
    x = np.concatenate([(t1[0] - t1[1]) / (2 * 3), (t2[0] - t2[1]) / (2 * 2)])
    assert cell_permutation_test([t1, t2]) == pytest.approx(enumerate_sign_flips(x), abs=1e-12)
    rng = np.random.default_rng(5)
    a, b = rng.random(40), rng.random(40)
    assert cell_permutation_test([(a, b)], n_perm=2000) == paired_permutation_test(a, b, n_perm=2000)
    assert cell_permutation_test([]) == 1.0


def test_bootstrap_point_estimates_and_one_task_equivalence():
    rng = np.random.default_rng(6)
    a, b = rng.binomial(1, 0.7, 150).astype(float), rng.binomial(1, 0.5, 150).astype(float)
    diff, lo, hi = paired_bootstrap_diff(a, b, n_boot=2000)
    assert diff == pytest.approx(a.mean() - b.mean()) and lo <= diff <= hi
    assert cell_bootstrap([(a, b)], n_boot=2000) == (diff, lo, hi)
    c, d = rng.random(20), rng.random(20)  # a small task weighs as much as the big one
    assert cell_bootstrap([(c, d)], n_boot=2000, seed=4) == paired_bootstrap_diff(c, d, n_boot=2000, seed=4)
    cell = cell_bootstrap([(a, b), (c, d)], n_boot=2000)
    assert cell[0] == pytest.approx(((a - b).mean() + (c - d).mean()) / 2)
    # MOVER: each side is the root of the summed squared half-widths of the tasks, halved (two tasks)
    t1, t2 = paired_bootstrap_diff(a, b, n_boot=2000), paired_bootstrap_diff(c, d, n_boot=2000, seed=0)
    assert cell[1] == pytest.approx(cell[0] - np.hypot(t1[0] - t1[1], t2[0] - t2[1]) / 2)
    assert cell[2] == pytest.approx(cell[0] + np.hypot(t1[2] - t1[0], t2[2] - t2[0]) / 2)
    with pytest.raises(ValueError):
        paired_bootstrap_diff([1.0, 0.0], [1.0])


def test_no_zero_width_interval_for_degenerate_pairs():
    ones = np.ones(30)
    cases = {"no discordant pair": (ones, ones), "a right exactly where b is wrong": (ones, 1 - ones),
             "constant continuous gap": (np.full(30, 0.6), np.full(30, 0.5)), "one pair": ([1.0], [0.0])}
    for name, (a, b) in cases.items():
        diff, lo, hi = paired_bootstrap_diff(a, b, n_boot=500)
        assert -1 <= lo <= diff <= hi <= 1 and hi - lo > 0.05, name
    assert paired_bootstrap_diff(ones, 1 - ones)[1:] == pytest.approx((paired_binary_interval(30, 0, 30)[0], 1.0))
    # a cell of such tasks is not a point either
    assert np.ptp(cell_bootstrap([(ones, ones), (ones, 1 - ones)])[1:]) > 0.05


def test_paired_binary_interval_combines_the_discordant_shares():
    # no discordant pair in n: symmetric, as far as either discordant share could be (its upper bound at 0)
    lo, hi = paired_binary_interval(0, 0, 50)
    assert lo == pytest.approx(-hi) and hi == pytest.approx(proportion_interval(0, 50)[1]) and 0.05 < hi < 0.1
    # one-sided: all discordant pairs for a; the lower end is above 0 and the interval holds the estimate
    lo, hi = paired_binary_interval(12, 0, 60)
    assert 0 < lo < 0.2 < hi < 0.4
    # swapping a and b mirrors the interval
    assert paired_binary_interval(5, 9, 40) == pytest.approx(tuple(-x for x in paired_binary_interval(9, 5, 40)[::-1]))


def correlated_binary(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """a ~ Bernoulli(0.6); b copies a with prob 0.5, else Bernoulli(0.5): E[a − b] = 0.6 − 0.55 = 0.05."""
    a = (rng.random(n) < 0.6).astype(float)
    b = np.where(rng.random(n) < 0.5, a, (rng.random(n) < 0.5).astype(float))
    return a, b


def test_paired_bootstrap_coverage_close_to_95_percent():
    rng = np.random.default_rng(7)
    hits = 0
    for i in range(400):
        a, b = correlated_binary(rng, 200)
        _, lo, hi = paired_bootstrap_diff(a, b, n_boot=1000, seed=i)
        hits += lo <= 0.05 <= hi
    assert 0.92 <= hits / 400 <= 0.975


def test_cell_bootstrap_coverage_close_to_95_percent():
    rng = np.random.default_rng(8)
    truth = (0.05 + 0.2) / 2  # task 2: continuous scores with mean difference 0.2
    hits = 0
    for i in range(300):
        t1 = correlated_binary(rng, 200)
        base = rng.random(80)
        t2 = (np.clip(base + 0.2 + rng.normal(0, 0.1, 80), -1, 2), base)
        _, lo, hi = cell_bootstrap([t1, t2], n_boot=1000, seed=i)
        hits += lo <= truth <= hi
    assert 0.91 <= hits / 300 <= 0.98


def test_permutation_test_holds_its_level_under_the_null():
    rng = np.random.default_rng(9)
    ps = np.array([paired_permutation_test(rng.random(30), rng.random(30), n_perm=500, seed=i) for i in range(200)])
    assert np.mean(ps <= 0.05) <= 0.1
