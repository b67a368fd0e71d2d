"""How large a gap a comparison could find: the minimum detectable effect at 80 % power.

A cell's test must reach p ≤ α after the correction across m cells. For a gap that is the only real one
among m cells, both Holm and Benjamini–Hochberg require raw p ≤ α / m, so the smallest gap found with
probability 0.8 is about (z(1 − α / 2m) + z(0.8)) · se, with se the standard error read off the cell's own 95 %
interval, (high − low) / (2 · 1.96). A normal approximation: benchmarks/stats_simulation.py checks that a
true gap of this size is found about 80 % of the time.
"""

from __future__ import annotations

from statistics import NormalDist

ALPHA = 0.05
POWER = 0.8
NOTE_ABOVE = 0.05  # a cell that cannot see a 5-point gap gets a power note


def minimum_detectable(low: float, high: float, m_tests: int = 1, confidence: float = 0.95,
                       alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest true gap (same units as the interval) detected with probability `power` by a two-sided
    test at level alpha / m_tests, from the width of the estimate's confidence interval."""
    normal = NormalDist()
    se = (high - low) / (2 * normal.inv_cdf(0.5 + confidence / 2))
    return se * (normal.inv_cdf(1 - alpha / (2 * max(m_tests, 1))) + normal.inv_cdf(power))


def _level(m_tests: int) -> str:
    return f"80% power, Holm or BH over {m_tests} cells" if m_tests > 1 else "80% power, one test"


def power_note(mde: float, m_tests: int) -> str | None:
    """One line when gaps of more than NOTE_ABOVE would likely go unnoticed; None otherwise."""
    if mde <= NOTE_ABOVE:
        return None
    if mde >= 1:
        return f"no gap would reliably be found at these n ({_level(m_tests)})"
    return f"gaps under {100 * mde:.0f} points would likely go unnoticed at these n ({_level(m_tests)})"


def summary_note(cells: list[tuple[str, float]], m_tests: int) -> str | None:
    """One line for a whole comparison from (cell name, mde) pairs: the typical and the largest blind spot."""
    if not cells:
        return None
    mdes = sorted(mde for _, mde in cells)
    if mdes[-1] <= NOTE_ABOVE:
        return None
    median = mdes[len(mdes) // 2]
    worst_name, worst = max(cells, key=lambda c: c[1])
    return (f"Power: gaps under {100 * min(median, 1):.0f} points (median cell; {100 * min(worst, 1):.0f} in "
            f"{worst_name}) would likely go unnoticed at these n ({_level(m_tests)}).")
