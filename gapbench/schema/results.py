"""Typed results of `gapbench run` and `gapbench results`: one row per model × task × method."""

from __future__ import annotations

from pydantic import Field

from gapbench.schema.base import Record


class GroupRate(Record):
    n: int
    rate: float


class Breakdown(Record):
    """The headline per group of items, as the scorer declares it (e.g. refusal rate per subset)."""

    by: str  # the item field that names the group: "subset", "length"
    label: str
    groups: dict[str, GroupRate]


class Result(Record):
    """One model's score on one task with a 95% interval, and the scorer's other declared metrics."""

    model: str
    task: str
    language: str
    capability: str
    method: str
    metric: str = Field(description="the headline metric that `score` reports (declared by the task's scorer)")
    n: int = Field(description="items scored")
    score: float | None = Field(description="mean of the headline metric; None when no item was scored (n = 0)")
    ci_low: float | None
    ci_high: float | None
    errors: int = Field(0, description="items without a score because a call failed (retried on the next run)")
    metrics: dict[str, float] = Field(default_factory=dict,
                                      description="every other declared metric: item means and corpus figures")
    breakdown: Breakdown | None = None


class RunSummary(Record):
    """What `gapbench run --json` prints."""

    model_calls: int
    cache_hits: int
    errors: int
    skipped: int = Field(description="items longer than a local model's context window (not scored)")
    notes: list[str]
    results: list[Result]


class ResultsList(Record):
    """What `gapbench results --json` prints."""

    results: list[Result]
