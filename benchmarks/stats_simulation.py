"""Do gapbench's intervals cover and its tests hold their level? Simulations with a known truth (issue #15).

Run by hand (not a test):  python benchmarks/stats_simulation.py [--reps 2000] [--only groups,power]

Settings (gapbench.stats.simulate): 0/1 answers to items of varying difficulty (models agree as real ones do,
φ ≈ 0.4), skewed chrF-like continuous scores, n = 20 to 100 items. Every figure is a share of runs: interval
coverage of the true value, or the rate of p ≤ 0.05 under no true gap (type-I error). "before" columns
re-implement the methods gapbench used until issue #15 (percentile bootstrap; plain Wilson; choosing each
group's best model on the items it is tested on). Exact figures (no simulation) are marked so.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import binom, t as student

from gapbench.gap.compare import group_comparison
from gapbench.stats.intervals import mean_interval, proportion_interval, wilson
from gapbench.stats.paired import cell_bootstrap, paired_binary_interval, paired_bootstrap_diff
from gapbench.stats.power import minimum_detectable
from gapbench.stats.simulate import CONTINUOUS, ability_for, answers, continuous, continuous_pair, true_score
from gapbench.stats.tests import benjamini_hochberg, cell_permutation_test, holm, mcnemar_exact, paired_permutation_test

NS = (20, 30, 50, 100)


def percentile(x: np.ndarray, rng, n_boot: int = 2000) -> tuple[float, float]:
    """The percentile bootstrap interval of a mean (the method before issue #15)."""
    means = x[rng.integers(0, x.size, (n_boot, x.size))].mean(axis=1)
    return tuple(np.quantile(means, [0.025, 0.975]))


def table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")


def exact_coverage(interval, n: int, ps: np.ndarray) -> np.ndarray:
    """Exact coverage at each p of an interval function (successes, n) -> (low, high)."""
    bounds = np.array([interval(x, n) for x in range(n + 1)])
    pmf = binom.pmf(np.arange(n + 1)[None, :], n, ps[:, None])
    inside = (bounds[None, :, 0] <= ps[:, None]) & (ps[:, None] <= bounds[None, :, 1])
    return (pmf * inside).sum(axis=1)


def proportions(_reps: int) -> None:
    tail = np.geomspace(1e-4, 0.05, 400)
    ps = np.concatenate([tail, np.linspace(0.05, 0.95, 901), 1 - tail, [0.02, 0.5]])
    uniform = np.linspace(0.005, 0.995, 199)
    rows = []
    for n in NS + (200, 1000):
        new, old = exact_coverage(proportion_interval, n, ps), exact_coverage(wilson, n, ps)
        mean = float(exact_coverage(proportion_interval, n, uniform).mean())
        rows.append([n, float(new[-2]), float(new[-1]), float(new.min()), mean, float(old[-2]), float(old.min())])
    table("0/1 mean: exact coverage of the 95% interval (no simulation)",
          ["n", "p=0.02", "p=0.5", "min over p", "mean over uniform p", "before (Wilson) p=0.02",
           "before: min over p"], rows)


def paired_exact(_reps: int) -> None:
    grid = [(x, y) for x in np.linspace(0, 0.95, 39) for y in np.linspace(0, 0.95, 39) if 0 < x + y <= 1]
    rows = []
    for n in NS:
        bounds = {(i, j): paired_binary_interval(i, j, n) for i in range(n + 1) for j in range(n + 1 - i)}
        i, j = np.array(list(bounds)).T
        low, high = np.array(list(bounds.values())).T
        covs = []
        for p10, p01 in grid:
            logp = (binom.logpmf(i, n, p10) if p10 else np.where(i == 0, 0.0, -np.inf)) + \
                (binom.logpmf(j, n - i, p01 / (1 - p10)) if p01 else np.where(j == 0, 0.0, -np.inf))
            covs.append(float(np.sum(np.exp(logp) * ((low <= p10 - p01 + 1e-12) & (p10 - p01 - 1e-12 <= high)))))
        covs = np.array(covs)
        real = np.array([x + y <= 0.6 for x, y in grid])
        rows.append([n, float(covs[real].min()), float(covs.min()), float(covs.mean())])
    table("Paired 0/1 difference: exact coverage over (p10, p01) (no simulation)",
          ["n", "min, discordance ≤ 0.6", "min, any", "mean"], rows)


def paired_binary(reps: int) -> None:
    rng = np.random.default_rng(1)
    rows = []
    for gap in (0.0, 0.05, 0.10):
        thetas = [ability_for(0.6 + gap), ability_for(0.6)]
        truth = true_score(thetas[0]) - true_score(thetas[1])
        for n in NS:
            new = old = 0
            for _ in range(reps):
                a, b = answers(rng, thetas, n)
                _, lo, hi = paired_bootstrap_diff(a, b)
                new += lo <= truth <= hi
                lo, hi = percentile(a - b, rng)
                old += lo <= truth <= hi
            rows.append([f"{100 * gap:.0f}", n, new / reps, old / reps])
    table("Paired 0/1 difference, items of varying difficulty: coverage",
          ["true gap (points)", "n", "gapbench", "before (percentile)"], rows)


def continuous_means(reps: int) -> None:
    rng = np.random.default_rng(2)
    rows = []
    for kind in CONTINUOUS:
        for n in NS:
            x, truth = continuous(rng, kind, (reps, n))
            hits, width, old, t_hits = 0, 0.0, 0, 0
            for row in x:
                _, lo, hi = mean_interval(row)
                hits += lo <= truth <= hi
                width += hi - lo
                lo, hi = percentile(row, rng)
                old += lo <= truth <= hi
                half = student.ppf(0.975, n - 1) * row.std(ddof=1) / np.sqrt(n)
                t_hits += abs(row.mean() - truth) <= half
            rows.append([kind, n, hits / reps, width / reps, old / reps, t_hits / reps])
    table("Continuous (chrF-like) mean: coverage", ["scores", "n", "gapbench", "mean width", "before (percentile)",
                                                     "t interval"], rows)


def continuous_pairs(reps: int) -> None:
    rng = np.random.default_rng(3)
    rows = []
    for n in NS:
        a, b, truth = continuous_pair(rng, n, size=reps)
        new = old = 0
        for x, y in zip(a, b):
            _, lo, hi = paired_bootstrap_diff(x, y, n_boot=2000)
            new += lo <= truth <= hi
            lo, hi = percentile(x - y, rng)
            old += lo <= truth <= hi
        rows.append([n, new / reps, old / reps])
    table("Paired continuous difference: coverage", ["n", "gapbench", "before (percentile)"], rows)


def cells(reps: int) -> None:
    """A cell of three tasks: 0/1 with 30 and 60 items (5-point gap), continuous with 20 items."""
    rng = np.random.default_rng(4)
    thetas = [ability_for(0.65), ability_for(0.6)]
    truth = (2 * (true_score(thetas[0]) - true_score(thetas[1])) + continuous_pair(rng, 1)[2]) / 3
    hits = width = 0.0
    for _ in range(reps):
        pairs = [tuple(answers(rng, thetas, 30)), tuple(answers(rng, thetas, 60)), continuous_pair(rng, 20)[:2]]
        _, lo, hi = cell_bootstrap(pairs, n_boot=2000)
        hits += lo <= truth <= hi
        width += hi - lo
    table("Cell of three tasks (two 0/1, one continuous): coverage", ["coverage", "mean width"],
          [[hits / reps, width / reps]])


def type_one(reps: int) -> None:
    rng = np.random.default_rng(5)
    rows = []
    theta = ability_for(0.6)
    for n in NS + (200,):
        mc = pf = cell = 0
        for _ in range(reps):
            a, b = answers(rng, [theta, theta], n)
            mc += mcnemar_exact(a, b) <= 0.05
            x, y, _ = continuous_pair(rng, n, power_a=1.2)
            pf += paired_permutation_test(x, y, n_perm=2000, seed=1) <= 0.05
            pairs = [tuple(answers(rng, [theta, theta], n)) for _ in range(2)] + [continuous_pair(rng, n, 1.2)[:2]]
            cell += cell_permutation_test(pairs, n_perm=2000, seed=1) <= 0.05
        rows.append([n, mc / reps, pf / reps, cell / reps])
    table("Tests under no true gap: rate of p ≤ 0.05 (type-I error)",
          ["n", "McNemar (0/1)", "sign-flip (continuous)", "stratified cell (3 tasks)"], rows)


def _loaded(matrix: np.ndarray, names: list[str], tasks: int) -> dict:
    per = matrix.shape[1] // tasks
    out = {}
    for name, row in zip(names, matrix):
        out[name] = {f"t{k}": {"generate": {"capability": "c", "language": "l",
                                            "values": {f"q{i}": float(row[k * per + i]) for i in range(per)}}}
                     for k in range(tasks)}
    return out


def _naive(matrix: np.ndarray, n_a: int, tasks: int) -> tuple[int, int, float, float, float, float]:
    """The method before issue #15: each group's best on all items, compared on the same items."""
    per = matrix.shape[1] // tasks
    means = matrix.reshape(len(matrix), tasks, per).mean(axis=2).mean(axis=1)
    ia, ib = int(np.argmax(means[:n_a])), n_a + int(np.argmax(means[n_a:]))
    pairs = [(matrix[ia, k * per:(k + 1) * per], matrix[ib, k * per:(k + 1) * per]) for k in range(tasks)]
    diff, lo, hi = cell_bootstrap(pairs)
    return ia, ib, diff, lo, hi, cell_permutation_test(pairs, n_perm=2000, seed=1)


def group_setting(reps: int, scores_a: list[float], scores_b: list[float], n: int = 300, tasks: int = 2) -> list:
    rng = np.random.default_rng(6 + len(scores_a) * 10 + len(scores_b))
    thetas = [ability_for(s) for s in scores_a + scores_b]
    truth = [true_score(t) for t in thetas]
    names = [f"m{i}" for i in range(len(thetas))]
    new, old = [], []
    for _ in range(reps):
        matrix = answers(rng, thetas, n)
        r = group_comparison(_loaded(matrix, names, tasks), names[:len(scores_a)], names[len(scores_a):],
                             [f"t{k}" for k in range(tasks)], n_boot=2000, seed=1)
        c = r.cells[0]
        gap = truth[names.index(c.best_a)] - truth[names.index(c.best_b)]
        new.append((c.p_holm <= 0.05, c.diff - gap, c.ci_low <= gap <= c.ci_high, c.ci_high - c.ci_low))
        ia, ib, diff, lo, hi, p = _naive(matrix, len(scores_a), tasks)
        gap = truth[ia] - truth[ib]
        old.append((p <= 0.05, diff - gap, lo <= gap <= hi, hi - lo))
    new, old = np.array(new, dtype=float), np.array(old, dtype=float)
    return [*new.mean(axis=0), old[:, 0].mean(), old[:, 1].mean(), old[:, 2].mean()]


def groups(reps: int) -> None:
    rows = []
    for n_a, n_b in ((1, 1), (3, 1), (8, 1), (1, 8), (3, 3)):
        res = group_setting(reps, [0.6] * n_a, [0.6] * n_b)
        rows.append([f"{n_a} vs {n_b}", "all equal", *res[:2], *res[2:4], *res[4:]])
    gaps = (("A's best +5 pts", [0.65, 0.6, 0.55], [0.6]), ("B's best +5 pts", [0.6] * 3, [0.65, 0.6, 0.6]),
            ("A's best +5 pts", [0.65] + [0.6] * 7, [0.6]))
    for label, sa, sb in gaps:
        res = group_setting(reps, sa, sb)
        rows.append([f"{len(sa)} vs {len(sb)}", label, *res[:2], *res[2:4], *res[4:]])
    for row in rows:  # bias in points
        row[3], row[7] = 100 * row[3], 100 * row[7]
    table("Group comparisons, one cell of 2 tasks × 150 items (best A − best B; truth: the chosen pair's gap)",
          ["groups", "truth", "p ≤ 0.05", "bias (pts)", "coverage", "width", "before: p ≤ 0.05",
           "before: bias (pts)", "before: coverage"], rows)


def _cell_p(rng, gap_theta: tuple[float, float], n: int) -> tuple[float, float, float]:
    """(p, low, high) of one cell of two 0/1 tasks of n items."""
    pairs = [tuple(answers(rng, gap_theta, n)) for _ in range(2)]
    _, lo, hi = cell_bootstrap(pairs)
    return cell_permutation_test(pairs, n_perm=2000, seed=1), lo, hi


def power(reps: int) -> None:
    """18 cells (9 capabilities × zh/en) of 2 tasks × 100 items; 3 cells with a true gap, 15 without."""
    rng = np.random.default_rng(7)
    base = ability_for(0.6)
    rows = []
    for gap in (0.05, 0.10):
        up = ability_for(0.6 + gap)
        found_holm = found_bh = any_false = 0
        fdp, mde = [], []
        for _ in range(max(reps // 4, 100)):
            cells = [_cell_p(rng, (up if k < 3 else base, base), 100) for k in range(18)]
            ps = [c[0] for c in cells]
            h, b = np.array(holm(ps)) <= 0.05, np.array(benjamini_hochberg(ps)) <= 0.05
            found_holm += h[:3].sum()
            found_bh += b[:3].sum()
            any_false += h[3:].any()
            fdp.append(b[3:].sum() / max(b.sum(), 1))
            mde.append(np.median([minimum_detectable(lo, hi, 18) for _, lo, hi in cells]))
        runs = max(reps // 4, 100)
        rows.append([f"{100 * gap:.0f}", found_holm / (3 * runs), found_bh / (3 * runs), any_false / runs,
                     float(np.mean(fdp)), 100 * float(np.mean(mde))])
    table("Power across 18 cells (2 tasks × 100 items each; 3 true gaps)",
          ["true gap (pts)", "power, Holm", "power, BH", "Holm: any false find", "BH: false discovery share",
           "reported MDE (pts, median cell)"], rows)
    calibrate(reps, base)


def calibrate(reps: int, base: float) -> None:
    """A lone true gap of the size the cells report as their MDE: found about 80 % of the time?"""
    rng = np.random.default_rng(8)
    mde = float(np.median([minimum_detectable(*_cell_p(rng, (base, base), 100)[1:], 18) for _ in range(200)]))
    up = ability_for(0.6 + mde)
    runs = max(reps // 4, 100)
    found = 0
    for _ in range(runs):
        ps = [_cell_p(rng, (up if k == 0 else base, base), 100)[0] for k in range(18)]
        found += holm(ps)[0] <= 0.05
    table("MDE check: one true gap of the reported MDE among 18 cells", ["MDE (pts)", "found (Holm)"],
          [[100 * mde, found / runs]])


SECTIONS = {"proportions": proportions, "paired-exact": paired_exact, "paired": paired_binary,
            "continuous": continuous_means, "continuous-pairs": continuous_pairs, "cells": cells, "tests": type_one,
            "groups": groups, "power": power}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000, help="simulated runs per setting")
    parser.add_argument("--only", default=None, help=f"comma list of sections: {', '.join(SECTIONS)}")
    args = parser.parse_args()
    for name in args.only.split(",") if args.only else SECTIONS:
        started = time.perf_counter()
        SECTIONS[name](args.reps)
        print(f"\n({name}: {args.reps} runs per setting, {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
