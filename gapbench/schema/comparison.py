"""Typed outputs of `gapbench compare`: two models (`Comparison`) or the best of two groups (`GroupComparison`).

Differences are a − b (or best A − best B) as shares of items (0.1 = 10 points), with 95 % intervals.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gapbench.schema.base import Record


class TaskGap(Record):
    """One task of a two-model comparison: the items both models scored under one method."""

    task: str
    capability: str
    language: str
    method: str
    n_paired: int
    score_a: float
    score_b: float
    diff: float = Field(description="mean of a − b over the paired items")
    ci_low: float
    ci_high: float
    p_value: float = Field(description="exact McNemar (0/1 scores) or sign-flip permutation p, uncorrected")
    ci_method: Literal["paired 0/1 (MOVER)", "bootstrap-t", "constant"] = Field(
        description="how the interval was computed (see gapbench.stats.paired)")


class CellGap(Record):
    """One capability × language cell: the mean over its tasks of the task differences, tasks weighted equally."""

    capability: str
    language: str
    diff: float
    ci_low: float
    ci_high: float
    p_holm: float = Field(description="stratified sign-flip p, Holm-adjusted across cells")
    p_bh: float = Field(description="the same p, Benjamini–Hochberg-adjusted across cells (false discovery rate)")
    n_tasks: int
    n_paired: int
    mde_80: float = Field(description="smallest gap found with 80% power by this cell's corrected test")
    power_note: str | None = Field(description="set when gaps above 5 points would likely go unnoticed")


class RoleGap(Record):
    """The gap in one role (chatbot: judged chat; productivity: instruction following, tool use, long input,
    code, maths) and language: mean over its tasks of a − b, judged ratings as shares of the 1-10 scale."""

    role: str
    language: str
    diff: float
    ci_low: float
    ci_high: float
    tasks: list[str]
    n_paired: int


class RoleContrast(Record):
    """Productivity gap − chatbot gap in one language (independent item sets: MOVER interval)."""

    language: str
    diff: float
    ci_low: float
    ci_high: float
    differ: bool = Field(description="whether the 95% interval excludes 0")


class RoleSummary(Record):
    gaps: list[RoleGap]
    contrasts: list[RoleContrast]
    note: str | None = None


class Comparison(Record):
    """What `gapbench compare --a A --b B --json` prints."""

    a: str
    b: str
    tasks: list[TaskGap]
    cells: list[CellGap]
    unpaired: list[str] = Field(description="tasks with no item scored by both models")
    power_note: str | None = None
    roles: RoleSummary | None = Field(None, description="the gap as a chatbot and as a productivity tool")


class Selection(Record):
    """How each group's best model was chosen without biasing the gap (see gapbench.stats.selection)."""

    method: Literal["split"] = "split"
    rule: str
    selection_items: int = Field(description="items (all tasks) in the selection half of split cells")
    test_items: int = Field(description="items the gaps are measured on: the test half of split cells, "
                                        "every item of cells with one model per group")


class GroupTaskRow(Record):
    """One task of a group comparison: each group's best model on its selection items, scored on its test items."""

    task: str
    capability: str
    language: str
    method: str
    selection: Literal["split", "none"]
    best_a: str | None
    score_a: float | None
    best_b: str | None
    score_b: float | None
    n_selection: int
    n_test: int


class GroupCell(Record):
    """Best model of group A against best model of group B in one capability × language cell."""

    capability: str
    language: str
    best_a: str
    best_b: str
    selection: Literal["split", "none"] = Field(
        description="split: the best models were chosen on the selection half and compared on the test half; "
                    "none: one model per group had scores here, compared on all items")
    diff: float | None
    ci_low: float | None
    ci_high: float | None
    p_holm: float | None
    p_bh: float | None
    n_tasks: int
    n_paired: int = Field(description="paired test items of the two best models")
    n_selection: int
    mde_80: float | None
    power_note: str | None


class GroupComparison(Record):
    """What `gapbench compare --group-a … --group-b … --json` prints."""

    group_a: list[str]
    group_b: list[str]
    selection: Selection
    tasks: list[GroupTaskRow]
    cells: list[GroupCell]
    unpaired: list[str] = Field(description="tasks that enter no cell's paired comparison")
    power_note: str | None = None
