""""Similar as chatbots, behind as productivity tools": the gap of two models per role, per language.

A role is a group of capabilities: the chatbot (chat, judged) and the productivity tool (instruction
following, tool use, long input, code, maths). A role's gap is the mean over its tasks of the paired task
differences (tasks weighted equally, the cell statistic of `compare`), a judge's 1-10 ratings taken as
shares of the scale ((rating − 1) / 9) so that they sit beside accuracies. The two roles are measured on
different items, so the contrast (productivity gap − chatbot gap) combines their intervals as independent
estimates (MOVER).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from gapbench.schema.comparison import RoleContrast, RoleGap, RoleSummary
from gapbench.stats.paired import cell_bootstrap
from gapbench.store.db import Store

ROLES = {
    "chatbot": ("chat",),
    "productivity": ("instruction_following", "tool_use", "long_input", "code", "maths"),
}


def _shares(task: str, x: np.ndarray) -> np.ndarray:
    return (x - 1.0) / 9.0 if "@" in task else x  # judged tasks hold 1-10 ratings


def role_summary(store: Store, a: str, b: str, task_rows, pairs: dict[str, tuple[np.ndarray, np.ndarray]],
                 n_boot: int = 10000, seed: int = 0) -> RoleSummary:
    """From the paired arrays of a comparison's tasks ({task: (a, b)}) and their rows (task, capability, language)."""
    by: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in task_rows:
        for role, caps in ROLES.items():
            if row.capability in caps:
                by[(role, row.language)].append(row.task)
    gaps: list[RoleGap] = []
    for (role, language), tasks in sorted(by.items()):
        arrays = [tuple(_shares(t, x) for x in pairs[t]) for t in tasks]
        diff, low, high = cell_bootstrap(arrays, n_boot=n_boot, seed=seed)
        gaps.append(RoleGap(role=role, language=language, diff=diff, ci_low=low, ci_high=high, tasks=sorted(tasks),
                            n_paired=int(sum(len(x) for x, _ in arrays))))
    contrasts = []
    for language in sorted({g.language for g in gaps}):
        chat = next((g for g in gaps if g.role == "chatbot" and g.language == language), None)
        prod = next((g for g in gaps if g.role == "productivity" and g.language == language), None)
        if chat and prod:
            d = prod.diff - chat.diff
            low = d - math.hypot(prod.diff - prod.ci_low, chat.ci_high - chat.diff)
            high = d + math.hypot(prod.ci_high - prod.diff, chat.diff - chat.ci_low)
            contrasts.append(RoleContrast(language=language, diff=d, ci_low=low, ci_high=high,
                                          differ=low > 0 or high < 0))
    missing = [r for r in ROLES if not any(g.role == r for g in gaps)]
    note = (f"no paired {', '.join(missing)} tasks in the store" if missing else None)
    return RoleSummary(gaps=gaps, contrasts=contrasts, note=note)
