"""What `gapbench run --json` prints."""

from __future__ import annotations

from pydantic import Field

from gapbench.schema.base import Record
from gapbench.schema.judging import JudgeReport
from gapbench.schema.results import Result


class PrecisionEstimand(Record):
    """One quantity `--precision` watched: a model's mean score, or the paired difference of two models."""

    models: list[str] = Field(description="one name: that model's mean score; two: the paired difference first − second")
    n: int = Field(description="items that fed the interval (asked of every model, none failed)")
    estimate: float | None = Field(description="mean over those items (None before any)")
    low: float
    high: float
    half_width: float
    reached: bool = Field(description="half-width below the target")


class PrecisionReport(Record):
    """How a task ran under `--precision H`: items drawn in the task's seeded order until every interval's
    half-width was below H. The interval is an anytime-valid 95% confidence sequence (the betting CS of
    Waudby-Smith & Ramdas 2023, without replacement over the task's items), so it covers the full-run value
    although the run stopped by looking at it; it is not the fixed-n interval of `results`."""

    task: str
    target: float = Field(description="H: the half-width asked for")
    reached: bool = Field(description="every estimand reached the target (False: the task's items ran out first)")
    items_total: int = Field(description="items of the task (after --limit)")
    items_asked: int = Field(description="items handed to the models (from the cache or by a model call)")
    items_used: int = Field(description="items that fed the intervals")
    items_dropped: int = Field(description="items a model failed or could not fit (left out of the population)")
    items_saved: int = Field(description="items never asked")
    calls_saved: int = Field(description="model calls those items would have needed, over every model")
    estimands: list[PrecisionEstimand]


class RunSummary(Record):
    """What `gapbench run --json` prints."""

    model_calls: int
    cache_hits: int
    errors: int
    skipped: int = Field(description="items longer than a local model's context window (not scored)")
    notes: list[str]
    results: list[Result]
    judged: JudgeReport | None = Field(None, description="with --judge: the judge's scores of the chat tasks")
    precision: list[PrecisionReport] = Field(default_factory=list,
                                             description="with --precision: per task, where it stopped and why")
