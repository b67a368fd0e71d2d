"""One task on a local model with `--batch K > 1`: several items decoded together (gapbench.models.llamacpp_batch).

The cache works as in the serial path (a batched answer answers the same request, under the same key): stored
items are scored at once, the rest go to the model in chunks of a few times K.
- generate: greedy single-turn requests without native tools; each answer is stored and its item scored the
  moment its sequence finishes (continuous batching), so a killed run loses only the sequences in flight;
- loglikelihood: a chunk of questions at a time, sorted by prompt so the questions of one subject (one few-shot
  block) are neighbours and share it; a chunk's answers are stored when it returns;
- everything else (sampled answers, conversations, native tool calls, items that may not fit the context
  window) takes the serial path.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from gapbench.errors import ModelCallError
from gapbench.models.base import Model
from gapbench.tasks.spec import TaskSpec
from gapbench.types import Request, Response, Sample

CHUNK_PER_SEQUENCE = 4  # generate: requests handed to the engine per call, per sequence decoded at once
LOGLIKELIHOOD_CHUNK = 16  # questions per loglikelihood call

Pairs = list[tuple[str, Response]]
Entry = tuple[str, Request, Response | None]  # cache key, request, stored response (None: to ask)
One = Callable[..., Awaitable[None]]  # the runner's `one(sample, get=None)`: score an item (or record its error)


def given(pairs: Pairs | None = None, error: Exception | None = None) -> Callable[[], Awaitable[Pairs | None]]:
    async def get() -> Pairs | None:
        if error is not None:
            raise error
        return pairs

    return get


async def run_batched(runner, model: Model, task: TaskSpec, method: str, samples: list[Sample],
                      pool: list[Sample], c, one: One) -> None:
    serial: list[Sample] = []
    todo: list[tuple[Sample, list[Request]]] = []
    for sample in samples:
        requests = runner.requests(model, task, method, sample, pool)
        if method == "loglikelihood":
            batchable = all(r.kind == "loglikelihood" for r in requests)
        else:
            r = requests[0]
            batchable = (len(requests) == 1 and r.kind == "generate" and r.temperature == 0 and not r.tools
                         and not sample.metadata.get("_turns") and await model.fits(r))
        (todo.append((sample, requests)) if batchable else serial.append(sample))

    scoring: list[asyncio.Task] = []
    pending: list[tuple[Sample, list[Entry]]] = []  # samples with requests still to ask
    for sample, requests in todo:
        try:
            entries = [(*runner.cached(model, request, c), request) for request in requests]
        except ModelCallError as e:  # a stored permanent failure
            scoring.append(asyncio.ensure_future(one(sample, given(error=e))))
            continue
        entries = [(key, request, have) for key, have, request in entries]
        if any(have is None for _, _, have in entries):
            pending.append((sample, entries))
        else:
            scoring.append(asyncio.ensure_future(one(sample, given([(key, have) for key, _, have in entries]))))
    if method == "loglikelihood":
        await _loglikelihood(runner, model, pending, c, one, scoring)
    else:
        await _generate(runner, model, pending, c, one, scoring)
    await asyncio.gather(*scoring, *(one(s) for s in serial))


async def _generate(runner, model: Model, pending: list, c, one: One, scoring: list[asyncio.Task]) -> None:
    chunk = CHUNK_PER_SEQUENCE * model.batch
    for start in range(0, len(pending), chunk):
        part = pending[start : start + chunk]

        def on_response(i: int, result: Response | Exception, part=part) -> None:
            sample, [(key, request, _)] = part[i]
            if isinstance(result, Response):
                runner.commit(model, key, request, result, c)  # stored before anything else can fail
                scoring.append(asyncio.ensure_future(one(sample, given([(key, result)]))))
            else:
                if isinstance(result, ModelCallError):
                    runner.fail(model, key, result)
                scoring.append(asyncio.ensure_future(one(sample, given(error=result))))

        await model.generate_many([request for _, [(_, request, _)] in part], on_response)


async def _loglikelihood(runner, model: Model, pending: list, c, one: One, scoring: list[asyncio.Task]) -> None:
    pending = sorted(pending, key=lambda p: (p[1][0][1].prompt, p[0].id))  # a subject's few-shot block together
    for start in range(0, len(pending), LOGLIKELIHOOD_CHUNK):
        part = pending[start : start + LOGLIKELIHOOD_CHUNK]
        asked = [(j, k) for j, (_, entries) in enumerate(part) for k, (_, _, have) in enumerate(entries) if have is None]
        results = await model.loglikelihood_many([part[j][1][k][1] for j, k in asked])
        got: dict[tuple[int, int], Response | Exception] = dict(zip(asked, results))
        for j, (sample, entries) in enumerate(part):
            pairs, error = [], None
            for k, (key, request, have) in enumerate(entries):
                result = have if have is not None else got[(j, k)]
                if isinstance(result, Response):
                    if have is None:
                        runner.commit(model, key, request, result, c)
                    pairs.append((key, result))
                else:
                    if isinstance(result, ModelCallError):
                        runner.fail(model, key, result)
                    error = error or result
            scoring.append(asyncio.ensure_future(one(sample, given(pairs if error is None else None, error))))
