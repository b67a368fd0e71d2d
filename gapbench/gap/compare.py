"""Paired comparison of two models on the items both answered, per task and per capability × language cell.

Pairs are items with the same task, method and sample id scored for both models. Per task: the mean
difference a − b with a paired bootstrap interval, and McNemar's exact test (0/1 scores) or a sign-flip
permutation test (continuous scores such as chrF). Per cell: the mean over its tasks of the task
differences (tasks weighted equally), a stratified bootstrap interval and a stratified sign-flip test,
with Holm's correction across cells.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

import numpy as np

from gapbench.errors import GapbenchError
from gapbench.stats.paired import cell_bootstrap, paired_bootstrap_diff
from gapbench.stats.tests import cell_permutation_test, holm, mcnemar_exact, paired_permutation_test
from gapbench.store.db import Store

# Tie-break between methods with the same number of pairs: "generate" first (it is the default method).
METHOD_PREFERENCE = ("generate", "loglikelihood")


def stored_models(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT DISTINCT model FROM scores ORDER BY model")]


def _check_models(store: Store, models: Iterable[tuple[str, str]]) -> None:
    """(flag, model) pairs: one-line error for the first model without any score in the store."""
    known = stored_models(store)
    for flag, model in models:
        if model not in known:
            there = ", ".join(known) if known else "none"
            raise GapbenchError(f"{flag} {model}: no scores in {store.path}; models there: {there}")


def _load(store: Store, model: str, tasks: list[str] | None) -> dict[str, dict[str, dict[str, Any]]]:
    """{task: {method: {"capability", "language", "values": {sample_id: value}}}} for one model."""
    wanted = None if tasks is None else set(tasks)
    out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in store.scores(model=model):
        if wanted is not None and r["task"] not in wanted:
            continue
        slot = out[r["task"]].setdefault(r["method"], {"capability": r["capability"], "language": r["language"],
                                                       "values": {}})
        slot["values"][r["sample_id"]] = float(r["value"])
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


def _task_row(task: str, meta: dict, method: str, a: np.ndarray, b: np.ndarray, n_boot: int, seed: int) -> dict:
    diff, low, high = paired_bootstrap_diff(a, b, n_boot=n_boot, seed=seed)
    p = mcnemar_exact(a, b) if _is_binary(a, b) else paired_permutation_test(a, b, n_perm=n_boot, seed=seed)
    return {"task": task, "capability": meta["capability"], "language": meta["language"], "method": method,
            "n_paired": int(a.size), "score_a": float(a.mean()), "score_b": float(b.mean()), "diff": diff,
            "ci_low": low, "ci_high": high, "p_value": p}


def _cell_stats(pairs: list[tuple[np.ndarray, np.ndarray]], n_boot: int, seed: int) -> dict:
    diff, low, high = cell_bootstrap(pairs, n_boot=n_boot, seed=seed)
    return {"diff": diff, "ci_low": low, "ci_high": high, "p": cell_permutation_test(pairs, n_perm=n_boot, seed=seed),
            "n_tasks": len(pairs)}


def _apply_holm(cells: list[dict]) -> None:
    """Replace each cell's raw "p" by "p_holm" (Holm across the cells that have a p-value)."""
    tested = [c for c in cells if c.get("p") is not None]
    for c, adj in zip(tested, holm([c["p"] for c in tested])):
        c["p_holm"] = adj
    for c in cells:
        c.setdefault("p_holm", None)
        c.pop("p", None)


