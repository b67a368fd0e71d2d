"""`gapbench run`: plan → (per model, concurrently) the scheduler of gapbench.runner.runner → results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gapbench.errors import GapbenchError
from gapbench.models.base import Model
from gapbench.models.registry import ModelOptions, create_model
from gapbench.runner.limiter import Limiters
from gapbench.runner.runner import DEFAULT_SEED, Counters, ModelTurns, Runner, build_requests, finish, \
    gather_all, manifest, task_result
from gapbench.runner.rounds import run_to_precision
from gapbench.runner.select import select_samples
from gapbench.schema.results import Result
from gapbench.schema.run import PrecisionReport, RunSummary
from gapbench.scoring.registry import ScorerConfig, get_scorer
from gapbench.store.db import Store
from gapbench.tasks.loader import dataset_files, load_samples
from gapbench.tasks.spec import TaskSpec

__all__ = ["DEFAULT_SEED", "Counters", "Runner", "RunReport", "build_requests", "choose_method", "run_eval"]


@dataclass
class RunReport:
    counters: Counters
    results: list[Result]
    precision: list[PrecisionReport] = field(default_factory=list)

    def summary(self) -> RunSummary:
        c = self.counters
        return RunSummary(model_calls=c.model_calls, cache_hits=c.cache_hits, errors=c.errors, skipped=c.skipped,
                          notes=c.messages, results=self.results, precision=self.precision)

    def to_json(self) -> dict[str, Any]:
        return self.summary().to_json()


def choose_method(task: TaskSpec, model: Model, method: str | None, prefer_loglikelihood: bool = False) -> str:
    if prefer_loglikelihood and "loglikelihood" in task.methods and model.info.supports_loglikelihood:
        return "loglikelihood"
    if method is not None:
        if method not in task.methods:
            raise GapbenchError(f"--method {method}: task {task.name} supports {', '.join(task.methods)}")
        if method == "loglikelihood" and not model.info.supports_loglikelihood:
            raise GapbenchError(f"--method loglikelihood: {model.info.name} gives no log-probabilities")
        if method == "tools" and not getattr(model, "native_tools", False):
            raise GapbenchError(f"--method tools: {model.info.name} has no native function calling "
                                f"({getattr(model, 'native_tools_note', 'not supported by its provider')}); use --method prompt")
        return method
    for m in task.methods:
        if m == "tools" and not getattr(model, "native_tools", False):
            continue  # no native function calling: the task's next method (prompt) describes the functions
        if m != "loglikelihood" or model.info.supports_loglikelihood:
            return m
    raise GapbenchError(f"task {task.name}: {model.info.name} supports none of its methods")


def code_task_unavailable(task: TaskSpec, allow_unsandboxed: bool) -> str | None:
    """Why a code task cannot run here (no toolchain, no sandbox), or None."""
    if task.scorer != "code":
        return None
    from gapbench.sandbox import available_languages, sandbox_available

    language = task.code.language if task.code else "python"
    missing = available_languages().get(language)
    if missing:
        return f"no {language} toolchain for the sandbox ({missing})"
    ok, why = sandbox_available()
    if not ok and not allow_unsandboxed:
        return f"the code sandbox is unavailable ({why}); --allow-unsandboxed-code runs model code without it"
    return None


def prepare(tasks: list[TaskSpec], data_dir: Path, limit: int | None, seed: int, fewshot: int | None,
            allow_unsandboxed_code: bool, counters: Counters) -> list[tuple]:
    """(task, files, samples, few-shot pool) per runnable task. All data is loaded first: a missing file
    fails before any model is loaded."""
    plans = []
    for task in tasks:
        reason = code_task_unavailable(task, allow_unsandboxed_code)
        if reason:
            counters.messages.append(f"{task.name}: skipped: {reason}")
            continue
        if fewshot is not None and task.fewshot is not None and fewshot != task.fewshot.k:
            # another setup is another task: its scores never replace or pair with the standard ones
            task = task.model_copy(update={"name": f"{task.name}.{fewshot}shot",
                                           "fewshot": task.fewshot.model_copy(update={"k": fewshot})})
        files = dataset_files(task.dataset, data_dir)
        samples = select_samples(load_samples(task, data_dir), limit, seed)
        pool = load_samples(task, data_dir, task.fewshot.path) if task.fewshot else []
        plans.append((task, files, samples, pool))
    return plans


def attach_limiters(models: list[Model], options: ModelOptions) -> None:
    """One adaptive limiter per provider endpoint, shared by the models of the run that call it."""
    limiters = Limiters(options.concurrency, rpm=options.rpm, tpm=options.tpm)
    for model in models:
        key = getattr(model, "limiter_key", lambda: None)()
        if key is not None:
            model.limiter = limiters.get(key)


async def run_eval(model_names: list[str], tasks: list[TaskSpec], *, store: Store, data_dir: Path,
                   options: ModelOptions, method: str | None = None, limit: int | None = None,
                   seed: int = DEFAULT_SEED, show_progress: bool = True, fewshot: int | None = None,
                   prefer_loglikelihood: bool = False, allow_unsandboxed_code: bool = False,
                   retry_errors: bool = False, precision: float | None = None) -> RunReport:
    """Run every task on every model; responses already in the store are not asked again.

    Models run concurrently (each its tasks in order; in-process models one after another). With `precision`,
    each task's items are drawn in its seeded order, in rounds asked of every model, until the anytime-valid
    interval of each model's score (one model) or of each paired gap (several) is narrower than ±precision."""
    counters = Counters()
    plans = prepare(tasks, data_dir, limit, seed, fewshot, allow_unsandboxed_code, counters)
    runner = Runner(store, options.concurrency, show_progress, ScorerConfig(allow_unsandboxed_code),
                    retry_errors, seed)
    models: list[Model] = []
    turns = ModelTurns()
    try:
        for name in dict.fromkeys(model_names):
            models.append(create_model(name, options))
        # every method is chosen before any model runs: a task a model cannot do fails in one line at once
        methods = {(model.info.name, p[0].name): choose_method(p[0], model, method, prefer_loglikelihood)
                   for model in models for p in plans}
        attach_limiters(models, options)
        with runner.progress:
            if precision is not None:
                check_precision(plans, models, methods)
                results, reports = [], []
                for plan in plans:
                    got, report = await run_to_precision(runner, models, methods, plan, precision, limit, turns,
                                                         counters, step=max(8, options.concurrency, 4 * options.batch))
                    results += got
                    reports.append(report)
                order = {m.info.name: i for i, m in enumerate(models)}
                results.sort(key=lambda r: order[r.model])  # stable: model by model, tasks in order
                return RunReport(counters, results, reports)

            async def one_model(model: Model) -> list[Result]:
                async with turns(model):
                    return [await run_plan(runner, model, plan, methods[(model.info.name, plan[0].name)], seed,
                                           limit, counters) for plan in plans]

            per_model = await gather_all(one_model(m) for m in models)
    finally:
        for model in models:
            await model.aclose()
    return RunReport(counters, [r for results in per_model for r in results])


