"""Paired differences between two models on the same items."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def paired_task_gap(per_task: Mapping[str, tuple[list[float], list[float]]], n_boot: int = 2000,
                    seed: int = 0, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean over tasks of mean(a - b) on paired items, with a bootstrap interval that resamples
    items within each task (tasks weighted equally). Returns (diff, low, high, n_items)."""
    diffs = [np.asarray(a, float) - np.asarray(b, float) for a, b in per_task.values() if len(a)]
    if not diffs:
        return (0.0, 0.0, 0.0, 0)
    point = float(np.mean([d.mean() for d in diffs]))
    rng = np.random.default_rng(seed)
    boots = np.zeros(n_boot)
    for d in diffs:
        boots += d[rng.integers(0, d.size, size=(n_boot, d.size))].mean(axis=1)
    boots /= len(diffs)
    alpha = (1 - confidence) / 2
    return (point, float(np.quantile(boots, alpha)), float(np.quantile(boots, 1 - alpha)),
            int(sum(d.size for d in diffs)))


# Memory bound for one block of bootstrap indices (elements), so large tasks (MMLU: 14k items) stay small.
_BLOCK = 2_000_000


def _as_pair(a, b) -> np.ndarray:
    """The paired differences a − b as a float vector (both 1-D, same length)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"paired scores need two 1-D arrays of the same length, got {a.shape} and {b.shape}")
    return a - b


def _boot_means(d: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """n_boot bootstrap means of d (items resampled with replacement).

    When d takes few distinct values (0/1 scores give d in {-1, 0, 1}) a resample is fully described by how
    often each value is drawn, a multinomial draw: same distribution, O(n_boot · k) instead of O(n_boot · n).
    Otherwise indices are drawn in memory-bounded blocks."""
    values, counts = np.unique(d, return_counts=True)
    if 4 * values.size <= d.size:
        return rng.multinomial(d.size, counts / d.size, size=n_boot) @ values / d.size
    out = np.empty(n_boot)
    rows = max(1, _BLOCK // max(1, d.size))
    for start in range(0, n_boot, rows):
        stop = min(n_boot, start + rows)
        out[start:stop] = d[rng.integers(0, d.size, size=(stop - start, d.size))].mean(axis=1)
    return out


def _percentiles(boots: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = (1 - confidence) / 2
    return float(np.quantile(boots, alpha)), float(np.quantile(boots, 1 - alpha))


def paired_bootstrap_diff(a, b, n_boot: int = 10000, seed: int = 0,
                          confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean(a − b), low, high): percentile bootstrap interval that resamples item pairs (a_i, b_i) together,
    so the correlation between the two models on the same items narrows the interval."""
    d = _as_pair(a, b)
    if d.size == 0:
        raise ValueError("paired_bootstrap_diff: no paired items")
    boots = _boot_means(d, n_boot, np.random.default_rng(seed))
    return (float(d.mean()), *_percentiles(boots, confidence))


def cell_bootstrap(pairs_per_task: Sequence[tuple[np.ndarray, np.ndarray]], n_boot: int = 10000, seed: int = 0,
                   confidence: float = 0.95) -> tuple[float, float, float]:
    """(diff, low, high) of a capability × language cell: diff = mean over its tasks of mean(a − b), tasks
    weighted equally whatever their size. The bootstrap resamples item pairs within each task independently
    (a stratified bootstrap: each task keeps its size), then takes the percentile interval of the cell means.
    Tasks without pairs are ignored; with one task this equals `paired_bootstrap_diff` (same seed)."""
    diffs = [d for d in (_as_pair(a, b) for a, b in pairs_per_task) if d.size]
    if not diffs:
        raise ValueError("cell_bootstrap: no paired items")
    rng = np.random.default_rng(seed)
    boots = np.zeros(n_boot)
    for d in diffs:
        boots += _boot_means(d, n_boot, rng)
    boots /= len(diffs)
    return (float(np.mean([d.mean() for d in diffs])), *_percentiles(boots, confidence))
