"""Paired comparison of two models on the items both answered, and of the best models of two groups.

Pairs are items with the same task, method and sample id scored for both models. Per task: the mean
difference a − b with its 95 % interval (`gapbench.stats.paired`: MOVER on the discordant shares for 0/1
scores, studentized bootstrap for continuous ones such as chrF) and McNemar's exact test (0/1 scores) or a
sign-flip permutation test. Per cell (capability × language): the mean over its tasks of the task differences
(tasks weighted equally), the MOVER combination of the task intervals and a stratified sign-flip test, with
Holm's and Benjamini–Hochberg's corrections across cells and the smallest gap each cell could find
(`gapbench.stats.power`). Groups: each group's best model is chosen on a fixed half of the items and the gap
is measured on the other half (`gapbench.stats.selection`), so picking a winner does not bias the gap.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

import numpy as np

from gapbench.errors import GapbenchError
from gapbench.gap.roles import role_summary
from gapbench.schema.comparison import (CellGap, Comparison, GroupCell, GroupComparison, GroupTaskRow, Selection,
                                        TaskGap)
from gapbench.stats.paired import cell_bootstrap, interval_method, paired_bootstrap_diff
from gapbench.stats.power import minimum_detectable, power_note, summary_note
from gapbench.stats.selection import SPLIT_RULE, split_values
from gapbench.stats.tests import (benjamini_hochberg, cell_permutation_test, holm, mcnemar_exact,
                                  paired_permutation_test)
from gapbench.scoring.registry import measures
from gapbench.store.db import Store

# Tie-break between methods with the same number of pairs: "generate" first (it is the default method).
METHOD_PREFERENCE = ("generate", "loglikelihood")

# {model: {task: {method: {"capability", "language", "values": {sample_id: value}}}}}
Scores = dict[str, dict[str, dict[str, dict[str, Any]]]]


def _check_models(store: Store, models: Iterable[tuple[str, str]]) -> None:
    """(flag, model) pairs: one-line error for the first model without any score in the store."""
    known = store.models()
    for flag, model in models:
        if model not in known:
            there = ", ".join(known) if known else "none"
            raise GapbenchError(f"{flag} {model}: no scores in {store.path}; models there: {there}")


def _load(store: Store, model: str, tasks: list[str] | None) -> dict[str, dict[str, dict[str, Any]]]:
    """{task: {method: {"capability", "language", "values": {sample_id: value}}}} for one model."""
    wanted = None if tasks is None else set(tasks)
    out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in store.scores(model=model):
        if (wanted is not None and r.task not in wanted) or not measures(r.scorer):
            continue  # placeholders (chat answers not judged yet) are never compared
        slot = out[r.task].setdefault(r.method, {"capability": r.capability, "language": r.language, "values": {}})
        slot["values"][r.sample_id] = float(r.value)
    return out


def _method_rank(method: str, count: int) -> tuple:
    pref = METHOD_PREFERENCE.index(method) if method in METHOD_PREFERENCE else len(METHOD_PREFERENCE)
    return (-count, pref, method)


def _pairs(sa: dict[str, dict], sb: dict[str, dict]) -> tuple[str, dict, np.ndarray, np.ndarray] | None:
    """The method with most paired items (tie: generate first), its metadata and the paired arrays."""
    candidates = []
    for method in sa.keys() & sb.keys():
        common = sorted(sa[method]["values"].keys() & sb[method]["values"].keys())
        if common:
            candidates.append((_method_rank(method, len(common)), method, common))
    if not candidates:
        return None
    _, method, common = min(candidates)
    va, vb = sa[method]["values"], sb[method]["values"]
    return (method, sa[method], np.array([va[k] for k in common]), np.array([vb[k] for k in common]))


def _is_binary(*arrays: np.ndarray) -> bool:
    return all(np.isin(x, (0.0, 1.0)).all() for x in arrays)


def _task_gap(task: str, meta: dict, method: str, a: np.ndarray, b: np.ndarray, n_boot: int, seed: int) -> TaskGap:
    diff, low, high = paired_bootstrap_diff(a, b, n_boot=n_boot, seed=seed)
    p = mcnemar_exact(a, b) if _is_binary(a, b) else paired_permutation_test(a, b, n_perm=n_boot, seed=seed)
    return TaskGap(task=task, capability=meta["capability"], language=meta["language"], method=method,
                   n_paired=int(a.size), score_a=float(a.mean()), score_b=float(b.mean()), diff=diff, ci_low=low,
                   ci_high=high, p_value=p, ci_method=interval_method(a - b))


def _cell_stats(pairs: list[tuple[np.ndarray, np.ndarray]], n_boot: int, seed: int) -> dict:
    diff, low, high = cell_bootstrap(pairs, n_boot=n_boot, seed=seed)
    return {"diff": diff, "ci_low": low, "ci_high": high, "p": cell_permutation_test(pairs, n_perm=n_boot, seed=seed),
            "n_tasks": len(pairs), "n_paired": int(sum(a.size for a, _ in pairs))}


def _corrections(cells: list[dict]) -> str | None:
    """Replace each cell's raw "p" by "p_holm" and "p_bh" (across the cells that have a p-value), add its
    "mde_80" and "power_note"; return the comparison's one-line power summary."""
    tested = [c for c in cells if c.get("p") is not None]
    raw = [c["p"] for c in tested]
    m = len(tested)
    for c, p_holm, p_bh in zip(tested, holm(raw), benjamini_hochberg(raw)):
        c.update(p_holm=p_holm, p_bh=p_bh, mde_80=minimum_detectable(c["ci_low"], c["ci_high"], m))
        c["power_note"] = power_note(c["mde_80"], m)
    for c in cells:
        for key in ("p_holm", "p_bh", "mde_80", "power_note"):
            c.setdefault(key, None)
        c.pop("p", None)
    return summary_note([(f"{c['capability']}/{c['language']}", c["mde_80"]) for c in tested], m)


