"""Scores with a known truth, for checking that intervals cover and tests hold their level.

Used by tests/test_stats_simulation.py (fast, seeded) and benchmarks/stats_simulation.py (thousands of runs).
- 0/1 answers: items of varying difficulty β ~ N(0, spread²); a model of ability θ answers an item right with
  probability σ(θ − β), independently of the other models given the item. Models therefore agree more than
  chance, as real models do (φ ≈ 0.3-0.4 at spread 2), and the true score of a model is E[σ(θ − β)] over items.
- continuous scores (chrF-like): skewed laws on [0, 1] with a closed-form mean.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

SPREAD = 2.0  # sd of item difficulty (logits)
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(80)


def true_score(theta: float, spread: float = SPREAD) -> float:
    """E[σ(θ − β)] for β ~ N(0, spread²), by Gauss–Hermite quadrature."""
    return float(np.sum(_WEIGHTS * expit(theta - spread * _NODES)) / math.sqrt(2 * math.pi))


def ability_for(score: float, spread: float = SPREAD) -> float:
    """The θ whose true score is `score` (bisection)."""
    low, high = -20.0, 20.0
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (mid, high) if true_score(mid, spread) < score else (low, mid)
    return (low + high) / 2


def answers(rng: np.random.Generator, thetas, n: int, spread: float = SPREAD) -> np.ndarray:
    """0/1 answers of len(thetas) models to the same n fresh items: an array (models, n)."""
    beta = rng.normal(0.0, spread, n)
    p = expit(np.asarray(thetas, dtype=float)[:, None] - beta[None, :])
    return (rng.random(p.shape) < p).astype(float)


# kind -> (sampler(rng, shape), true mean)
CONTINUOUS = {
    "beta(0.5,3)": (lambda rng, shape: rng.beta(0.5, 3.0, shape), 0.5 / 3.5),
    "beta(2,5)": (lambda rng, shape: rng.beta(2.0, 5.0, shape), 2 / 7),
    "beta(5,0.7)": (lambda rng, shape: rng.beta(5.0, 0.7, shape), 5 / 5.7),
    "half zeros": (lambda rng, shape: np.where(rng.random(shape) < 0.5, 0.0, rng.beta(2.0, 2.0, shape)), 0.25),
    "bimodal": (lambda rng, shape: np.where(rng.random(shape) < 0.8, rng.beta(1.0, 20.0, shape),
                                            rng.beta(5.0, 2.0, shape)), 0.8 / 21 + 0.2 * 5 / 7),
}


def continuous(rng: np.random.Generator, kind: str, shape) -> tuple[np.ndarray, float]:
    """(draws of a skewed chrF-like score, its true mean)."""
    sampler, mean = CONTINUOUS[kind]
    return sampler(rng, shape), mean


def _beta_moment(a: float, b: float, r: float) -> float:
    """E[q^r] for q ~ Beta(a, b)."""
    return math.exp(math.lgamma(a + r) + math.lgamma(a + b) - math.lgamma(a) - math.lgamma(a + b + r))


def continuous_pair(rng: np.random.Generator, n: int, power_a: float = 1.0, power_b: float = 1.2,
                    size: int | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Paired chrF-like scores on the same items: item quality q ~ Beta(1, 2) (skewed to 0), a = q^power_a · w_a,
    b = q^power_b · w_b with independent noise w ~ Beta(8, 1). Returns (a, b, true mean of a − b); with `size`,
    arrays of shape (size, n)."""
    shape = (n,) if size is None else (size, n)
    q = rng.beta(1.0, 2.0, shape)
    a = q ** power_a * rng.beta(8.0, 1.0, shape)
    b = q ** power_b * rng.beta(8.0, 1.0, shape)
    truth = (8 / 9) * (_beta_moment(1.0, 2.0, power_a) - _beta_moment(1.0, 2.0, power_b))
    return a, b, truth
