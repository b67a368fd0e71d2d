"""The scheduler under `gapbench run`: cache lookup → model call (bounded, retried by the provider) → score →
commit, for one model on one task; the counters and progress lines it keeps."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable

import gapbench
from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.base import Model
from gapbench.runner.batched import run_batched
from gapbench.runner.progress import make_progress
from gapbench.schema.results import Result
from gapbench.scoring.registry import Scorer, ScorerConfig, get_scorer
from gapbench.store.db import Store, cache_key
from gapbench.store.results import TRUNCATED, summarise
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
    cost: float = 0.0  # list price of the calls made, where the catalog knows the model's prices
    messages: list[str] = field(default_factory=list)

    def add(self, other: "Counters") -> None:
        """Fold one model × task run's counts into the run's totals."""
        for name in ("model_calls", "cache_hits", "errors", "tokens", "skipped", "truncated", "cost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.messages += other.messages


@dataclass
class Bar:
    """One progress line: a model on a task (several rounds of `--precision` advance the same line)."""

    id: Any
    started: float
    done: int = 0
    skipped: list[str] = field(default_factory=list)


def build_requests(task: TaskSpec, method: str, sample: Sample, pool: list[Sample], chat: bool,
                   seed: int = DEFAULT_SEED) -> list[Request]:
    shots = fewshot_for(task, sample, pool)
    if method == "loglikelihood":
        return loglikelihood_requests(task, sample, shots)
    if method in ("tools", "prompt"):
        return [tool_request(task, sample, method, chat, seed)]
    return [generate_request(task, sample, shots, chat, seed)]


def manifest(task: TaskSpec, model: Model, method: str, files: list[Path], seed: int, limit: int | None,
             n: int, **more: Any) -> dict[str, Any]:
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
        **more,
    }


class Runner:
    def __init__(self, store: Store, concurrency: int, show_progress: bool = True,
                 config: ScorerConfig = ScorerConfig(), retry_errors: bool = False, seed: int = DEFAULT_SEED):
        self.store = store
        self.concurrency = concurrency
        self.config = config
        self.retry_errors = retry_errors  # ask again requests that failed permanently before (HTTP 400, …)
        self.seed = seed
        self.progress = make_progress(show_progress)
        self._prices: dict[str, tuple[float, float] | None] = {}
        # blocking scorers (code run in the sandbox) work beside the model, one per core
        self._scoring = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="score")

    async def _score(self, scorer: Scorer, task: TaskSpec, method: str, sample: Sample, responses: list[Response]):
        args = (task, method, sample, responses, self.config)
        if scorer.blocking:
            return await asyncio.get_running_loop().run_in_executor(self._scoring, scorer.score, *args)
        return scorer.score(*args)

    def requests(self, model: Model, task: TaskSpec, method: str, sample: Sample, pool: list[Sample]) -> list[Request]:
        """The first model calls of a sample (a question's choices; a conversation's first turn)."""
        return build_requests(task, method, sample, pool, model.info.chat, self.seed)

    async def _ask(self, model: Model, task: TaskSpec, method: str, sample: Sample, pool: list[Sample],
                   c: Counters) -> list[tuple[str, Response]] | None:
        """All model calls of one sample: the choices of a question, or the turns of a conversation.
        None when the prompt does not fit the model's context window."""
        requests = self.requests(model, task, method, sample, pool)
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

    def _price(self, model: str) -> tuple[float, float] | None:
        """(input, output) list price per token where the catalog knows them; local models cost nothing."""
        if model not in self._prices:
            from gapbench.catalog.catalog import stored_model_facts

            facts = stored_model_facts(model)
            ins, outs = facts.get("price_in_per_mtok"), facts.get("price_out_per_mtok")
            self._prices[model] = None if facts.get("local") or ins is None or outs is None else \
                (ins / 1e6, outs / 1e6)
        return self._prices[model]

    def cached(self, model: Model, request: Request, c: Counters) -> tuple[str, Response | None]:
        """The cache key and the stored response (None: ask the model). Raises for a stored permanent failure."""
        key = cache_key(model.info, request)
        cached = self.store.get_response(key)
        if cached is not None:
            c.cache_hits += 1
            return key, cached
        failure = None if self.retry_errors else self.store.get_failure(key)
        if failure is not None:  # a permanent failure is not asked again on every run
            raise ModelCallError(f"{failure} (stored permanent failure, not asked again; --retry-errors asks again)",
                                 retryable=False)
        return key, None

    def commit(self, model: Model, key: str, request: Request, response: Response, c: Counters) -> None:
        """Store a fresh response at once (a killed run keeps it) and count it."""
        self.store.put_response(key, model.info.name, model.info, request, response)
        c.model_calls += 1
        c.tokens += response.input_tokens + response.output_tokens
        price = self._price(model.info.name)
        if price is not None:
            c.cost += response.input_tokens * price[0] + response.output_tokens * price[1]

    def fail(self, model: Model, key: str, error: ModelCallError) -> None:
        if not error.retryable:
            self.store.put_failure(key, model.info.name, str(error)[:500])

    async def respond(self, model: Model, request: Request, c: Counters) -> tuple[str, Response]:
        key, cached = self.cached(model, request, c)
        if cached is not None:
            return key, cached
        call = model.loglikelihood if request.kind == "loglikelihood" else model.generate
        try:
            response = await call(request)
        except ModelCallError as e:
            self.fail(model, key, e)
            raise
        self.commit(model, key, request, response, c)
        return key, response

    # progress ---------------------------------------------------------------------------------------
    def open_bar(self, model: Model, task: TaskSpec, total: int) -> Bar:
        bar = self.progress.add_task(f"{model.info.name} · {task.name}", total=total, rate="", tokens=0, calls=0,
                                     hits=0, errors=0)
        return Bar(bar, time.perf_counter())

    def close_bar(self, bar: Bar, model: Model, task: TaskSpec, c: Counters) -> None:
        if bar.skipped:
            c.messages.append(f"{task.name}: {len(bar.skipped)} items longer than the context window of "
                              f"{model.info.name} skipped (raise --n-ctx if the model allows it)")

    def advance(self, bar: Bar, model: Model, task: TaskSpec, c: Counters) -> None:
        bar.done += 1
        elapsed = max(time.perf_counter() - bar.started, 1e-9)
        notes = []
        note = getattr(model, "progress_note", None)  # e.g. a vLLM model's items per replica
        if note is not None:
            notes.append(note())
        limiter = getattr(model, "limiter", None)  # an API model's adaptive concurrency (shared per endpoint)
        if limiter is not None:
            snap = limiter.snapshot()
            notes.append(f"conc {snap.in_flight}/{snap.limit}" + (f" · 429×{snap.throttled}" if snap.throttled else ""))
        if c.cost:
            notes.append(f"${c.cost:.4f}")
        if notes:
            self.progress.update(bar.id, description=" · ".join([model.info.name, task.name, *notes]))
        self.progress.update(bar.id, completed=bar.done, rate=f"{bar.done / elapsed:.2f} it/s", tokens=c.tokens,
                             calls=c.model_calls, hits=c.cache_hits, errors=c.errors, refresh=True)

    # one task ---------------------------------------------------------------------------------------
    async def run_task(self, model: Model, task: TaskSpec, method: str, samples: list[Sample], pool: list[Sample],
                       run_id: int, c: Counters, bar: Bar | None = None) -> dict[str, float]:
        """Ask and score every sample; returns the headline value of each sample scored (the others failed or
        did not fit). `bar`: a progress line opened by the caller (rounds of --precision), else one of its own."""
        scorer = get_scorer(task.scorer)
        metric = scorer.headline(method, task.metric)
        sem = asyncio.Semaphore(max(1, min(self.concurrency, model.max_concurrency)))
        thash = task_hash(task)
        scored: dict[str, float] = {}
        own_bar = bar is None
        bar = bar or self.open_bar(model, task, len(samples))

        async def record(sample: Sample, pairs: list[tuple[str, Response]] | None) -> None:
            if pairs is None:
                c.skipped += 1
                bar.skipped.append(sample.id)
            else:
                score = await self._score(scorer, task, method, sample, [r for _, r in pairs])
                self.store.put_score(run_id, model.info.name, task, method, thash, sample.id, sample.target,
                                     score, [k for k, _ in pairs], scorer=scorer.name, metric=metric)
                scored[sample.id] = float(score.value)

        async def asked(sample: Sample) -> list[tuple[str, Response]] | None:
            async with sem:  # one sample at a time per slot: its choices share a prompt prefix
                return await self._ask(model, task, method, sample, pool, c)

        async def one(sample: Sample, get: Callable[[], Awaitable[list[tuple[str, Response]] | None]] | None = None):
            """Score one sample: its responses from `get` (the batched path), else asked here."""
            try:
                await record(sample, await (get() if get is not None else asked(sample)))
            except GapbenchError:
                raise
            except Exception as e:  # one bad item never aborts the run: record it (retried next run if retryable)
                c.errors += 1
                message = f"{type(e).__name__}: {e}"[:500]
                c.messages.append(f"{task.name}/{sample.id}: {message}")
                retryable = not isinstance(e, ModelCallError) or e.retryable
                c.truncated += TRUNCATED in message
                self.store.put_error(run_id, model.info.name, task.name, method, sample.id, message, retryable)
            self.advance(bar, model, task, c)

        if getattr(model, "batch", 1) > 1 and hasattr(model, "generate_many"):  # a local model with --batch K
            await run_batched(self, model, task, method, samples, pool, c, one)
        else:
            await asyncio.gather(*(one(s) for s in samples))
        if own_bar:
            self.close_bar(bar, model, task, c)
        return scored


