"""Results (n, mean, 95% interval, the scorer's other metrics) recomputed from the scores in the store.

What a result reports beside its headline comes from the scorer's declaration (gapbench.scoring.registry):
the means of its other item metrics, its corpus metrics and its breakdown. Stores written before scorers
declared their metrics (no scorer recorded) give the headline only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from gapbench.schema.results import Breakdown, GroupRate, Result
from gapbench.scoring.registry import Scorer, scorers
from gapbench.stats.intervals import mean_interval
from gapbench.store.db import Store
from gapbench.store.rows import ScoreRow


def results_from_store(store: Store, model: str | None = None, task: str | None = None) -> list[Result]:
    groups: dict[tuple[str, str, str], list[ScoreRow]] = defaultdict(list)
    for row in store.scores(model=model, task=task):
        groups[(row.model, row.task, row.method)].append(row)
    open_errors: dict[tuple[str, str, str], dict[str, str]] = defaultdict(dict)
    for e in store.open_errors():
        open_errors[(e.model, e.task, e.method)][e.sample_id] = e.message  # the latest message per item
    out = []
    for key, rows in sorted(groups.items()):
        messages = open_errors[key].values()
        out.append(summarise(rows, errors=len(messages), truncated=sum(TRUNCATED in m for m in messages)))
    return out


NOT_JUDGED = "not judged: answers stored; `gapbench judge --judge MODEL` scores them"


TRUNCATED = "truncated:"  # how providers begin the error of an answer cut off by the token limit


def summarise(rows: list[ScoreRow], errors: int = 0, truncated: int = 0) -> Result:
    """The result of one model × task × method from its scored items (at least one)."""
    first = rows[0]
    scorer = scorers().get(first.scorer or "")
    common = dict(model=first.model, task=first.task, language=first.language, capability=first.capability,
                  method=first.method, metric=first.metric or "score", n=len(rows), errors=errors, truncated=truncated)
    if scorer is not None and not scorer.measures:  # a placeholder is not a score
        return Result(**common, score=None, ci_low=None, ci_high=None, note=NOT_JUDGED)
    mean, low, high = mean_interval([r.value for r in rows])
    metrics, breakdown = ({}, None) if scorer is None else declared_figures(scorer, rows)
    scale = next((m.scale for m in scorer.metrics if m.name == first.metric), "0-1") if scorer else "0-1"
    return Result(**common, score=mean, ci_low=low, ci_high=high, metrics=metrics, breakdown=breakdown, scale=scale)


def declared_figures(scorer: Scorer, rows: list[ScoreRow]) -> tuple[dict[str, float], Breakdown | None]:
    """The scorer's other item metrics (means), its corpus metrics, and its breakdown of the headline."""
    method, headline = rows[0].method, rows[0].metric
    metrics: dict[str, float] = {}
    for m in scorer.metrics_for(method, "item"):
        values = [r.metrics[m.name] for r in rows if m.name in r.metrics]
        if m.name != headline and values:  # the mean over the items that have it (AlignBench's dimensions)
            metrics[m.name] = sum(values) / len(values)
    if scorer.corpus is not None and scorer.metrics_for(method, "corpus"):
        metrics.update(scorer.corpus([(r.extracted, r.details) for r in rows], rows[0].language))
    return metrics, _breakdown(scorer, rows)


def _breakdown(scorer: Scorer, rows: Iterable[ScoreRow]) -> Breakdown | None:
    spec = scorer.breakdown
    if spec is None:
        return None
    by: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r.details.get(spec.key) is None:
            return None  # items scored before the scorer recorded its groups
        by[str(r.details[spec.key])].append(r.value)
    if len(by) < spec.min_groups or (spec.max_groups is not None and len(by) > spec.max_groups):
        return None
    order = sorted(by, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
    return Breakdown(by=spec.key, label=spec.label,
                     groups={k: GroupRate(n=len(by[k]), rate=sum(by[k]) / len(by[k])) for k in order})
