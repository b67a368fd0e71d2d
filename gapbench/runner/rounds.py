"""`gapbench run --precision H`: a task's items in its seeded order, in rounds asked of every model, until
`PrecisionStop` says the answer is known (gapbench.runner.precision explains the interval and why).

Every round hands the next `step` items of the order to every model at once (in-process models one after
another), records each model's score per item (None where it failed or did not fit: the item leaves the
population) and asks for more only while some interval is wider than ±H. Everything goes through the
store, so a rerun replays the same order from the cache and a smaller H continues where a larger one stopped.
"""

from __future__ import annotations

from gapbench.models.base import Model
from gapbench.runner.precision import PrecisionStop, seeded_order
from gapbench.runner.runner import Counters, ModelTurns, Runner, build_requests, finish, gather_all, manifest, \
    task_result
from gapbench.schema.results import Result
from gapbench.schema.run import PrecisionEstimand, PrecisionReport
from gapbench.tasks.spec import TaskSpec
from gapbench.types import Sample


async def run_to_precision(runner: Runner, models: list[Model], methods: dict[tuple[str, str], str], plan: tuple,
                           target: float, limit: int | None, turns: ModelTurns, total: Counters,
                           step: int) -> tuple[list[Result], PrecisionReport]:
    task, files, samples, pool = plan
    store, seed = runner.store, runner.seed
    order = seeded_order([s.id for s in samples], seed)  # `--limit N` is a prefix of this order
    by_id = {s.id: s for s in samples}
    stop = PrecisionStop(order, [m.info.name for m in models], half_width=target)
    runs = {}
    for model in models:
        method = methods[(model.info.name, task.name)]
        run_id = store.start_run(model.info.name, task.name, method,
                                 manifest(task, model, method, files, seed, limit, len(samples), precision=target))
        c = Counters()
        runs[model.info.name] = (run_id, c, runner.open_bar(model, task, len(order)), {})

    async def ask(model: Model, chunk: list[Sample]) -> None:
        run_id, c, bar, scored = runs[model.info.name]
        async with turns(model):
            scored.update(await runner.run_task(model, task, methods[(model.info.name, task.name)], chunk, pool,
                                                run_id, c, bar))

    asked: list[str] = []
    while not stop.done:
        ids = stop.next_items(step)
        if not ids:
            break
        asked += ids
        await gather_all(ask(model, [by_id[i] for i in ids]) for model in models)
        for model in models:
            scored = runs[model.info.name][3]
            for i in ids:
                stop.record(i, model.info.name, scored.get(i))

    results = []
    for model in models:
        run_id, c, bar, scored = runs[model.info.name]
        runner.close_bar(bar, model, task, c)
        finish(store, run_id, model, c)
        total.add(c)
        results.append(task_result(store, model.info.name, task, methods[(model.info.name, task.name)], scored,
                                   len(asked) - len(scored) - c.skipped, c.truncated))
    summary = stop.summary()
    unasked = [by_id[i] for i in order[len(asked):]]
    calls_saved = sum(calls_per_item(runner, model, task, methods[(model.info.name, task.name)], s, pool)
                      for model in models for s in unasked)
    estimands = [PrecisionEstimand(models=e["models"], n=e["n"], estimate=e["estimate"] if e["n"] else None,
                                   low=e["low"], high=e["high"], half_width=e["half_width"], reached=e["reached"])
                 for e in summary["estimands"]]
    report = PrecisionReport(task=task.name, target=target, reached=summary["reached"],
                             items_total=summary["items_total"], items_asked=summary["items_asked"],
                             items_used=summary["items_used"], items_dropped=summary["items_dropped"],
                             items_saved=summary["items_saved"], calls_saved=calls_saved, estimands=estimands)
    return results, report


def calls_per_item(runner: Runner, model: Model, task: TaskSpec, method: str, sample: Sample,
                   pool: list[Sample]) -> int:
    """Model calls one item needs: a question's choices (loglikelihood), a conversation's turns, else one."""
    n = len(build_requests(task, method, sample, pool, model.info.chat, runner.seed))
    turns = sample.metadata.get("_turns")
    return n + (len(turns) - 1 if method == "generate" and turns else 0)
