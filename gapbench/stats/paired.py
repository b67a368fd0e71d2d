"""Paired differences between two models on the same items."""

from __future__ import annotations

from typing import Mapping

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
