"""The runner: plan → cache lookup → model call (bounded, retried by the provider) → score → commit."""

from __future__ import annotations

import asyncio
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gapbench
from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.base import Model
from gapbench.models.registry import ModelOptions, create_model
from gapbench.runner.progress import make_progress
from gapbench.runner.select import select_samples
from gapbench.schema.results import Result
from gapbench.schema.run import RunSummary
from gapbench.scoring.registry import Scorer, ScorerConfig, get_scorer
from gapbench.store.db import Store, cache_key
from gapbench.store.results import TRUNCATED, summarise
from gapbench.tasks.loader import dataset_files, load_samples
from gapbench.tasks.prompts import fewshot_for, generate_request, loglikelihood_requests, next_turn_request, \
    tool_request
from gapbench.tasks.registry import data_hash, task_hash
from gapbench.tasks.spec import TaskSpec
from gapbench.types import GREEDY_SEED, Request, Response, Sample

DEFAULT_SEED = GREEDY_SEED


@dataclass
class Counters:
    model_calls: int = 0
    cache_hits: int = 0
    errors: int = 0
    tokens: int = 0
    skipped: int = 0  # items longer than the model's context window (not errors, not scored)
    truncated: int = 0  # errors: answers cut off by the token limit (a thinking model's budget spent)
    messages: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    counters: Counters
    results: list[Result]

    def summary(self) -> RunSummary:
        c = self.counters
        return RunSummary(model_calls=c.model_calls, cache_hits=c.cache_hits, errors=c.errors, skipped=c.skipped,
                          notes=c.messages, results=self.results)

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


def build_requests(task: TaskSpec, method: str, sample: Sample, pool: list[Sample], chat: bool,
                   seed: int = DEFAULT_SEED) -> list[Request]:
    shots = fewshot_for(task, sample, pool)
    if method == "loglikelihood":
        return loglikelihood_requests(task, sample, shots)
    if method in ("tools", "prompt"):
        return [tool_request(task, sample, method, chat, seed)]
    return [generate_request(task, sample, shots, chat, seed)]


def manifest(task: TaskSpec, model: Model, method: str, files: list[Path], seed: int, limit: int | None,
             n: int) -> dict[str, Any]:
    try:
        import llama_cpp

        llama_version = llama_cpp.__version__
    except ImportError:
        llama_version = None
    return {
        "gapbench_version": gapbench.__version__,
        "task": {"name": task.name, "version": task.version, "task_hash": task_hash(task),
                 "data_files": [str(f) for f in files], "data_hash": data_hash(files) if files else None},
        "model": {"name": model.info.name, **model.info.identity(), **model.info.extra},
        "method": method,
        "scorer": task.scorer,
        "metric": get_scorer(task.scorer).headline(method, task.metric),
        "generation": task.generation.model_dump(),
        "seed": seed,
        "limit": limit,
        "n_samples": n,
        "python": platform.python_version(),
        "llama_cpp_python": llama_version,
    }


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


