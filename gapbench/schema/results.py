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
    errors: int = Field(0, description="items without a score because a call failed")
    truncated: int = Field(0, description="of the errors: answers cut off by the token limit (thinking models)")
    metrics: dict[str, float] = Field(default_factory=dict,
                                      description="every other declared metric: item means and corpus figures")
    breakdown: Breakdown | None = None
    scale: str = Field("0-1", description="the range of `score`: 0-1, or 1-10 for a judge's ratings")
    note: str | None = Field(None, description="why there is no score, e.g. chat answers not judged yet")


class ResultsList(Record):
    """What `gapbench results --json` prints."""

    results: list[Result]

