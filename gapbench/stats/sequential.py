"""Anytime-valid confidence sequences for the mean of bounded scores, so a run may stop at a target precision.

Why not the fixed-n interval: an interval that covers 95 % at one sample size chosen in advance covers far
less when the sample size is chosen by looking at the data ("stop once the interval is narrow enough" or,
worse, "once it excludes 0"); at each look the chance to miss adds up. A confidence sequence (CS) holds
simultaneously for every n: P(∃ n: μ ∉ CI_n) ≤ α, so stopping at any data-dependent time keeps the promise.

Which one: the hedged betting CS of Waudby-Smith & Ramdas (2023, "Estimating means of bounded random variables
by betting", JRSS-B, Theorem 3 / Section 5) for scores in a known range [lower, upper]: accuracy (0/1) and
chrF in [0, 1], a paired difference a − b in [−1, 1]. For each candidate mean m two gamblers bet on "the mean
is above m" and "below m"; their wealth is a nonnegative martingale when m is the truth, so by Ville's
inequality it reaches 1/α with probability at most α, and the CS is every m where the hedged wealth
max(½K⁺, ½K⁻) stays below 1/α. Chosen over the alternatives because:
- it is valid without any normal approximation (scores are bounded, nothing else is assumed), at every n;
- it adapts to the variance: paired differences of two models that agree on most items (mostly zeros) get
  intervals as narrow as an empirical-Bernstein bound promises, and narrower in practice; Hoeffding's CS
  ignores the variance and needs 2-4x the items for the same width on such data;
- a group-sequential design (O'Brien–Fleming, Pocock) needs the looks and the maximal sample size fixed in
  advance and a normal approximation; a CS lets the runner look after every item and resume later with a
  smaller target (a run with more budget continues the same order from the cache);
- items are drawn without replacement from a finite task (its seeded order), and the without-replacement form
  of the same CS (WSR 2023, Section 6) covers the mean over the task's N items, which is the "full-run" score
  a complete run reports, and narrows towards it as n approaches N (at n = N it is that mean exactly).

Bets: the predictable plug-in λ_t = sqrt(2 log(2/α) / (σ̂²_{t-1} t log(1+t))) of WSR (eq. 26-27), each side
truncated at c/m and c/(1−m) (c = ½) so wealth stays positive. Any predictable bet keeps validity; with a
`target_half_width` h the bet is also capped at h/σ̂² (the Kelly-like bet for a deviation of size h), which
spends less wealth early and narrows the CS near the sample size where the target is expected to be met
(measured in tests/test_sequential.py and notes/issue12.md). The CS is computed on a grid of candidate means,
each bound widened outwards by one grid step; a running intersection keeps it monotone.
"""

from __future__ import annotations

import math

import numpy as np

GRID = 2001  # candidate means on [lower, upper]: a resolution of 0.0005 on [0, 1], 0.001 on [−1, 1]
BET_CAP = 0.5  # c: a bet never risks more than half the wealth


