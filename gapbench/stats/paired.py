"""Intervals for the paired difference between two models on the same items, per task and per cell.

- 0/1 scores (differences in {−1, 0, 1}): only discordant pairs move the mean, diff = p10 − p01 with p10 the
  share of items a got right and b wrong. The interval combines `proportion_interval` bounds of p10 and p01
  by MOVER (Zou & Donner 2008; Newcombe 1998 for the square-and-add idea) with their multinomial correlation
  −√(p10 p01 / ((1 − p10)(1 − p01))). Exact coverage over (p10, p01), n from 20 to 100: ≥ 0.95 where fewer
  than 60 % of pairs are discordant (models that agree on most items, as real ones do), ≥ 0.929 anywhere (the
  lowest near 99 % discordance). The percentile bootstrap it replaces covered 0.91-0.93 at n = 20-30 with a
  true gap (benchmarks/stats_simulation.py) and collapsed to a point with no discordant pair.
- continuous differences: symmetric bootstrap-t of the mean difference (`gapbench.stats.bootstrap`), or
  `constant_interval` when every difference is the same.
- a cell (several tasks weighted equally): MOVER again, the square root of the summed squared half-widths on
  each side, which keeps each task's asymmetry and equals the task interval when the cell has one task.
Intervals stay inside [−1, 1] (or the data's range if wider) and are never zero-width.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from gapbench.stats.bootstrap import studentized_interval
from gapbench.stats.intervals import constant_interval, proportion_interval


def _as_pair(a, b) -> np.ndarray:
    """The paired differences a − b as a float vector (both 1-D, same length)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"paired scores need two 1-D arrays of the same length, got {a.shape} and {b.shape}")
    return a - b


def paired_binary_interval(n10: int, n01: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """(low, high) for p10 − p01 from n pairs of 0/1 scores, n10 (a right, b wrong) and n01 the reverse: MOVER
    on the two discordant shares with their negative multinomial correlation. Never zero-width for n ≥ 1."""
    p10, p01 = n10 / n, n01 / n
    l10, u10 = proportion_interval(n10, n, confidence)
    l01, u01 = proportion_interval(n01, n, confidence)
    rho = -math.sqrt(p10 * p01 / ((1 - p10) * (1 - p01))) if p10 < 1 and p01 < 1 else 0.0
    down = math.sqrt(max(0.0, (p10 - l10) ** 2 + (u01 - p01) ** 2 - 2 * rho * (p10 - l10) * (u01 - p01)))
    up = math.sqrt(max(0.0, (u10 - p10) ** 2 + (p01 - l01) ** 2 - 2 * rho * (u10 - p10) * (p01 - l01)))
    diff = p10 - p01
    return (max(-1.0, diff - down), min(1.0, diff + up))


def _is_ternary(d: np.ndarray) -> bool:
    return bool(np.isin(d, (-1.0, 0.0, 1.0)).all())


def _difference_range(d: np.ndarray) -> tuple[float, float]:
    reach = max(1.0, float(np.abs(d).max()))
    return (-reach, reach)


def difference_interval(d: np.ndarray, n_boot: int, rng: np.random.Generator,
                        confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean(d), low, high) for one task's paired differences d (non-empty): the 0/1 interval when d is in
    {−1, 0, 1}, else bootstrap-t (or `constant_interval` when d is constant)."""
    diff = float(d.mean())
    if _is_ternary(d):
        low, high = paired_binary_interval(int(np.sum(d == 1)), int(np.sum(d == -1)), d.size, confidence)
    elif np.all(d == d[0]):
        low, high = constant_interval(float(d[0]), d.size, *_difference_range(d), confidence)
    else:
        low, high = studentized_interval(d, confidence, n_boot, rng, _difference_range(d))
    return (diff, min(low, diff), max(high, diff))


def paired_bootstrap_diff(a, b, n_boot: int = 10000, seed: int = 0,
                          confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean(a − b), low, high) on item pairs (a_i, b_i), so the correlation between the two models on the
    same items narrows the interval. 0/1 scores: the MOVER interval of `paired_binary_interval` (no resampling:
    n_boot and seed unused); continuous scores: symmetric bootstrap-t with n_boot resamples, seeded. The name
    is kept for its callers."""
    d = _as_pair(a, b)
    if d.size == 0:
        raise ValueError("paired_bootstrap_diff: no paired items")
    return difference_interval(d, n_boot, np.random.default_rng(seed), confidence)


def mover_mean(estimates: Sequence[float], lows: Sequence[float],
               highs: Sequence[float]) -> tuple[float, float, float]:
    """(mean, low, high) of the equally weighted mean of K independent estimates from their own intervals:
    low = mean − √Σ(est − low)² / K, high = mean + √Σ(high − est)² / K (MOVER, Zou & Donner 2008)."""
    est, lo, hi = (np.asarray(v, dtype=float) for v in (estimates, lows, highs))
    k = est.size
    mean = float(est.mean())
    down, up = float(np.sqrt(np.sum((est - lo) ** 2))), float(np.sqrt(np.sum((hi - est) ** 2)))
    return (mean, mean - down / k, mean + up / k)


def cell_bootstrap(pairs_per_task: Sequence[tuple[np.ndarray, np.ndarray]], n_boot: int = 10000, seed: int = 0,
                   confidence: float = 0.95) -> tuple[float, float, float]:
    """(diff, low, high) of a capability × language cell: diff = mean over its tasks of mean(a − b), tasks
    weighted equally whatever their size. Each task gets its own interval (see `paired_bootstrap_diff`; the
    bootstrap of continuous tasks draws from one generator seeded once) and the cell interval combines them
    by MOVER. Tasks without pairs are ignored; with one task this equals `paired_bootstrap_diff` (same seed)."""
    diffs = [d for d in (_as_pair(a, b) for a, b in pairs_per_task) if d.size]
    if not diffs:
        raise ValueError("cell_bootstrap: no paired items")
    rng = np.random.default_rng(seed)
    rows = [difference_interval(d, n_boot, rng, confidence) for d in diffs]
    if len(rows) == 1:
        return rows[0]
    diff, low, high = mover_mean(*zip(*rows))
    lowest, highest = _difference_range(np.concatenate(diffs))
    return (diff, max(lowest, low), min(highest, high))


def interval_method(d: np.ndarray) -> str:
    """Which interval `difference_interval` gives these differences: "paired 0/1 (MOVER)", "constant" or
    "bootstrap-t"."""
    if _is_ternary(d):
        return "paired 0/1 (MOVER)"
    return "constant" if np.all(d == d[0]) else "bootstrap-t"
