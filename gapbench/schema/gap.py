"""Typed outputs of `gapbench lag` and `gapbench claims`, and the generations ladder of the report."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gapbench.schema.base import Record


class LagEntry(Record):
    date: str
    lag_months: float | None
    ci_low: float | None
    ci_high: float | None
    follower_model: str | None
    follower_value: float
    leader_reached: str | None
    leader_model: str | None
    censored: bool = Field(description="the leader's first score is already higher: the lag is a lower bound")


class FrontierPoint(Record):
    date: str
    value: float
    model: str


class Placed(Record):
    """A model measured by gapbench placed on the leader's published frontier (`lag --place`)."""

    model: str
    task: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    metric: str | None
    leader: str
    at_date: str
    matches_frontier_of: str | None
    leader_model: str | None
    months_behind: float | None
    ahead: bool
    censored: bool


class LagSeries(Record):
    """What `gapbench lag --json` prints: the follower's lag behind the leader at each date."""

    metric: str | None
    leader: str
    follower: str
    start: str
    end: str
    threshold: float
    step: Literal["release", "month"]
    frontier: Literal["linear", "step"]
    n: int
    n_censored: int
    mean_months: float | None
    min_months: float | None
    max_months: float | None
    mean_ci_low: float | None = None
    mean_ci_high: float | None = None
    series: list[LagEntry]
    source: str | None = None
    placed: Placed | None = None
    frontiers: dict[str, list[FrontierPoint]] | None = None


class Evidence(Record):
    source: Literal["own", "eci", "lmarena"]
    verdict: Literal["supported", "contradicted", "inconclusive"]
    text: str
    diff: float | None = None
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    n_paired: int | None = None


class ClaimVerdict(Record):
    id: str
    claim: str
    model: str
    versus: str | None
    kind: str
    benchmark: str | None
    claimed: float | None
    source: str
    date: str
    verdict: Literal["supported", "contradicted", "inconclusive", "untested"]
    evidence: str
    details: list[Evidence]


class ClaimSources(Record):
    db: str | None
    eci: bool
    lmarena: bool


class ClaimsReport(Record):
    """What `gapbench claims --json` prints."""

    claims: list[ClaimVerdict]
    sources: ClaimSources


class Generation(Record):
    """A model's place on the ladder of OpenAI flagships."""

    model: str
    source_row: str | None = None
    value: float
    ci_low: float | None
    ci_high: float | None
    newest: str
    ladder: list[str]
    threshold: float
    generation: str | None
    generations_behind: int
    compared_with: float | None
    below: str | None = None
    generation_release_date: str | None = None
    skipped: list[str] = Field(default_factory=list)
