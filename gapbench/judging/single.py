"""Single-answer grading: a judge model rates the answers already in the store.

The judged scores are stored as the task `<task>@<judge id>` (same models, items, language and capability),
so `results`, `compare`, `claims` and the report read them like any score, and scores of two judges are
never mixed. An answer the judge cannot be read on is asked again (a bounded number of times, at another
seed and temperature 0.7, noted in the score), then recorded as an error: never a 0 or a −1.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gapbench.errors import GapbenchError
from gapbench.judging.recipes import Ask, Item, Recipe, recipe_for
from gapbench.models.base import Model
from gapbench.runner.run import Counters, Runner
from gapbench.store.rows import ScoreRow
from gapbench.tasks.spec import TaskSpec
from gapbench.types import GREEDY_SEED, Request, Sample, Score

RETRY_TEMPERATURE = 0.7  # a judgment that cannot be read is asked again at another seed, sampled
UNPARSEABLE = "unparseable judgment"


@dataclass(frozen=True)
class Judge:
    """A judge's identity: every judged score carries it, and the judged task's name is built from it."""

    model: str
    prompt_version: str
    temperature: float = 0.0
    max_tokens: int = 1024
    attempts: int = 3

    @property
    def id(self) -> str:
        slug = self.model.replace("/", "_")
        return f"{slug}.{self.prompt_version}" + (f".t{self.temperature:g}" if self.temperature else "")

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "prompt_version": self.prompt_version, "temperature": self.temperature,
                "max_tokens": self.max_tokens, "id": self.id}


def judge_for(model: str, task: str, temperature: float = 0.0, max_tokens: int = 1024, attempts: int = 3) -> Judge:
    return Judge(model, recipe_for(task).prompt_version, temperature, max_tokens, attempts)


def judged_name(task: str, judge: Judge) -> str:
    return f"{task}@{judge.id}"


async def ask_judge(runner: Runner, judge_model: Model, judge: Judge, ask: Ask, c: Counters,
                    seed_offset: int = 0) -> tuple[Any, list[str], int, str]:
    """(parsed value or None, cache keys of every attempt, attempts made, last text)."""
    keys, text = [], ""
    for attempt in range(max(1, judge.attempts)):
        temperature = judge.temperature if attempt == 0 else RETRY_TEMPERATURE
        request = Request(kind="generate", messages=tuple(ask.messages), max_tokens=judge.max_tokens,
                          temperature=temperature, seed=GREEDY_SEED + seed_offset + attempt)
        key, response = await runner.respond(judge_model, request, c)
        keys.append(key)
        text = response.text or response.reasoning
        value = ask.parse(text)
        if value is not None:
            return value, keys, attempt + 1, text
    return None, keys, max(1, judge.attempts), text


def make_item(sample: Sample, answers: list[str], answers_b: list[str] | None = None) -> Item:
    meta = sample.metadata
    turns = list(meta.get("_turns") or [sample.input])
    reference = meta.get("reference")
    reference = [str(r) for r in reference] if isinstance(reference, list) else ([str(reference)] if reference else [])
    return Item(sample_id=sample.id, category=str(meta.get("category", "")), turns=turns, answers=answers,
                reference=reference, subcategory=str(meta.get("subcategory", "")), answers_b=answers_b or [])


def stored_answers(runner: Runner, row: ScoreRow) -> list[str]:
    found = runner.store.responses(row.cache_keys)
    missing = [k for k in row.cache_keys if k not in found]
    if missing:
        raise GapbenchError(f"{row.model} {row.task}/{row.sample_id}: answer {missing[0][:12]}… not in the store")
    return [found[k].text for k in row.cache_keys]


async def judge_model_answers(runner: Runner, judge_model: Model, judge: Judge, task: TaskSpec, model: str,
                              samples: dict[str, Sample], data_dir: Path, c: Counters) -> dict[str, int]:
    """Judge every stored answer of `model` to `task`; returns {"judged", "unparseable", "errors"}."""
    recipe = recipe_for(task.name)
    rows = [r for r in runner.store.scores(model=model, task=task.name) if r.sample_id in samples]
    name = judged_name(task.name, judge)
    judged_task = task.model_copy(update={"name": name})
    thash = hashlib.sha256(json.dumps(judge.to_json(), sort_keys=True).encode()).hexdigest()[:16]
    run_id = runner.store.start_run(model, name, "generate", {
        "judge": judge.to_json(), "judged_task": task.name, "recipe": recipe.task, "n_answers": len(rows)})
    before = Counters(c.model_calls, c.cache_hits, c.errors)
    counts = {"judged": 0, "unparseable": 0, "errors": 0}
    sem = asyncio.Semaphore(max(1, min(runner.concurrency, judge_model.max_concurrency)))

    async def one(row: ScoreRow) -> None:
        try:
            async with sem:
                score = await _judge_one(runner, judge_model, judge, recipe, row, samples[row.sample_id], data_dir, c)
        except Exception as e:  # a failed call is an error for this item, never a score
            c.errors += 1
            counts["errors"] += 1
            runner.store.put_error(run_id, model, name, "generate", row.sample_id, f"{type(e).__name__}: {e}"[:500],
                                   not isinstance(e, GapbenchError))
            return
        if isinstance(score, str):
            c.errors += 1
            counts["unparseable"] += 1
            runner.store.put_error(run_id, model, name, "generate", row.sample_id, score, retryable=False)
            return
        metric = "rating" if "rating" in score.values else next(iter(score.values))
        runner.store.put_score(run_id, model, judged_task, "generate", thash, row.sample_id, row.target or "", score,
                               score.details.pop("_keys"), scorer=recipe.scorer, metric=metric)
        counts["judged"] += 1

    await asyncio.gather(*(one(r) for r in rows))
    runner.store.finish_run(run_id, c.model_calls - before.model_calls, c.cache_hits - before.cache_hits,
                            c.errors - before.errors)
    return counts


async def _judge_one(runner: Runner, judge_model: Model, judge: Judge, recipe: Recipe, row: ScoreRow,
                     sample: Sample, data_dir: Path, c: Counters, seed_offset: int = 0) -> Score | str:
    """The judged score of one stored answer, or the reason it could not be read."""
    item = make_item(sample, stored_answers(runner, row))
    parsed, keys, attempts = {}, [], {}
    for ask in recipe.single(item, data_dir):
        value, ask_keys, n, text = await ask_judge(runner, judge_model, judge, ask, c, seed_offset)
        keys += ask_keys
        if value is None:
            tail = " ".join(text.split())[-160:]
            return f"{UNPARSEABLE} ({ask.label}) after {n} attempts: …{tail}"
        parsed[ask.label], attempts[ask.label] = value, n
    values, details = recipe.combine(item, parsed)
    if recipe.scorer == "judge_refusal":
        details["subset"] = row.target  # the subset (safe/unsafe, censored/uncensored) is the sample's target
    details.update(judge=judge.to_json(), attempts=attempts, answer_keys=list(row.cache_keys), _keys=keys)
    if any(n > 1 for n in attempts.values()):
        details["note"] = f"re-asked at temperature {RETRY_TEMPERATURE} after an unreadable judgment"
    headline = next(iter(values)) if "rating" not in values else "rating"
    extracted = details.get("verdict") or f"{values[headline]:g}"
    return Score(value=values[headline], values=values, extracted=extracted, details=details)