class Runner:
    def __init__(self, store: Store, concurrency: int, show_progress: bool = True,
                 config: ScorerConfig = ScorerConfig(), retry_errors: bool = False, seed: int = DEFAULT_SEED):
        self.store = store
        self.concurrency = concurrency
        self.config = config
        self.retry_errors = retry_errors  # ask again requests that failed permanently before (HTTP 400, …)
        self.seed = seed
        self.progress = make_progress(show_progress)
        # blocking scorers (code run in the sandbox) work beside the model, one per core
        self._scoring = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="score")

    async def _score(self, scorer: Scorer, task: TaskSpec, method: str, sample: Sample, responses: list[Response]):
        args = (task, method, sample, responses, self.config)
        if scorer.blocking:
            return await asyncio.get_running_loop().run_in_executor(self._scoring, scorer.score, *args)
        return scorer.score(*args)

    async def _ask(self, model: Model, task: TaskSpec, method: str, sample: Sample, pool: list[Sample],
                   c: Counters) -> list[tuple[str, Response]] | None:
        """All model calls of one sample: the choices of a question, or the turns of a conversation.
        None when the prompt does not fit the model's context window."""
        requests = build_requests(task, method, sample, pool, model.info.chat, self.seed)
        fits = getattr(model, "fits", None)
        if fits is not None and not await fits(requests[0]):
            return None
        pairs = [await self.respond(model, request, c) for request in requests]
        turns = sample.metadata.get("_turns")
        if method == "generate" and turns:
            for i in range(1, len(turns)):
                answers = [r.text for _, r in pairs]
                request = next_turn_request(task, requests[0], turns[: i + 1], answers)
                if fits is not None and not await fits(request):
                    return None
                pairs.append(await self.respond(model, request, c))
        return pairs

    async def respond(self, model: Model, request: Request, c: Counters) -> tuple[str, Response]:
        key = cache_key(model.info, request)
        cached = self.store.get_response(key)
        if cached is not None:
            c.cache_hits += 1
            return key, cached
        failure = None if self.retry_errors else self.store.get_failure(key)
        if failure is not None:  # a permanent failure is not asked again on every run
            raise ModelCallError(f"{failure} (stored permanent failure, not asked again; --retry-errors asks again)",
                                 retryable=False)
        call = model.loglikelihood if request.kind == "loglikelihood" else model.generate
        try:
            response = await call(request)
        except ModelCallError as e:
            if not e.retryable:
                self.store.put_failure(key, model.info.name, str(e)[:500])
            raise
        self.store.put_response(key, model.info.name, model.info, request, response)
        c.model_calls += 1
        c.tokens += response.input_tokens + response.output_tokens
        return key, response

    async def run_task(self, model: Model, task: TaskSpec, method: str, samples: list[Sample], pool: list[Sample],
                       run_id: int, c: Counters) -> set[str]:
        """Ask and score every sample; returns the ids scored (the others failed or did not fit)."""
        scorer = get_scorer(task.scorer)
        metric = scorer.headline(method, task.metric)
        sem = asyncio.Semaphore(max(1, min(self.concurrency, model.max_concurrency)))
        thash = task_hash(task)
        scored: set[str] = set()
        bar = self.progress.add_task(f"{model.info.name} · {task.name}", total=len(samples), rate="",
                                     tokens=0, calls=0, hits=0, errors=0)
        started = time.perf_counter()
        done = 0
        skipped: list[str] = []

        async def one(sample: Sample) -> None:
            nonlocal done
            try:
                async with sem:  # one sample at a time per slot: its choices share a prompt prefix
                    pairs = await self._ask(model, task, method, sample, pool, c)
                if pairs is None:
                    c.skipped += 1
                    skipped.append(sample.id)
                else:
                    score = await self._score(scorer, task, method, sample, [r for _, r in pairs])
                    self.store.put_score(run_id, model.info.name, task, method, thash, sample.id, sample.target,
                                         score, [k for k, _ in pairs], scorer=scorer.name, metric=metric)
                    scored.add(sample.id)
            except GapbenchError:
                raise
            except Exception as e:  # one bad item never aborts the run: record it (retried next run if retryable)
                c.errors += 1
                message = f"{type(e).__name__}: {e}"[:500]
                c.messages.append(f"{task.name}/{sample.id}: {message}")
                retryable = not isinstance(e, ModelCallError) or e.retryable
                c.truncated += TRUNCATED in message
                self.store.put_error(run_id, model.info.name, task.name, method, sample.id, message, retryable)
            done += 1
            elapsed = max(time.perf_counter() - started, 1e-9)
            note = getattr(model, "progress_note", None)  # e.g. a vLLM model's items per replica
            if note is not None:
                self.progress.update(bar, description=f"{model.info.name} · {task.name} · {note()}")
            self.progress.update(bar, completed=done, rate=f"{done / elapsed:.2f} it/s", tokens=c.tokens,
                                 calls=c.model_calls, hits=c.cache_hits, errors=c.errors, refresh=True)

        await asyncio.gather(*(one(s) for s in samples))
        if skipped:
            c.messages.append(f"{task.name}: {len(skipped)} items longer than the context window of "
                              f"{model.info.name} skipped (raise --n-ctx if the model allows it)")
        return scored


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


def task_result(store: Store, model: str, task: TaskSpec, method: str, scored: set[str], errors: int,
                truncated: int = 0) -> Result:
    """The result of this run's samples, from the store (with the scorer's declared metrics)."""
    rows = [r for r in store.scores(model=model, task=task.name, method=method) if r.sample_id in scored]
    if rows:
        return summarise(rows, errors=errors, truncated=truncated)
    metric = get_scorer(task.scorer).headline(method, task.metric)
    return Result(model=model, task=task.name, language=task.language, capability=task.capability, method=method,
                  metric=metric, n=0, score=None, ci_low=None, ci_high=None, errors=errors, truncated=truncated)


async def run_eval(model_names: list[str], tasks: list[TaskSpec], *, store: Store, data_dir: Path,
                   options: ModelOptions, method: str | None = None, limit: int | None = None,
                   seed: int = DEFAULT_SEED, show_progress: bool = True, fewshot: int | None = None,
                   prefer_loglikelihood: bool = False, allow_unsandboxed_code: bool = False,
                   retry_errors: bool = False) -> RunReport:
    """Run every task on every model; responses already in the store are not asked again."""
    counters = Counters()
    plans = prepare(tasks, data_dir, limit, seed, fewshot, allow_unsandboxed_code, counters)
    runner = Runner(store, options.concurrency, show_progress, ScorerConfig(allow_unsandboxed_code),
                    retry_errors, seed)
    results: list[Result] = []
    with runner.progress:
        for name in model_names:
            model = create_model(name, options)
            try:
                for task, files, samples, pool in plans:
                    m = choose_method(task, model, method, prefer_loglikelihood)
                    run_id = store.start_run(name, task.name, m, manifest(task, model, m, files, seed, limit, len(samples)))
                    before = Counters(counters.model_calls, counters.cache_hits, counters.errors,
                                      skipped=counters.skipped, truncated=counters.truncated)
                    scored = await runner.run_task(model, task, m, samples, pool, run_id, counters)
                    counts = getattr(model, "replica_counts", None)  # where several servers answered, how many each
                    store.finish_run(run_id, counters.model_calls - before.model_calls,
                                     counters.cache_hits - before.cache_hits, counters.errors - before.errors,
                                     {"replica_counts": counts()} if counts is not None else None)
                    errors = len(samples) - len(scored) - (counters.skipped - before.skipped)
                    results.append(task_result(store, name, task, m, scored, errors,
                                               counters.truncated - before.truncated))
            finally:
                await model.aclose()
    return RunReport(counters, results)