class BettingConfidenceSequence:
    """A confidence sequence for the mean of scores in [lower, upper], for one or several independent streams.

    `update(x)` adds one observation per stream (a scalar for one stream, shape (streams,) otherwise);
    `interval()` gives (low, high), valid simultaneously over every n at level `confidence`.
    `population=N` bounds the target to the mean of a finite population of N items drawn without replacement
    (the task's items in its seeded order); None targets the mean of an infinite population.
    """

    def __init__(self, lower: float = 0.0, upper: float = 1.0, confidence: float = 0.95,
                 population: int | None = None, streams: int = 1, grid: int = GRID,
                 target_half_width: float | None = None):
        if not upper > lower:
            raise ValueError(f"need lower < upper, got [{lower}, {upper}]")
        if not 0 < confidence < 1:
            raise ValueError(f"confidence must be in (0, 1), got {confidence}")
        if population is not None and population < 1:
            raise ValueError(f"population must be ≥ 1, got {population}")
        self.lower, self.upper, self.confidence = float(lower), float(upper), float(confidence)
        self.population, self.streams = population, int(streams)
        self.alpha = 1.0 - confidence
        self._threshold = math.log(1.0 / self.alpha)
        self._m = np.linspace(0.0, 1.0, grid)  # candidate means on the unit scale
        self._step = 1.0 / (grid - 1)
        self._h = None if target_half_width is None else float(target_half_width) / (self.upper - self.lower)
        shape = (self.streams, grid)
        self._log_up = np.zeros(shape)  # log wealth of the gambler betting the mean is above m
        self._log_down = np.zeros(shape)
        self._alive = np.ones(shape, dtype=bool)  # candidates not yet rejected (running intersection)
        self.n = 0
        self._sum = np.zeros(self.streams)  # Σ y (unit scale)
        self._sq = np.zeros(self.streams)  # Σ (y_i − μ̂_i)², for the variance estimate of the bets

    # scale ----------------------------------------------------------------------------------------
    def _unit(self, x) -> np.ndarray:
        y = (np.asarray(x, dtype=float).reshape(-1) - self.lower) / (self.upper - self.lower)
        if y.shape != (self.streams,):
            raise ValueError(f"expected {self.streams} value(s), got shape {np.shape(x)}")
        if np.any(y < -1e-9) or np.any(y > 1 + 1e-9) or np.any(~np.isfinite(y)):
            raise ValueError(f"scores must lie in [{self.lower}, {self.upper}], got {x}")
        return np.clip(y, 0.0, 1.0)

    def _bet(self) -> np.ndarray:
        """The predictable plug-in bet λ_t for the next observation (t = n + 1), per stream."""
        t = self.n + 1
        var = (0.25 + self._sq) / t  # σ̂²_{t-1}
        bet = np.sqrt(2 * math.log(2 / self.alpha) / (var * t * math.log(1 + t)))
        if self._h is not None:  # a deviation h of the population mean moves the unseen items' mean by h·N/left
            h = self._h if self.population is None else self._h * self.population / (self.population - self.n)
            bet = np.minimum(bet, h / var)
        return bet

    # updates --------------------------------------------------------------------------------------
    def update(self, x) -> None:
        if self.population is not None and self.n >= self.population:
            raise ValueError(f"all {self.population} items of the population were already seen")
        y = self._unit(x)
        bet = self._bet()[:, None]
        m = self._m[None, :]
        if self.population is not None:  # the mean of the items not yet seen, if the population mean is m
            left = self.population - self.n
            m = (self.population * m - self._sum[:, None]) / left
            self._alive &= (m >= -1e-12) & (m <= 1 + 1e-12)  # m is impossible given what was seen
            m = np.clip(m, 0.0, 1.0)
        with np.errstate(divide="ignore"):
            up = np.minimum(bet, BET_CAP / m)
            down = np.minimum(bet, BET_CAP / (1.0 - m))
        dev = y[:, None] - m
        self._log_up += np.log1p(up * dev)
        self._log_down += np.log1p(-down * dev)
        hedged = np.maximum(self._log_up, self._log_down) + math.log(0.5)
        self._alive &= hedged < self._threshold
        self.n += 1
        self._sum += y
        self._sq += (y - (0.5 + self._sum) / (self.n + 1)) ** 2

    def extend(self, xs) -> None:
        """update() with each value of a 1-D sequence in turn (one stream)."""
        for x in xs:
            self.update(x)

    # results --------------------------------------------------------------------------------------
    def mean(self) -> np.ndarray | float:
        unit = self._sum / max(self.n, 1)
        out = self.lower + unit * (self.upper - self.lower)
        return float(out[0]) if self.streams == 1 else out

    def interval(self) -> tuple:
        """(low, high): floats for one stream, arrays for several. Before any data: the whole range."""
        if self.population is not None and self.n == self.population:  # every item seen: the mean is known
            low = high = self._sum / self.n
        else:
            alive = self._alive
            any_alive = alive.any(axis=1)
            first = np.where(any_alive, alive.argmax(axis=1), 0)
            last = np.where(any_alive, alive.shape[1] - 1 - alive[:, ::-1].argmax(axis=1), alive.shape[1] - 1)
            # one grid step outwards: the true mean may lie between a rejected and an accepted candidate
            low = np.clip(self._m[first] - self._step, 0.0, 1.0)
            high = np.clip(self._m[last] + self._step, 0.0, 1.0)
            empty = ~any_alive  # only when the model of the data is wrong (or with probability ≤ α)
            if empty.any():
                centre = self._sum / max(self.n, 1)
                low, high = np.where(empty, centre, low), np.where(empty, centre, high)
        span = self.upper - self.lower
        low, high = self.lower + low * span, self.lower + high * span
        if self.streams == 1:
            return float(low[0]), float(high[0])
        return low, high

    def empty(self) -> np.ndarray | bool:
        """Whether every candidate mean was rejected (probability ≤ α; interval() then gives the point estimate)."""
        out = ~self._alive.any(axis=1)
        return bool(out[0]) if self.streams == 1 else out

    def half_width(self) -> np.ndarray | float:
        low, high = self.interval()
        return (np.asarray(high) - np.asarray(low)) / 2 if self.streams > 1 else (high - low) / 2


def mean_sequence(values, lower: float = 0.0, upper: float = 1.0, confidence: float = 0.95,
                  population: int | None = None, target_half_width: float | None = None) -> tuple[float, float, float]:
    """(mean, low, high) of the CS after seeing `values` in order (one stream)."""
    cs = BettingConfidenceSequence(lower, upper, confidence, population, target_half_width=target_half_width)
    cs.extend(values)
    low, high = cs.interval()
    return cs.mean(), low, high


def naive_interval(values, confidence: float = 0.95) -> tuple[float, float]:
    """The fixed-n normal (Wald) interval, for comparison only: not valid under optional stopping."""
    from gapbench.stats.intervals import z_value

    x = np.asarray(values, dtype=float)
    se = x.std(ddof=1) / math.sqrt(x.size) if x.size > 1 else math.inf
    z = z_value(confidence)
    return float(x.mean() - z * se), float(x.mean() + z * se)