def compare_models(store: Store, a: str, b: str, tasks: list[str] | None = None, n_boot: int = 10000,
                   seed: int = 0) -> Comparison:
    """Paired comparison of model a against model b (diff = a − b) on the items both scored.

    `tasks` restricts the comparison (None: every task either model has scores for). If both models have
    scores for a task under several methods, the method with the most pairs is used (tie: "generate") and
    named in the task row. Tasks with no pair are listed under "unpaired". Per task: interval and raw p (see
    the module docstring); per cell: tasks weighted equally, MOVER interval, stratified sign-flip p adjusted by
    Holm and by Benjamini–Hochberg across cells, and the gap the cell could find with 80 % power. Seeded:
    n_boot resamples / random sign flips. Raises GapbenchError for an unknown model or when no item is paired.
    """
    _check_models(store, [("--a", a), ("--b", b)])
    sa, sb = _load(store, a, tasks), _load(store, b, tasks)
    names = sorted(set(tasks) if tasks is not None else sa.keys() | sb.keys())
    rows, unpaired = [], []
    for task in names:
        found = _pairs(sa.get(task, {}), sb.get(task, {}))
        if found is None:
            unpaired.append(task)
            continue
        method, meta, xa, xb = found
        rows.append((_task_gap(task, meta, method, xa, xb, n_boot, seed), xa, xb))
    if not rows:
        scope = f" on {', '.join(names)}" if tasks is not None else ""
        raise GapbenchError(f"no paired items: {a} and {b} have no scored item in common{scope} "
                            "(same task, method and sample id)")
    rows.sort(key=lambda r: (r[0].capability, r[0].language, r[0].task))
    by_cell: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for row, xa, xb in rows:
        by_cell[(row.capability, row.language)].append((xa, xb))
    cells = [{"capability": cap, "language": lang, **_cell_stats(pairs, n_boot, seed)}
             for (cap, lang), pairs in sorted(by_cell.items())]
    note = _corrections(cells)
    roles = role_summary(store, a, b, [r for r, _, _ in rows], {r.task: (xa, xb) for r, xa, xb in rows},
                         n_boot=n_boot, seed=seed)
    return Comparison(a=a, b=b, tasks=[r for r, _, _ in rows], cells=[CellGap(**c) for c in cells],
                      unpaired=unpaired, power_note=note, roles=roles)


# ---- groups -------------------------------------------------------------------------------------------------