def task_result(store: Store, model: str, task: TaskSpec, method: str, scored: Iterable[str], errors: int,
                truncated: int = 0) -> Result:
    """The result of this run's samples, from the store (with the scorer's declared metrics)."""
    scored = set(scored)
    rows = [r for r in store.scores(model=model, task=task.name, method=method) if r.sample_id in scored]
    if rows:
        return summarise(rows, errors=errors, truncated=truncated)
    metric = get_scorer(task.scorer).headline(method, task.metric)
    return Result(model=model, task=task.name, language=task.language, capability=task.capability, method=method,
                  metric=metric, n=0, score=None, ci_low=None, ci_high=None, errors=errors, truncated=truncated)


def finish(store: Store, run_id: int, model: Model, c: Counters) -> None:
    counts = getattr(model, "replica_counts", None)  # where several servers answered, how many each
    store.finish_run(run_id, c.model_calls, c.cache_hits, c.errors,
                     {"replica_counts": counts()} if counts is not None else None)


async def gather_all(coros: Iterable[Awaitable[Any]]) -> list[Any]:
    """Run together; the first failure cancels the others and is raised as itself (not an ExceptionGroup)."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coros]
    except BaseExceptionGroup as failures:
        first: BaseException = failures
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [t.result() for t in tasks]


class ModelTurns:
    """In-process models (llama.cpp) share the machine's cores: they run one at a time; API models at once."""

    def __init__(self):
        self._lock = asyncio.Lock()

    def __call__(self, model: Model):
        return self._lock if getattr(model, "in_process", False) else contextlib.nullcontext()
