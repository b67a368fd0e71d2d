"""Paired significance tests between two models scored on the same items; Holm and Benjamini–Hochberg corrections.

All functions are pure and seeded: the same input gives the same p-value.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.stats import binom

from gapbench.stats.paired import _as_pair

EXACT_MAX = 16  # enumerate all 2^n sign flips up to this many non-zero differences
_BLOCK = 2_000_000  # elements of one block of random signs


def mcnemar_exact(a, b) -> float:
    """Exact two-sided McNemar p-value for binary paired scores (0/1 per item).

    Only discordant pairs carry information: n10 items where a is right and b wrong, n01 the reverse.
    Under H0 each discordant pair goes either way with probability 1/2, so the p-value is the two-sided
    binomial test of n10 out of n10 + n01 at p = 1/2: min(1, 2 · P(X ≤ min(n10, n01))).
    1.0 when there are no discordant pairs.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"mcnemar_exact needs two 1-D arrays of the same length, got {a.shape} and {b.shape}")
    if not (np.isin(a, (0.0, 1.0)).all() and np.isin(b, (0.0, 1.0)).all()):
        raise ValueError("mcnemar_exact needs binary (0/1) scores; use paired_permutation_test for continuous ones")
    n10 = int(np.sum((a == 1) & (b == 0)))
    n01 = int(np.sum((a == 0) & (b == 1)))
    n = n10 + n01
    if n == 0:
        return 1.0
    return float(min(1.0, 2.0 * binom.cdf(min(n10, n01), n, 0.5)))


def _sign_flip_pvalue(x: np.ndarray, n_perm: int, seed: int) -> float:
    """Two-sided sign-flip p-value of the statistic |Σ x_i| (x_i: weighted paired differences).

    Under H0 (the two models' scores on an item are exchangeable) every sign pattern is equally likely.
    Zero differences are unaffected by a flip and are dropped. With at most EXACT_MAX non-zero values all
    2^n patterns are enumerated (exact p, the identity included); otherwise n_perm random patterns are drawn
    and p = (1 + #{|T*| ≥ |T|}) / (1 + n_perm), which is never 0 and keeps the test valid. The smallest
    Monte Carlo p is therefore 1 / (1 + n_perm).
    """
    x = x[x != 0]
    n = x.size
    if n == 0:
        return 1.0
    observed = abs(float(x.sum()))
    tol = 1e-9 * float(np.abs(x).sum())  # sums in another order differ by rounding only
    if n <= EXACT_MAX:
        patterns = np.arange(2 ** n, dtype=np.int64)[:, None] >> np.arange(n) & 1
        stats = np.abs((2 * patterns - 1) @ x)
        return float(np.mean(stats >= observed - tol))
    rng = np.random.default_rng(seed)
    hits = 0
    # A flipped sum has the law of Σ s_i |x_i|. With few distinct |x| (0/1 scores: one per task), the copies
    # of a value v flipped to + are Binomial(c_v, 1/2): draw those counts instead of n signs per permutation.
    values, counts = np.unique(np.abs(x), return_counts=True)
    grouped = 4 * values.size <= n
    width = values.size if grouped else n
    rows = max(1, _BLOCK // width)
    for start in range(0, n_perm, rows):
        k = min(n_perm, start + rows) - start
        if grouped:
            stats = (2 * rng.binomial(counts, 0.5, size=(k, values.size)) - counts) @ values
        else:
            stats = (rng.integers(0, 2, size=(k, n), dtype=np.int8) * 2 - 1) @ x
        hits += int(np.sum(np.abs(stats) >= observed - tol))
    return (1 + hits) / (1 + n_perm)


def paired_permutation_test(a, b, n_perm: int = 10000, seed: int = 0) -> float:
    """Two-sided sign-flip permutation test of mean(a − b) = 0 for paired scores (continuous, e.g. chrF, or
    binary). Exact enumeration when at most 16 differences are non-zero; otherwise n_perm random sign flips
    with the +1 correction, p = (1 + hits) / (1 + n_perm)."""
    return _sign_flip_pvalue(_as_pair(a, b), n_perm, seed)


def cell_permutation_test(pairs_per_task: Sequence[tuple[np.ndarray, np.ndarray]], n_perm: int = 10000,
                          seed: int = 0) -> float:
    """p-value of a capability × language cell: a stratified sign-flip permutation test.

    The statistic is the cell difference used by `cell_bootstrap`, the mean over the cell's K tasks of
    mean(a − b) (tasks weighted equally), i.e. Σ_t Σ_i d_ti / (K · n_t). Under H0 a and b are exchangeable
    within every item, so each pair's sign is flipped independently (flips never move an item to another
    task, so each task keeps its weight). Two-sided; exact when at most 16 differences in the whole cell are
    non-zero, else n_perm random flips with the +1 correction. With one task it equals
    `paired_permutation_test`.
    """
    diffs = [d for d in (_as_pair(a, b) for a, b in pairs_per_task) if d.size]
    if not diffs:
        return 1.0
    weighted = np.concatenate([d / (len(diffs) * d.size) for d in diffs])
    return _sign_flip_pvalue(weighted, n_perm, seed)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order: the i-th smallest p is multiplied by (m − i + 1),
    made monotone (running maximum in sorted order) and capped at 1. Reject H_i at level α iff adjusted ≤ α."""
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    adjusted = np.empty(m)
    adjusted[order] = scaled
    return [float(v) for v in adjusted]


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (false discovery rate), in the input order: the i-th smallest p is
    multiplied by m / i, made monotone (running minimum from the largest down) and capped at 1. Rejecting every
    H_i with adjusted ≤ q keeps the expected share of false discoveries ≤ q (independent or positively
    dependent tests). Never above Holm's adjustment: more gaps found, at the price of a controlled share of
    false ones instead of a controlled chance of any."""
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    scaled = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    adjusted = np.empty(m)
    adjusted[order] = scaled
    return [float(v) for v in adjusted]