Halves = dict[str, tuple[dict[str, float], dict[str, float]]]  # model -> (selection half, test half) of a task


def _task_methods(data: Scores, names: list[str]) -> tuple[dict[str, dict], dict[str, Halves]]:
    """One method per task for every model, the one with most scored items over both groups (tie: generate):
    ({task: {"method", "capability", "language"}}, {task: {model: (selection half, test half)}})."""
    meta: dict[str, dict] = {}
    halves: dict[str, Halves] = defaultdict(dict)
    for task in names:
        counts: dict[str, int] = defaultdict(int)
        for d in data.values():
            for method, slot in d.get(task, {}).items():
                counts[method] += len(slot["values"])
        if not counts:
            continue
        method = min(counts, key=lambda m: _method_rank(m, counts[m]))
        for model, d in data.items():
            slot = d.get(task, {}).get(method)
            if slot and slot["values"]:
                meta.setdefault(task, {"method": method, "capability": slot["capability"],
                                       "language": slot["language"]})
                halves[task][model] = split_values(task, slot["values"])
    return meta, halves


def _measured(half: tuple[dict, dict], split: bool) -> dict[str, float]:
    """The values a gap is measured on: the test half when the cell is split, else every item."""
    return half[1] if split else {**half[0], **half[1]}


def _best(group: list[str], tasks: list[str], halves: dict[str, Halves], split: bool) -> str | None:
    """The group's model covering most of `tasks` on the selection half, then with the highest mean of its
    task means there, then by name. Without a split the group has at most one candidate: that one."""
    candidates = [m for m in group if any(m in halves[t] for t in tasks)]
    if not split:
        return candidates[0] if candidates else None
    ranked = []
    for m in candidates:
        own = [float(np.mean(list(halves[t][m][0].values()))) for t in tasks if m in halves[t] and halves[t][m][0]]
        if own:
            ranked.append((-len(own), -float(np.mean(own)), m))
    return min(ranked)[2] if ranked else None


def _item_counts(halves: Halves, split: bool) -> tuple[int, int]:
    """(selection items, test items) of one task over all models."""
    selection = set().union(*(h[0].keys() for h in halves.values()))
    test = set().union(*(h[1].keys() for h in halves.values()))
    return (len(selection), len(test)) if split else (0, len(selection | test))


def _group_task_row(task: str, meta: dict, groups: tuple[list[str], list[str]], halves: dict[str, Halves],
                    split: bool) -> GroupTaskRow:
    def score(model: str | None) -> float | None:
        values = _measured(halves[task][model], split) if model else {}
        return float(np.mean(list(values.values()))) if values else None

    ba, bb = (_best(g, [task], halves, split) for g in groups)
    n_selection, n_test = _item_counts(halves[task], split)
    return GroupTaskRow(task=task, **meta, selection="split" if split else "none", best_a=ba, score_a=score(ba),
                        best_b=bb, score_b=score(bb), n_selection=n_selection, n_test=n_test)


def _group_cell(tasks: list[str], groups: tuple[list[str], list[str]], halves: dict[str, Halves], split: bool,
                n_boot: int, seed: int) -> tuple[dict, set[str]] | None:
    """The cell's row (best models, stats on the measured items) and the tasks it paired; None when a group
    has no model to offer here."""
    ba, bb = (_best(g, tasks, halves, split) for g in groups)
    if ba is None or bb is None:
        return None
    pairs, used = [], set()
    for t in tasks:
        if ba in halves[t] and bb in halves[t]:
            va, vb = _measured(halves[t][ba], split), _measured(halves[t][bb], split)
            common = sorted(va.keys() & vb.keys())
            if common:
                used.add(t)
                pairs.append((np.array([va[k] for k in common]), np.array([vb[k] for k in common])))
    stats = (_cell_stats(pairs, n_boot, seed) if pairs else
             {"diff": None, "ci_low": None, "ci_high": None, "p": None, "n_tasks": 0, "n_paired": 0})
    n_selection = sum(_item_counts(halves[t], split)[0] for t in tasks)
    return {"best_a": ba, "best_b": bb, "selection": "split" if split else "none", "n_selection": n_selection,
            **stats}, used


