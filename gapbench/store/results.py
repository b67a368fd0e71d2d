"""Results (n, mean, 95% interval) recomputed from the scores in the store."""

from __future__ import annotations

from collections import defaultdict

from gapbench.stats.intervals import mean_interval
from gapbench.store.db import Store
from gapbench.types import Result


def results_from_store(store: Store, model: str | None = None, task: str | None = None) -> list[Result]:
    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    for row in store.scores(model=model, task=task):
        groups[(row["model"], row["task"], row["method"])].append(row)
    open_errors: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for e in store.open_errors():
        open_errors[(e["model"], e["task"], e["method"])].add(e["sample_id"])
    results = []
    for (m, t, method), rows in sorted(groups.items()):
        mean, low, high = mean_interval([r["value"] for r in rows])
        results.append(Result(model=m, task=t, language=rows[0]["language"], capability=rows[0]["capability"],
                              n=len(rows), score=mean, ci_low=low, ci_high=high, method=method,
                              errors=len(open_errors[(m, t, method)])))
    return results