async def run_plan(runner: Runner, model: Model, plan: tuple, method: str, seed: int, limit: int | None,
                   total: Counters) -> Result:
    """One model on one task: every item of the plan."""
    task, files, samples, pool = plan
    store = runner.store
    run_id = store.start_run(model.info.name, task.name, method,
                             manifest(task, model, method, files, seed, limit, len(samples)))
    c = Counters()
    scored = await runner.run_task(model, task, method, samples, pool, run_id, c)
    finish(store, run_id, model, c)
    total.add(c)
    return task_result(store, model.info.name, task, method, scored, len(samples) - len(scored) - c.skipped,
                       c.truncated)


def check_precision(plans: list[tuple], models: list[Model], methods: dict[tuple[str, str], str]) -> None:
    """--precision needs item scores in [0, 1] that measure something (not a placeholder awaiting a judge)."""
    for task, *_ in plans:
        scorer = get_scorer(task.scorer)
        for model in models:
            metric = scorer.headline(methods[(model.info.name, task.name)], task.metric)
            scale = next((m.scale for m in scorer.metrics if m.name == metric), "0-1")
            if not scorer.measures or scale != "0-1":
                why = "its answers await a judge" if not scorer.measures else f"its {metric} is on a {scale} scale"
                raise GapbenchError(f"--precision: task {task.name} has no item score in [0, 1] to stop on ({why})")