def group_comparison(data: Scores, group_a: list[str], group_b: list[str], names: list[str], n_boot: int = 10000,
                     seed: int = 0) -> GroupComparison:
    """`compare_groups` on scores already loaded ({model: {task: {method: {..., "values"}}}}), for tests and
    simulations. A cell is split when either group has more than one model with scores in it."""
    meta, halves = _task_methods(data, names)
    by_cell: dict[tuple[str, str], list[str]] = defaultdict(list)
    for task in sorted(meta):
        by_cell[(meta[task]["capability"], meta[task]["language"])].append(task)
    task_rows, cells, paired = [], [], set()
    for (cap, lang), tasks in sorted(by_cell.items()):
        split = any(sum(any(m in halves[t] for t in tasks) for m in g) > 1 for g in (group_a, group_b))
        task_rows += [_group_task_row(t, meta[t], (group_a, group_b), halves, split) for t in tasks]
        found = _group_cell(tasks, (group_a, group_b), halves, split, n_boot, seed)
        if found is not None:
            cells.append({"capability": cap, "language": lang, **found[0]})
            paired |= found[1]
    if not any(c["n_tasks"] for c in cells):
        raise GapbenchError("no paired items: no cell has a model of each group scored on the same items "
                            "(same task, method and sample id)")
    note = _corrections(cells)
    selection = Selection(rule=SPLIT_RULE, selection_items=sum(r.n_selection for r in task_rows),
                          test_items=sum(r.n_test for r in task_rows))
    return GroupComparison(group_a=group_a, group_b=group_b, selection=selection, tasks=task_rows,
                           cells=[GroupCell(**c) for c in cells], unpaired=[t for t in names if t not in paired],
                           power_note=note)


def compare_groups(store: Store, group_a: list[str], group_b: list[str], tasks: list[str] | None = None,
                   n_boot: int = 10000, seed: int = 0) -> GroupComparison:
    """The best model of group A against the best model of group B, per capability × language cell, with the
    choice of the best models kept apart from the measurement of their gap.

    Per task one method is used for every model: the one with the most scored items over both groups (tie:
    "generate"). Where either group has more than one model with scores in a cell, the items are split by a
    fixed hash of (task, sample id) (`gapbench.stats.selection`): each group's best model is chosen on the
    selection half (most of the cell's tasks covered, then the highest mean of its task means, then by name)
    and best A − best B is measured on the test half only, like `compare_models` (MOVER interval, stratified
    sign-flip p, Holm and BH across cells). Choosing on the items it is tested on would favour the larger
    group (8 equal models against 1: +3 points, 10 % false positives); the split costs half the items but
    keeps the level (simulated type-I error 0.03-0.05 for 1-8 models a side, bias < 0.5 points). Cells with
    one model per group use all their items. Task rows show each group's best per task, chosen and scored the
    same way. Cells whose best models share no measured item get diff, interval and p of None; "unpaired"
    lists the tasks that enter no cell's paired comparison.
    """
    group_a, group_b = list(dict.fromkeys(group_a)), list(dict.fromkeys(group_b))
    if not group_a or not group_b:
        raise GapbenchError(f"{'--group-a' if not group_a else '--group-b'}: the group has no model")
    both = [m for m in group_a if m in group_b]
    if both:
        raise GapbenchError(f"--group-a/--group-b: {', '.join(both)} is in both groups")
    _check_models(store, [("--group-a", m) for m in group_a] + [("--group-b", m) for m in group_b])
    data = {m: _load(store, m, tasks) for m in group_a + group_b}
    names = sorted(set(tasks) if tasks is not None else set().union(*(d.keys() for d in data.values())))
    return group_comparison(data, group_a, group_b, names, n_boot=n_boot, seed=seed)


def task_pairs(store: Store, a: str, b: str, tasks: list[str]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(task, scores of a, scores of b) on the items both models scored, for each task that has any."""
    sa, sb = _load(store, a, tasks), _load(store, b, tasks)
    out = []
    for task in tasks:
        found = _pairs(sa.get(task, {}), sb.get(task, {}))
        if found is not None:
            out.append((task, found[2], found[3]))
    return out
