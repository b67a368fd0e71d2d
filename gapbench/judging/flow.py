"""`gapbench judge` and `gapbench run --judge`: judge stored answers and gather what to print."""

from __future__ import annotations

from pathlib import Path

from gapbench.errors import GapbenchError
from gapbench.judging.agreement import (rating_agreement, rules_judge_agreement, self_consistency,
                                        verdict_agreement)
from gapbench.judging.pairwise import judge_pair, pairwise_report
from gapbench.judging.recipes import recipe_for
from gapbench.judging.single import Judge, _judge_one, judge_for, judge_model_answers, judged_name
from gapbench.models.registry import ModelOptions, create_model
from gapbench.runner.run import Counters, Runner
from gapbench.schema.judging import Agreement, JudgeReport, JudgeStats
from gapbench.store.db import Store
from gapbench.store.results import results_from_store
from gapbench.tasks.loader import load_samples
from gapbench.tasks.spec import TaskSpec

REPEAT_SEED = 1000  # self-consistency: the repeated judgments use another seed


def answering_models(store: Store, task: str) -> list[str]:
    return [m for m in store.models() if m != task and store.scores(model=m, task=task)]


async def run_judging(store: Store, data_dir: Path, judge_model_name: str, options: ModelOptions,
                      tasks: list[TaskSpec], models: list[str] | None = None, pair: tuple[str, str] | None = None,
                      repeat: int = 0, temperature: float = 0.0, max_tokens: int = 1024, attempts: int = 3,
                      retry_errors: bool = False) -> JudgeReport:
    for task in tasks:
        recipe_for(task.name)  # fails early, in one line, for a task without a judge recipe
    judge_model = create_model(judge_model_name, options)
    runner = Runner(store, options.concurrency, show_progress=False, retry_errors=retry_errors)
    c = Counters()
    stats: list[JudgeStats] = []
    consistency: list[Agreement] = []
    judged: set[str] = set()
    try:
        for task in tasks:
            judge = judge_for(judge_model_name, task.name, temperature, max_tokens, attempts)
            samples = {s.id: s for s in load_samples(task, data_dir)}
            if pair is not None:
                counts = await judge_pair(runner, judge_model, judge, task, *pair, samples, data_dir, c)
                stats.append(_stats(judge, task.name, f"{pair[0]} vs {pair[1]}", counts["verdicts"], counts))
                continue
            names = models or answering_models(store, task.name)
            if not names:
                c.messages.append(f"{task.name}: no stored answers to judge (run `gapbench run --task {task.name}` first)")
            for model in names:
                counts = await judge_model_answers(runner, judge_model, judge, task, model, samples, data_dir, c)
                stats.append(_stats(judge, task.name, model, counts["judged"], counts))
                judged.add(judged_name(task.name, judge))
                if repeat:
                    consistency.append(await _repeat(runner, judge_model, judge, task, model, samples, data_dir, c,
                                                     repeat))
    finally:
        await judge_model.aclose()
    report = JudgeReport(model_calls=c.model_calls, cache_hits=c.cache_hits, notes=c.messages, judges=stats,
                         results=[r for r in results_from_store(store) if r.task in judged],
                         agreement=_agreement(store) + consistency)
    if pair is not None:
        names = {t.name for t in tasks}
        report.pairwise = pairwise_report([v for v in store.verdicts() if v.task in names and
                                           {v.model_a, v.model_b} == set(pair)])
    return report


def _agreement(store: Store) -> list[Agreement]:
    rows = store.scores()
    refusal = [r for r in rows if r.scorer in ("refusal", "judge_refusal")]
    rated = [r for r in rows if r.scorer not in ("refusal", "judge_refusal")]
    return rating_agreement(rated) + verdict_agreement(store.verdicts()) + rules_judge_agreement(refusal)


def _stats(judge: Judge, task: str, model: str, judged: int, counts: dict[str, int]) -> JudgeStats:
    asked = judged + counts["unparseable"]
    return JudgeStats(judge=judge.id, task=task, model=model, judged=judged, unparseable=counts["unparseable"],
                      errors=counts["errors"], unparseable_rate=counts["unparseable"] / asked if asked else 0.0)


async def _repeat(runner: Runner, judge_model, judge: Judge, task: TaskSpec, model: str, samples, data_dir: Path,
                  c: Counters, n: int) -> Agreement:
    """Judge the first n judged answers again at another seed: one judge's agreement with itself."""
    name = judged_name(task.name, judge)
    stored = {r.sample_id: r.value for r in runner.store.scores(model=model, task=name)}
    answers = [r for r in runner.store.scores(model=model, task=task.name) if r.sample_id in stored][:n]
    first, again = [], []
    for row in answers:
        score = await _judge_one(runner, judge_model, judge, recipe_for(task.name), row, samples[row.sample_id],
                                 data_dir, c, seed_offset=REPEAT_SEED)
        if not isinstance(score, str):
            first.append(stored[row.sample_id])
            again.append(score.value)
    if not first:
        raise GapbenchError(f"--repeat: no judgment of {model} on {task.name} could be repeated")
    return self_consistency(task.name, judge.id, first, again)


def merge_reports(first: JudgeReport, second: JudgeReport) -> JudgeReport:
    """Two judges' reports of one run (chat and refusals) as one."""
    return JudgeReport(model_calls=first.model_calls + second.model_calls, cache_hits=first.cache_hits + second.cache_hits,
                       notes=first.notes + second.notes, judges=first.judges + second.judges,
                       results=first.results + second.results, agreement=second.agreement)
