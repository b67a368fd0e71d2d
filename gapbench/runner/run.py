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
from gapbench.errors import GapbenchError
from gapbench.models.base import Model
from gapbench.models.registry import ModelOptions, create_model
from gapbench.runner.progress import make_progress
from gapbench.runner.select import select_samples
from gapbench.scoring.scorers import get_scorer
from gapbench.stats.intervals import mean_interval
from gapbench.store.db import Store, cache_key
from gapbench.tasks.loader import dataset_files, load_samples
from gapbench.tasks.prompts import fewshot_for, generate_request, loglikelihood_requests, next_turn_request
from gapbench.tasks.registry import data_hash, task_hash
from gapbench.tasks.spec import TaskSpec
from gapbench.types import Request, Response, Result, Sample

DEFAULT_SEED = 1234


@dataclass
class Counters:
    model_calls: int = 0
    cache_hits: int = 0
    errors: int = 0
    tokens: int = 0
    skipped: int = 0  # items longer than the model's context window (not errors, not scored)
    messages: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    counters: Counters
    results: list[Result]
    data_used: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "model_calls": self.counters.model_calls,
            "cache_hits": self.counters.cache_hits,
            "errors": self.counters.errors,
            "skipped": self.counters.skipped,
            "notes": self.counters.messages,
            "results": [r.to_json() for r in self.results],
        }


def choose_method(task: TaskSpec, model: Model, method: str | None, prefer_loglikelihood: bool = False) -> str:
    if prefer_loglikelihood and "loglikelihood" in task.methods and model.info.supports_loglikelihood:
        return "loglikelihood"
    if method is not None:
        if method not in task.methods:
            raise GapbenchError(f"--method {method}: task {task.name} supports {', '.join(task.methods)}")
        if method == "loglikelihood" and not model.info.supports_loglikelihood:
            raise GapbenchError(f"--method loglikelihood: {model.info.name} gives no log-probabilities")
        return method
    for m in task.methods:
        if m == "generate" or model.info.supports_loglikelihood:
            return m
    raise GapbenchError(f"task {task.name}: {model.info.name} supports none of its methods")


def build_requests(task: TaskSpec, method: str, sample: Sample, pool: list[Sample], chat: bool) -> list[Request]:
    shots = fewshot_for(task, sample, pool)
    if method == "loglikelihood":
        return loglikelihood_requests(task, sample, shots)
    return [generate_request(task, sample, shots, chat)]


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
        "generation": task.generation.model_dump(),
        "seed": seed,
        "limit": limit,
        "n_samples": n,
        "python": platform.python_version(),
        "llama_cpp_python": llama_version,
    }


def _extras(store: Store, model: str, task: str, method: str, ids: set[str]) -> dict[str, Any]:
    from gapbench.store.results import task_extras

    rows = [r for r in store.scores(model=model, task=task, method=method) if r["sample_id"] in ids]
    return task_extras(rows) if rows else {}


def code_task_unavailable(task: TaskSpec, allow_unsandboxed: bool) -> str | None:
    """Why a code task cannot run here (no toolchain, no sandbox), or None."""
    if task.scorer != "code":
        return None
    from gapbench.sandbox import available_languages, sandbox_available
    from gapbench.scoring import scorers

    language = task.code.language if task.code else "python"
    if language in ("go", "rust"):  # their tests need `go test` with testify / `rustc --test`: not built yet
        return f"the {language} test harness is not implemented yet (HumanEval-X {language} needs its own test runner)"
    missing = available_languages().get(language)
    if missing:
        return f"no {language} toolchain for the sandbox ({missing})"
    ok, why = sandbox_available()
    if not ok and not allow_unsandboxed:
        return f"the code sandbox is unavailable ({why}); --allow-unsandboxed-code runs model code without it"
    scorers.ALLOW_UNSANDBOXED = allow_unsandboxed
    return None


