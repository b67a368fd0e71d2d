"""Pairwise judging with position swap: each prompt is shown to the judge with A's answer first, then with B's
first. Verdicts that disagree across the swap count as a tie (and are counted: the judge's position-bias rate).
The win rate of A over B is the mean over prompts of 1 (A better), ½ (tie) or 0, with a 95% interval over
prompts (the prompts are paired: both models answered each)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path

from gapbench.errors import GapbenchError
from gapbench.judging.recipes import recipe_for
from gapbench.judging.single import UNPARSEABLE, Judge, ask_judge, make_item, stored_answers
from gapbench.models.base import Model
from gapbench.runner.run import Counters, Runner
from gapbench.schema.judging import PairwiseReport, WinRate
from gapbench.stats.intervals import mean_interval
from gapbench.store.rows import VerdictRow
from gapbench.tasks.spec import TaskSpec
from gapbench.types import Sample

SWAP = {"A": "b", "B": "a", "tie": "tie"}  # the second order shows B's answer in position A
POINTS = {"a": 1.0, "tie": 0.5, "b": 0.0}


async def judge_pair(runner: Runner, judge_model: Model, judge: Judge, task: TaskSpec, a: str, b: str,
                     samples: dict[str, Sample], data_dir: Path, c: Counters) -> dict[str, int]:
    """Ask the judge on every prompt both models answered, in both orders; store one verdict per turn."""
    recipe = recipe_for(task.name)
    rows_a = {r.sample_id: r for r in runner.store.scores(model=a, task=task.name)}
    rows_b = {r.sample_id: r for r in runner.store.scores(model=b, task=task.name)}
    common = sorted(set(rows_a) & set(rows_b) & set(samples))
    if not common:
        raise GapbenchError(f"--a {a} --b {b}: no {task.name} prompt answered by both in the store")
    counts = {"verdicts": 0, "unparseable": 0, "errors": 0}
    sem = asyncio.Semaphore(max(1, min(runner.concurrency, judge_model.max_concurrency)))

    async def one(sid: str) -> None:
        sample = samples[sid]
        try:
            async with sem:
                ans_a, ans_b = stored_answers(runner, rows_a[sid]), stored_answers(runner, rows_b[sid])
                first = recipe.pairwise(make_item(sample, ans_a, ans_b), data_dir)
                second = recipe.pairwise(make_item(sample, ans_b, ans_a), data_dir)
                for ask_1, ask_2 in zip(first, second):
                    v1, k1, _, _ = await ask_judge(runner, judge_model, judge, ask_1, c)
                    v2, k2, _, _ = await ask_judge(runner, judge_model, judge, ask_2, c)
                    if v1 is None or v2 is None:
                        counts["unparseable"] += 1
                        continue
                    one_, two = {"A": "a", "B": "b", "tie": "tie"}[v1], SWAP[v2]
                    runner.store.put_verdict(VerdictRow(
                        judge=judge.id, task=task.name, sample_id=sid, turn=ask_1.label, model_a=a, model_b=b,
                        first=one_, second=two, verdict=one_ if one_ == two else "tie", language=task.language,
                        category=str(sample.metadata.get("category", "")) or None, cache_keys=tuple(k1 + k2)))
                    counts["verdicts"] += 1
        except Exception as e:  # one failed prompt never aborts the others
            counts["errors"] += 1
            c.messages.append(f"{task.name}/{sid}: {type(e).__name__}: {e}"[:500])

    await asyncio.gather(*(one(s) for s in common))
    if counts["unparseable"]:
        c.messages.append(f"{task.name}: {counts['unparseable']} pairwise judgments unreadable in one order "
                          f"after {judge.attempts} attempts ({UNPARSEABLE}; left out)")
    return counts


def win_rates(verdicts: list[VerdictRow]) -> list[WinRate]:
    """Win rate of model_a over model_b per task, per language and per category: the mean over prompts of the
    mean over their turns of 1 / ½ / 0, with a 95% interval over prompts."""
    groups: dict[tuple[str, str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    bias: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    for v in verdicts:
        for scope in (("task", v.task), ("language", v.language), ("category", f"{v.task}/{v.category}")):
            key = (v.judge, f"{v.model_a} vs {v.model_b}", *scope)
            groups[key][v.sample_id].append(POINTS[v.verdict])
            bias[key].append(v.first != v.second)
    out = []
    for (judge, pair, scope, name), prompts in sorted(groups.items()):
        per_prompt = [sum(t) / len(t) for t in prompts.values()]
        mean, low, high = mean_interval(per_prompt)
        flips = bias[(judge, pair, scope, name)]
        a, b = pair.split(" vs ")
        out.append(WinRate(judge=judge, a=a, b=b, scope=scope, name=name, n_prompts=len(per_prompt),
                           win_rate=mean, ci_low=low, ci_high=high, position_bias=sum(flips) / len(flips)))
    return out


def pairwise_report(verdicts: list[VerdictRow], counts: dict[str, int] | None = None) -> PairwiseReport:
    by_judge: dict[str, list[bool]] = defaultdict(list)
    for v in verdicts:
        by_judge[v.judge].append(v.first != v.second)
    return PairwiseReport(win_rates=win_rates(verdicts),
                          position_bias={j: sum(f) / len(f) for j, f in sorted(by_judge.items())},
                          n_verdicts=len(verdicts), **(counts or {}))
