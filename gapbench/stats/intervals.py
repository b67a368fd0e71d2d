"""Confidence intervals for a mean score."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from statistics import NormalDist


def wilson(successes: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (good at small n and near 0 or 1)."""
    if n == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_mean(values: Sequence[float], confidence: float = 0.95, n_boot: int = 2000,
                   seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean, for continuous scores (e.g. chrF)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (0.0, 1.0)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    alpha = (1 - confidence) / 2
    return (float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha)))


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Wilson for 0/1 scores, bootstrap otherwise."""
    if not values:
        return (0.0, 0.0, 1.0)
    mean = float(sum(values) / len(values))
    if all(v in (0.0, 1.0) for v in values):
        low, high = wilson(sum(values), len(values), confidence)
    else:
        low, high = bootstrap_mean(values, confidence)
    return (mean, low, high)
