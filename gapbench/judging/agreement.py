"""How far judges agree: two judges on the same answers (Spearman's ρ of ratings, Cohen's κ of pairwise
verdicts), and one judge with itself on a repeated subset."""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations
from typing import Sequence

import numpy as np
from scipy.stats import spearmanr

from gapbench.schema.judging import Agreement
from gapbench.store.rows import ScoreRow, VerdictRow


def cohen_kappa(x: Sequence[str], y: Sequence[str]) -> float | None:
    """Cohen's κ of two raters' labels on the same items; None when undefined (no item, or chance agreement 1)."""
    n = len(x)
    if n == 0 or n != len(y):
        return None
    observed = sum(a == b for a, b in zip(x, y)) / n
    cx, cy = Counter(x), Counter(y)
    expected = sum(cx[k] * cy[k] for k in set(cx) | set(cy)) / (n * n)
    return None if expected >= 1 else (observed - expected) / (1 - expected)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None  # undefined without variation
    return float(spearmanr(x, y).statistic)


def rating_agreement(rows: list[ScoreRow]) -> list[Agreement]:
    """For every pair of judges that rated the same answers (judged tasks `<task>@<judge>`)."""
    by: dict[str, dict[str, dict[tuple[str, str], float]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        if "@" in r.task:
            task, judge = r.task.split("@", 1)
            by[task][judge][(r.model, r.sample_id)] = r.value
    out = []
    for task, judges in sorted(by.items()):
        for j1, j2 in combinations(sorted(judges), 2):
            common = sorted(judges[j1].keys() & judges[j2].keys())
            x, y = [judges[j1][k] for k in common], [judges[j2][k] for k in common]
            out.append(Agreement(kind="ratings", task=task, judge_1=j1, judge_2=j2, n=len(common), value=spearman(x, y),
                                 exact_agreement=sum(a == b for a, b in zip(x, y)) / len(common) if common else None))
    return out


def verdict_agreement(verdicts: list[VerdictRow]) -> list[Agreement]:
    by: dict[str, dict[str, dict[tuple, str]]] = defaultdict(lambda: defaultdict(dict))
    for v in verdicts:
        by[v.task][v.judge][(v.sample_id, v.turn, v.model_a, v.model_b)] = v.verdict
    out = []
    for task, judges in sorted(by.items()):
        for j1, j2 in combinations(sorted(judges), 2):
            common = sorted(judges[j1].keys() & judges[j2].keys())
            x, y = [judges[j1][k] for k in common], [judges[j2][k] for k in common]
            out.append(Agreement(kind="verdicts", task=task, judge_1=j1, judge_2=j2, n=len(common),
                                 value=cohen_kappa(x, y),
                                 exact_agreement=sum(a == b for a, b in zip(x, y)) / len(common) if common else None))
    return out


def self_consistency(task: str, judge: str, first: Sequence[float], again: Sequence[float]) -> Agreement:
    n = len(first)
    return Agreement(kind="self-consistency", task=task, judge_1=judge, judge_2=f"{judge} (repeated)", n=n,
                     value=spearman(first, again),
                     exact_agreement=sum(a == b for a, b in zip(first, again)) / n if n else None)


def rules_judge_agreement(rows: list[ScoreRow]) -> list[Agreement]:
    """Refusal tasks classified by the rules (`xstest`) and by a judge (`xstest@<judge>`): Cohen's κ of their
    three verdicts on the same answers (rules and judge are never mixed in one number, only compared)."""
    rules = {(r.model, r.task, r.sample_id): r.details.get("verdict") for r in rows
             if "@" not in r.task and r.scorer == "refusal"}
    by: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for r in rows:
        if "@" in r.task and r.scorer == "judge_refusal":
            task, judge = r.task.split("@", 1)
            mine = rules.get((r.model, task, r.sample_id))
            if mine is not None:
                by[(task, judge)].append((mine, r.details.get("verdict")))
    out = []
    for (task, judge), pairs in sorted(by.items()):
        x, y = [a for a, _ in pairs], [b for _, b in pairs]
        out.append(Agreement(kind="rules vs judge (3 verdicts)", task=task, judge_1="rules", judge_2=judge, n=len(pairs),
                             value=cohen_kappa(x, y), exact_agreement=sum(a == b for a, b in pairs) / len(pairs)))
    return out
