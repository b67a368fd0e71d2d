"""Do the intervals and tests gapbench reports keep their promises? Exact coverage where it can be computed,
seeded simulations with a known truth otherwise (issue #15; heavier runs: benchmarks/stats_simulation.py).

Simulated coverages are asserted against 0.93 minus two binomial standard errors of the run count, so a method
whose true coverage is 0.93 or more passes and one at 0.90 (the percentile bootstrap at n = 20) fails.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from gapbench.gap.compare import group_comparison
from gapbench.stats.intervals import clopper_pearson, mean_interval, proportion_interval, wilson
from gapbench.stats.paired import cell_bootstrap, paired_binary_interval, paired_bootstrap_diff
from gapbench.stats.simulate import ability_for, answers, continuous, continuous_pair, true_score
from gapbench.stats.tests import cell_permutation_test, mcnemar_exact


def floor(reps: int, target: float = 0.93) -> float:
    """The lowest observed rate compatible with a true rate of `target` (two standard errors)."""
    return target - 2 * np.sqrt(target * (1 - target) / reps)


def exact_coverage(interval, n: int, ps: np.ndarray) -> np.ndarray:
    bounds = np.array([interval(x, n) for x in range(n + 1)])
    pmf = binom.pmf(np.arange(n + 1)[None, :], n, ps[:, None])
    return (pmf * ((bounds[None, :, 0] <= ps[:, None]) & (ps[:, None] <= bounds[None, :, 1]))).sum(axis=1)


TAIL = np.geomspace(1e-4, 0.05, 300)
P_GRID = np.concatenate([TAIL, np.linspace(0.05, 0.95, 451), 1 - TAIL])


@pytest.mark.parametrize("n", [20, 30, 50, 100, 250])
def test_proportion_interval_covers_everywhere_exactly(n):
    cover = exact_coverage(proportion_interval, n, P_GRID)
    assert cover.min() >= 0.93, P_GRID[np.argmin(cover)]
    # not bought by being as wide as the exact (Clopper–Pearson) interval: less conservative on average
    uniform = np.linspace(0.005, 0.995, 199)
    assert 0.95 < exact_coverage(proportion_interval, n, uniform).mean() < exact_coverage(clopper_pearson, n,
                                                                                          uniform).mean()


def test_the_wilson_dip_near_zero_is_gone():
    p = np.array([0.02, 0.98])
    assert (exact_coverage(wilson, 50, p) < 0.925).all()  # the fault of issue #15 (0.92 at n = 50, p = 0.02)
    assert (exact_coverage(proportion_interval, 50, p) >= 0.95).all()


@pytest.mark.parametrize("n", [20, 30, 50])
def test_paired_binary_interval_covers_exactly(n):
    grid = [(x, y) for x in np.linspace(0, 0.95, 20) for y in np.linspace(0, 0.95, 20) if 0 < x + y <= 1]
    bounds = {(i, j): paired_binary_interval(i, j, n) for i in range(n + 1) for j in range(n + 1 - i)}
    i, j = np.array(list(bounds)).T
    low, high = np.array(list(bounds.values())).T
    for p10, p01 in grid:  # (n10, n01) is trinomial: n10 ~ Bin(n, p10), n01 | n10 ~ Bin(n − n10, p01 / (1 − p10))
        logp = (binom.logpmf(i, n, p10) if p10 else np.where(i == 0, 0.0, -np.inf)) + \
            (binom.logpmf(j, n - i, p01 / (1 - p10)) if p01 else np.where(j == 0, 0.0, -np.inf))
        truth = p10 - p01
        cover = np.sum(np.exp(logp) * ((low <= truth + 1e-12) & (truth - 1e-12 <= high)))
        # ≥ 0.93 where models agree on at least 40 % of items (always, between real models); 0.925 beyond
        assert cover >= (0.93 if p10 + p01 <= 0.6 else 0.925), (p10, p01, cover)


@pytest.mark.parametrize("gap", [0.0, 0.05])
def test_paired_binary_coverage_on_items_of_varying_difficulty(gap):
    rng = np.random.default_rng(11)
    thetas = [ability_for(0.6 + gap), ability_for(0.6)]
    truth = true_score(thetas[0]) - true_score(thetas[1])
    reps, hits = 1500, 0
    for _ in range(reps):
        _, lo, hi = paired_bootstrap_diff(*answers(rng, thetas, 30))
        hits += lo <= truth <= hi
    assert hits / reps >= floor(reps)


@pytest.mark.parametrize("kind", ["beta(0.5,3)", "beta(5,0.7)", "bimodal"])
def test_continuous_mean_covers_at_n_20(kind):
    rng = np.random.default_rng(12)
    x, truth = continuous(rng, kind, (1500, 20))
    hits = sum(lo <= truth <= hi for _, lo, hi in map(mean_interval, x))
    assert hits / len(x) >= floor(len(x))


def test_paired_continuous_difference_covers_at_n_20():
    rng = np.random.default_rng(13)
    a, b, truth = continuous_pair(rng, 20, size=1500)
    hits = 0
    for i, (x, y) in enumerate(zip(a, b)):
        _, lo, hi = paired_bootstrap_diff(x, y, n_boot=1000, seed=i)
        hits += lo <= truth <= hi
    assert hits / len(a) >= floor(len(a))


def test_cell_of_mixed_tasks_covers():
    rng = np.random.default_rng(14)
    thetas = [ability_for(0.65), ability_for(0.6)]
    truth = (2 * (true_score(thetas[0]) - true_score(thetas[1])) + continuous_pair(rng, 1)[2]) / 3
    reps, hits = 800, 0
    for i in range(reps):
        pairs = [tuple(answers(rng, thetas, 30)), tuple(answers(rng, thetas, 60)), continuous_pair(rng, 20)[:2]]
        _, lo, hi = cell_bootstrap(pairs, n_boot=1000, seed=i)
        hits += lo <= truth <= hi
    assert hits / reps >= floor(reps)


def test_tests_hold_their_level_with_correlated_answers():
    rng = np.random.default_rng(15)
    theta = ability_for(0.6)
    reps, mcnemar, cell = 800, 0, 0
    for i in range(reps):
        a, b = answers(rng, [theta, theta], 50)
        mcnemar += mcnemar_exact(a, b) <= 0.05
        pairs = [tuple(answers(rng, [theta, theta], 40)) for _ in range(2)] + [continuous_pair(rng, 20, 1.2)[:2]]
        cell += cell_permutation_test(pairs, n_perm=1000, seed=i) <= 0.05
    assert mcnemar / reps <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / reps)
    assert cell / reps <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / reps)


def loaded(matrix: np.ndarray, names: list[str], tasks: int = 2) -> dict:
    per = matrix.shape[1] // tasks
    return {name: {f"t{k}": {"generate": {"capability": "c", "language": "l",
                                          "values": {f"q{i}": float(row[k * per + i]) for i in range(per)}}}
                   for k in range(tasks)} for name, row in zip(names, matrix)}


def naive_bias(matrix: np.ndarray, n_a: int) -> float:
    """best A − best B chosen and measured on the same items (before issue #15): its gap (truth 0)."""
    means = matrix.mean(axis=1)
    return float(means[:n_a].max() - means[n_a:].max())


@pytest.mark.parametrize("sizes", [(8, 1), (3, 3), (3, 1)])
def test_group_comparison_of_equal_models_keeps_level_and_has_no_bias(sizes):
    n_a, n_b = sizes
    rng = np.random.default_rng(16 + n_a)
    theta = ability_for(0.6)
    names = [f"m{i}" for i in range(n_a + n_b)]
    reps, found, diffs, naive, covered = 1000, 0, [], [], 0
    for i in range(reps):
        matrix = answers(rng, [theta] * len(names), 300)
        cell = group_comparison(loaded(matrix, names), names[:n_a], names[n_a:], ["t0", "t1"], n_boot=500,
                                seed=i).cells[0]
        found += cell.p_holm <= 0.05
        covered += cell.ci_low <= 0 <= cell.ci_high
        diffs.append(cell.diff)
        naive.append(naive_bias(matrix, n_a))
    # type-I error in [0.03, 0.06] (the permutation test is exact, a little conservative with 0/1 scores): the
    # observed rate must be within 2.5 standard errors of that range
    assert 0.03 - 2.5 * np.sqrt(0.03 * 0.97 / reps) <= found / reps <= 0.06 + 2.5 * np.sqrt(0.06 * 0.94 / reps)
    assert covered / reps >= floor(reps)
    assert abs(np.mean(diffs)) <= 0.005 + 3 * np.std(diffs) / np.sqrt(reps)  # under half a point
    if n_a != n_b:  # the check has teeth: choosing on the test items is biased towards the larger group
        assert np.mean(naive) > 0.01 + 3 * np.std(naive) / np.sqrt(reps)


def test_no_interval_is_ever_a_point():
    rng = np.random.default_rng(17)
    for n in (1, 2, 3, 5, 20):
        for values in (np.zeros(n), np.ones(n), np.full(n, 0.3), rng.random(n), (rng.random(n) < 0.5) * 1.0):
            _, lo, hi = mean_interval(values)
            assert 0 <= lo < hi <= 1, values
            for other in (values, 1 - values, np.zeros(n), np.full(n, 0.3)):
                _, lo, hi = paired_bootstrap_diff(values, other, n_boot=200)
                assert -1 <= lo < hi <= 1, (values, other)
                _, lo, hi = cell_bootstrap([(values, other), (other, other)], n_boot=200)
                assert -1 <= lo < hi <= 1, (values, other)
