"""Typed outputs of `gapbench judge`: judged results, pairwise win rates, judge reliability."""

from __future__ import annotations

from pydantic import Field

from gapbench.schema.base import Record
from gapbench.schema.results import Result


class WinRate(Record):
    judge: str
    a: str
    b: str
    scope: str = Field(description="task, language or category")
    name: str
    n_prompts: int
    win_rate: float = Field(description="mean over prompts of 1 (a better), 0.5 (tie) or 0 (b better)")
    ci_low: float
    ci_high: float
    position_bias: float = Field(description="share of verdicts that changed when the answers swapped places")


class PairwiseReport(Record):
    win_rates: list[WinRate]
    position_bias: dict[str, float] = Field(description="judge id -> share of swapped verdicts that disagreed")
    n_verdicts: int
    verdicts: int = 0
    unparseable: int = 0
    errors: int = 0


class JudgeStats(Record):
    """Calls and readability of one judge on one judged task."""

    judge: str
    task: str
    model: str
    judged: int
    unparseable: int
    errors: int
    unparseable_rate: float


class Agreement(Record):
    """Two judges on the same answers (ratings: Spearman's ρ; verdicts: Cohen's κ), or one judge with itself."""

    kind: str = Field(description="ratings, verdicts or self-consistency")
    task: str
    judge_1: str
    judge_2: str
    n: int
    value: float | None = Field(description="Spearman's rho (ratings) or Cohen's kappa (verdicts)")
    exact_agreement: float | None = None


class JudgeReport(Record):
    """What `gapbench judge --json` prints."""

    model_calls: int
    cache_hits: int
    notes: list[str]
    judges: list[JudgeStats] = Field(default_factory=list)
    results: list[Result] = Field(default_factory=list)
    pairwise: PairwiseReport | None = None
    agreement: list[Agreement] = Field(default_factory=list)
