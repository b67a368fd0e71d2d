"""How far one model (or group of models) is from another, per task and per capability × language cell."""

from gapbench.gap.compare import compare_groups, compare_models

__all__ = ["compare_models", "compare_groups"]
