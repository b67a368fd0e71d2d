"""Typed data of `gapbench report` (`--format json` prints it; the HTML and Markdown render it)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gapbench.schema.base import Record
from gapbench.schema.comparison import Comparison
from gapbench.schema.gap import ClaimVerdict, Generation, LagSeries
from gapbench.schema.leaderboard import Leaderboard
from gapbench.schema.results import Result


class Meta(Record):
    title: str
    generated_at: str
    db: str
    gapbench_version: str
    a: str | None = None
    b: str | None = None
    pair: str | None = Field(None, description="why these two models are compared item by item")
    disagreements_total: int | None = None
    unavailable: dict[str, str] = Field(default_factory=dict, description="missing section -> why")


class LeaderboardRow(Result):
    country: str | None
    description: str
    run_ids: list[int] = Field(description="the runs whose stored scores this row is computed from")
    setup: str | None = Field(None, description="how an API model was asked: thinking, sampling instead of greedy")


class CostRow(Record):
    model: str
    country: str | None
    task: str
    method: str
    input_tokens: int
    output_tokens: int
    n_responses: int
    cost_usd: float | None
    pricing: str
    score: float | None
    score_per_dollar: float | None


class Disagreement(Record):
    """An item the two compared models scored differently, with both raw answers."""

    task: str
    method: str
    sample_id: str
    language: str
    capability: str
    question: str
    target: str | None
    a_answer: str
    b_answer: str
    a_score: float | None
    b_score: float | None
    a_extracted: str | None
    b_extracted: str | None
    a_run_id: int | None
    b_run_id: int | None
    a_cache_keys: list[str]
    b_cache_keys: list[str]


class ManifestRow(Record):
    run_id: int
    model: str
    task: str
    method: str
    started_at: str | None
    finished_at: str | None
    model_calls: int
    cache_hits: int
    errors: int
    manifest: dict[str, Any]


class Report(Record):
    meta: Meta
    leaderboard: list[LeaderboardRow] | None = None
    gap_matrix: Comparison | None = None
    lag: LagSeries | None = None
    generations: list[Generation] | None = None
    claims: list[ClaimVerdict] | None = None
    cost: list[CostRow] | None = None
    disagreements: list[Disagreement] | None = None
    manifests: list[ManifestRow] | None = None
    ratings: Leaderboard | None = Field(None, description="Bradley-Terry ratings from votes and judge verdicts")

    def to_json(self) -> dict[str, Any]:
        """Sections that are missing are left out (meta.unavailable says why)."""
        return {k: v for k, v in self.model_dump(mode="json").items() if v is not None}
