"""What `gapbench run --json` prints."""

from __future__ import annotations

from pydantic import Field

from gapbench.schema.base import Record
from gapbench.schema.judging import JudgeReport
from gapbench.schema.results import Result


class RunSummary(Record):
    """What `gapbench run --json` prints."""

    model_calls: int
    cache_hits: int
    errors: int
    skipped: int = Field(description="items longer than a local model's context window (not scored)")
    notes: list[str]
    results: list[Result]
    judged: JudgeReport | None = Field(None, description="with --judge: the judge's scores of the chat tasks")