def compare_models(store: Store, a: str, b: str, tasks: list[str] | None = None, n_boot: int = 10000,
                   seed: int = 0) -> dict:
    """Paired comparison of model a against model b (diff = a − b) on the items both scored.

    `tasks` restricts the comparison (None: every task either model has scores for). If both models have
    scores for a task under several methods, the method with the most pairs is used (tie: "generate") and
    named in the task row. Tasks with no pair are listed under "unpaired". Per task: percentile bootstrap
    interval over item pairs, exact McNemar p for 0/1 scores, sign-flip permutation p otherwise (both raw,
    uncorrected). Per cell: tasks weighted equally, stratified bootstrap and stratified sign-flip test,
    Holm-adjusted across cells. Raises GapbenchError for an unknown model or when no item is paired.
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
        rows.append((_task_row(task, meta, method, xa, xb, n_boot, seed), xa, xb))
    if not rows:
        scope = f" on {', '.join(names)}" if tasks is not None else ""
        raise GapbenchError(f"no paired items: {a} and {b} have no scored item in common{scope} "
                            "(same task, method and sample id)")
    rows.sort(key=lambda r: (r[0]["capability"], r[0]["language"], r[0]["task"]))
    by_cell: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for row, xa, xb in rows:
        by_cell[(row["capability"], row["language"])].append((xa, xb))
    cells = [{"capability": cap, "language": lang, **_cell_stats(pairs, n_boot, seed)}
             for (cap, lang), pairs in sorted(by_cell.items())]
    _apply_holm(cells)
    cells = [{k: c[k] for k in ("capability", "language", "diff", "ci_low", "ci_high", "p_holm", "n_tasks")}
             for c in cells]
    return {"a": a, "b": b, "tasks": [r for r, _, _ in rows], "cells": cells, "unpaired": unpaired}


def compare_groups(store: Store, group_a: list[str], group_b: list[str], tasks: list[str] | None = None,
                   n_boot: int = 10000, seed: int = 0) -> dict:
    """The best model of group A against the best model of group B, per capability × language cell.

    Per task one method is used for every model: the one with the most scored items over the models of both
    groups (tie: "generate"). A model's task score is its mean on that task; per task, "tasks" names each
    group's best model (highest task score). Per cell, each group's best model is the one covering the most
    of the cell's tasks, then with the highest cell mean (mean of its task scores, tasks weighted equally),
    then by name. The two best models are then compared like `compare_models` on their paired items in the
    cell's tasks (cell diff = best_a − best_b, stratified bootstrap interval, stratified sign-flip p,
    Holm-adjusted across cells). Picking each group's best on the same data favours neither side but makes
    the gap a "best vs best" figure, not an average over the groups. Cells whose best models share no item
    get diff, interval and p of None. "unpaired" lists the tasks that enter no cell's paired comparison.
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

    # One method per task, shared by all models; a model's task score is its mean under that method.
    task_meta: dict[str, dict] = {}
    scores: dict[str, dict[str, float]] = defaultdict(dict)  # task -> model -> mean
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
                task_meta.setdefault(task, {"method": method, "capability": slot["capability"],
                                            "language": slot["language"]})
                scores[task][model] = float(np.mean(list(slot["values"].values())))

    def best(group: list[str], task_names: list[str]) -> str | None:
        ranked = []
        for m in group:
            own = [scores[t][m] for t in task_names if m in scores[t]]
            if own:
                ranked.append((-len(own), -float(np.mean(own)), m))
        return min(ranked)[2] if ranked else None

    task_rows, by_cell = [], defaultdict(list)
    for task in sorted(task_meta, key=lambda t: (task_meta[t]["capability"], task_meta[t]["language"], t)):
        meta = task_meta[task]
        ba, bb = best(group_a, [task]), best(group_b, [task])
        task_rows.append({"task": task, **meta, "best_a": ba, "score_a": scores[task].get(ba),
                          "best_b": bb, "score_b": scores[task].get(bb)})
        by_cell[(meta["capability"], meta["language"])].append(task)

    cells, paired_tasks = [], set()
    for (cap, lang), cell_tasks in sorted(by_cell.items()):
        ba, bb = best(group_a, cell_tasks), best(group_b, cell_tasks)
        if ba is None or bb is None:
            continue  # one group has no score in this cell: nothing to compare
        pairs = []
        for task in cell_tasks:
            method = task_meta[task]["method"]
            va = data[ba].get(task, {}).get(method, {}).get("values", {})
            vb = data[bb].get(task, {}).get(method, {}).get("values", {})
            common = sorted(va.keys() & vb.keys())
            if common:
                paired_tasks.add(task)
                pairs.append((np.array([va[k] for k in common]), np.array([vb[k] for k in common])))
        stats = (_cell_stats(pairs, n_boot, seed) if pairs else
                 {"diff": None, "ci_low": None, "ci_high": None, "p": None, "n_tasks": 0})
        cells.append({"capability": cap, "language": lang, "best_a": ba, "best_b": bb, **stats})
    if not any(c["n_tasks"] for c in cells):
        raise GapbenchError("no paired items: no cell has a model of each group scored on the same items "
                            "(same task, method and sample id)")
    _apply_holm(cells)
    cells = [{k: c[k] for k in ("capability", "language", "best_a", "best_b", "diff", "ci_low", "ci_high",
                                "p_holm", "n_tasks")} for c in cells]
    unpaired = [t for t in names if t not in paired_tasks]
    return {"group_a": group_a, "group_b": group_b, "tasks": task_rows, "cells": cells, "unpaired": unpaired}


def task_pairs(store: Store, a: str, b: str, tasks: list[str]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(task, scores of a, scores of b) on the items both models scored, for each task that has any."""
    sa, sb = _load(store, a, tasks), _load(store, b, tasks)
    out = []
    for task in tasks:
        found = _pairs(sa.get(task, {}), sb.get(task, {}))
        if found is not None:
            out.append((task, found[2], found[3]))
    return out
