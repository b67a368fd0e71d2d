"""Typed output of `gapbench leaderboard` (and the report's ratings section): Bradley–Terry ratings per source of
pairwise outcomes (people's votes, a judge's verdicts), per language and per task, and how far the sources agree."""

from __future__ import annotations

from pydantic import Field

from gapbench.schema.base import Record


class Rating(Record):
    model: str
    rating: float = Field(description="Elo-scale rating: the anchor's rating + 400/ln 10 × log-odds over the anchor")
    ci_low: float = Field(description="95% interval, bootstrap over prompts (symmetric)")
    ci_high: float
    wins: int
    ties: int = Field(description="ties, 'both bad' votes included (they count as ties)")
    losses: int
    finite: bool = Field(description="false: the model won (or lost) every battle against the anchor's group; no "
                                     "finite maximum-likelihood rating exists, the value is only a bound")


class StyleCoefficient(Record):
    feature: str = Field(description="length (characters), headers, bold or lists (Markdown)")
    points: float = Field(description="Elo points for a style difference of one root mean square")
    ci_low: float
    ci_high: float


class Board(Record):
    """Ratings from one source of outcomes, on one slice of the prompts."""

    source: str = Field(description="'human' (arena votes), 'judge:<judge id>' (pairwise verdicts), or "
                                    "'pooled: human + judge:<id>…' when asked for with --source pooled")
    scope: str = Field(description="all, language or task")
    name: str = Field(description="'all', the language, or the task")
    anchor: str
    anchor_rating: float
    style_control: bool
    n_battles: int
    n_prompts: int
    n_boot: int
    ratings: list[Rating] = Field(description="best first")
    style: list[StyleCoefficient] = Field(default_factory=list)
    left_out: list[str] = Field(default_factory=list, description="models with no chain of battles to the anchor")


class SourceAgreement(Record):
    """Two sources' verdicts on the same pairs (same prompt, same two models): a, b or tie ('both bad' = tie)."""

    source_1: str
    source_2: str
    n: int = Field(description="verdict pairs compared (one per vote and judge verdict on the same pair)")
    agreement: float | None = Field(description="share of identical verdicts, ties included")
    kappa: float | None = Field(description="Cohen's kappa over a, b, tie")
    n_decisive: int = Field(description="pairs where neither verdict is a tie")
    decisive_agreement: float | None = Field(description="agreement on those pairs")


class Leaderboard(Record):
    """What `gapbench leaderboard --json` prints."""

    method: str
    boards: list[Board]
    agreement: list[SourceAgreement] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
