"""A fixed split of the items into a selection half and a test half, for comparisons that pick a winner.

Choosing each group's best model on the items it is then tested on favours the group with more models
(8 equal models against 1: +3 points and 10 % false positives at α = 5 %). Choosing on one half and testing on
the other makes the test half independent of the choice, so the test keeps its level and the gap its meaning,
at the price of half the items. The split depends only on the task name and the item id, so every run, store
and user gets the same halves.
"""

from __future__ import annotations

import hashlib

SPLIT_RULE = ("an item is in the selection half when the first byte of sha256(task name, NUL, sample id) is "
              "even, in the test half otherwise")


def in_selection_half(task: str, sample_id: str) -> bool:
    """True for the items used to choose each group's best model; False for the items the gap is measured on."""
    return hashlib.sha256(f"{task}\0{sample_id}".encode()).digest()[0] % 2 == 0


def split_values(task: str, values: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """({sample_id: value} of the selection half, the same of the test half)."""
    selection, test = {}, {}
    for sample_id, value in values.items():
        (selection if in_selection_half(task, sample_id) else test)[sample_id] = value
    return selection, test