class Runner:
    def __init__(self, store: Store, concurrency: int, show_progress: bool = True):
        self.store = store
        self.concurrency = concurrency
        self.progress = make_progress(show_progress)
        # blocking scorers (code run in the sandbox) work beside the model, one per core
        self._scoring = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="score")

    async def _score(self, scorer, task: TaskSpec, sample: Sample, responses: list[Response]):
        if getattr(scorer, "blocking", False):
            return await asyncio.get_running_loop().run_in_executor(self._scoring, scorer, task, sample, responses)
        return scorer(task, sample, responses)

    async def _ask(self, model: Model, task: TaskSpec, method: str, sample: Sample, pool: list[Sample],
                   c: Counters) -> list[tuple[str, Response]] | None:
        """All model calls of one sample: the choices of a question, or the turns of a conversation.
        None when the prompt does not fit the model's context window."""
        requests = build_requests(task, method, sample, pool, model.info.chat)
        fits = getattr(model, "fits", None)
        if fits is not None and not await fits(requests[0]):
            return None
        pairs = [await self._respond(model, request, c) for request in requests]
        turns = sample.metadata.get("_turns")
        if method == "generate" and turns:
            for i in range(1, len(turns)):
                answers = [r.text for _, r in pairs]
                request = next_turn_request(task, requests[0], turns[: i + 1], answers)
                if fits is not None and not await fits(request):
                    return None
                pairs.append(await self._respond(model, request, c))
        return pairs

    async def _respond(self, model: Model, request: Request, c: Counters) -> tuple[str, Response]:
        key = cache_key(model.info, request)
        cached = self.store.get_response(key)
        if cached is not None:
            c.cache_hits += 1
            return key, cached
        call = model.loglikelihood if request.kind == "loglikelihood" else model.generate
        response = await call(request)
        self.store.put_response(key, model.info.name, model.info, request, response)
        c.model_calls += 1
        c.tokens += response.input_tokens + response.output_tokens
        return key, response

    async def run_task(self, model: Model, task: TaskSpec, method: str, samples: list[Sample], pool: list[Sample],
                       run_id: int, c: Counters) -> list[float]:
        scorer = get_scorer(task.scorer, method)
        sem = asyncio.Semaphore(max(1, min(self.concurrency, model.max_concurrency)))
        thash = task_hash(task)
        values: dict[str, float] = {}
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
                    score = await self._score(scorer, task, sample, [r for _, r in pairs])
                    self.store.put_score(run_id, model.info.name, task, method, thash, sample.id, sample.target,
                                         score, [k for k, _ in pairs])
                    values[sample.id] = score.value
            except GapbenchError:
                raise
            except Exception as e:  # one bad item never aborts the run: record it, retry next run
                c.errors += 1
                message = f"{type(e).__name__}: {e}"[:500]
                c.messages.append(f"{task.name}/{sample.id}: {message}")
                self.store.put_error(run_id, model.info.name, task.name, method, sample.id, message)
            done += 1
            elapsed = max(time.perf_counter() - started, 1e-9)
            self.progress.update(bar, completed=done, rate=f"{done / elapsed:.2f} it/s", tokens=c.tokens,
                                 calls=c.model_calls, hits=c.cache_hits, errors=c.errors, refresh=True)

        await asyncio.gather(*(one(s) for s in samples))
        if skipped:
            c.messages.append(f"{task.name}: {len(skipped)} items longer than the context window of "
                              f"{model.info.name} skipped (raise --n-ctx if the model allows it)")
        return [values[s.id] for s in samples if s.id in values]


async def run_eval(model_names: list[str], tasks: list[TaskSpec], *, store: Store, data_dir: Path,
                   options: ModelOptions, method: str | None = None, limit: int | None = None,
                   seed: int = DEFAULT_SEED, show_progress: bool = True, fewshot: int | None = None,
                   prefer_loglikelihood: bool = False, allow_unsandboxed_code: bool = False) -> RunReport:
    """Run every task on every model; responses already in the store are not asked again."""
    plans = []
    counters = Counters()
    for task in tasks:
        reason = code_task_unavailable(task, allow_unsandboxed_code)
        if reason:
            counters.messages.append(f"{task.name}: skipped: {reason}")
            continue
        if fewshot is not None and task.fewshot is not None and fewshot != task.fewshot.k:
            # another setup is another task: its scores never replace or pair with the standard ones
            task = task.model_copy(update={"name": f"{task.name}.{fewshot}shot",
                                           "fewshot": task.fewshot.model_copy(update={"k": fewshot})})  # load all data first: a missing file fails before any model is loaded
        files = dataset_files(task.dataset, data_dir)
        samples = select_samples(load_samples(task, data_dir), limit, seed)
        pool = load_samples(task, data_dir, task.fewshot.path) if task.fewshot else []
        plans.append((task, files, samples, pool))
    runner = Runner(store, options.concurrency, show_progress)
    results: list[Result] = []
    with runner.progress:
        for name in model_names:
            model = create_model(name, options)
            try:
                for task, files, samples, pool in plans:
                    m = choose_method(task, model, method, prefer_loglikelihood)
                    run_id = store.start_run(name, task.name, m, manifest(task, model, m, files, seed, limit, len(samples)))
                    before = Counters(counters.model_calls, counters.cache_hits, counters.errors,
                                      skipped=counters.skipped)
                    values = await runner.run_task(model, task, m, samples, pool, run_id, counters)
                    store.finish_run(run_id, counters.model_calls - before.model_calls,
                                     counters.cache_hits - before.cache_hits, counters.errors - before.errors)
                    mean, low, high = mean_interval(values)
                    results.append(Result(model=name, task=task.name, language=task.language,
                                          capability=task.capability, n=len(values), score=mean, ci_low=low,
                                          ci_high=high, method=m, errors=len(samples) - len(values) - (counters.skipped - before.skipped),
                                          extra=_extras(store, name, task.name, m, {s.id for s in samples})))
            finally:
                await model.aclose()
    return RunReport(counters, results)
