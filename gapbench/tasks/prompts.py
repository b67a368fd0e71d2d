"""Turn Samples into Requests: the same prompt for every model, so comparisons are fair."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gapbench.errors import GapbenchError
from gapbench.types import GREEDY_SEED, LETTERS
from gapbench.tasks.spec import TaskSpec
from gapbench.tasks.template import render
from gapbench.types import Request, Sample


def sample_values(task: TaskSpec, sample: Sample) -> dict[str, Any]:
    values: dict[str, Any] = dict(sample.metadata)
    values.update(question=sample.input, answer=sample.target, id=sample.id)
    lines = []
    for letter, choice in zip(LETTERS, sample.choices):
        values[letter] = choice
        lines.append(render(task.prompt.choice_format, {"letter": letter, "choice": choice}))
    values["choices"] = "\n".join(lines)
    return values


def _render(task: TaskSpec, template: str, values: dict[str, Any], what: str) -> str:
    try:
        return render(template, values)
    except KeyError as e:
        raise GapbenchError(f"task {task.name}: prompt.{what} uses unknown field {{{e.args[0]}}}") from None


def fewshot_for(task: TaskSpec, sample: Sample, pool: list[Sample]) -> list[Sample]:
    if task.fewshot is None or task.fewshot.k == 0:
        return []
    key = task.fewshot.match
    chosen = [
        s for s in pool
        if s.input != sample.input and (key is None or s.metadata.get(key) == sample.metadata.get(key))
    ]
    return chosen[: task.fewshot.k]


def _shot_answer(task: TaskSpec, shot: Sample) -> str:
    values = sample_values(task, shot)
    if task.fewshot and task.fewshot.solution:
        values["solution"] = _render(task, task.fewshot.solution, values, "fewshot.solution")
    return _render(task, task.prompt.fewshot_answer, values, "fewshot_answer")


def _turns(task: TaskSpec, sample: Sample, shots: list[Sample]) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    for shot in shots:
        turns.append(("user", _render(task, task.prompt.template, sample_values(task, shot), "template").strip()))
        turns.append(("assistant", _shot_answer(task, shot)))
    turns.append(("user", _render(task, task.prompt.template, sample_values(task, sample), "template").strip()))
    if task.prompt.instruction:
        instruction = _render(task, task.prompt.instruction, sample_values(task, sample), "instruction").strip()
        turns[0] = ("user", f"{instruction}\n\n{turns[0][1]}")
    return turns


def plain_prompt(task: TaskSpec, sample: Sample, shots: list[Sample]) -> str:
    """The prompt as one plain text: few-shot blocks, then the question ending in its answer cue."""
    out: list[str] = [task.prompt.system] if task.prompt.system else []
    turns = _turns(task, sample, shots)
    for i in range(0, len(turns) - 1, 2):
        out.append(f"{turns[i][1]} {turns[i + 1][1]}".rstrip() if turns[i][1].endswith((":", "：")) else f"{turns[i][1]}\n{turns[i + 1][1]}")
    out.append(turns[-1][1])
    return "\n\n".join(out)


def generate_request(task: TaskSpec, sample: Sample, shots: list[Sample], chat: bool,
                     seed: int = GREEDY_SEED) -> Request:
    """The request of a sample's first turn. Greedy tasks (temperature 0) always carry GREEDY_SEED, so their
    cache keys do not depend on --seed; sampled tasks carry the run's seed."""
    gen = task.generation
    temperature = gen.temperature
    if gen.temperature_by is not None:
        temperature = gen.temperature_by.values.get(str(sample.metadata.get(gen.temperature_by.field)), temperature)
    sampling = {"max_tokens": gen.max_tokens, "temperature": temperature,
                "seed": seed if temperature > 0 else GREEDY_SEED}
    if chat:
        messages = ([("system", task.prompt.system)] if task.prompt.system else []) + _turns(task, sample, shots)
        return Request(kind="generate", messages=tuple(messages), stop=tuple(gen.stop), **sampling)
    return Request(kind="generate", prompt=plain_prompt(task, sample, shots), stop=tuple(gen.stop) or ("\n\n",),
                   **sampling)


def loglikelihood_requests(task: TaskSpec, sample: Sample, shots: list[Sample]) -> list[Request]:
    """One request per choice: log P(continuation | context)."""
    if not sample.choices:
        raise GapbenchError(f"task {task.name}: method loglikelihood needs choices (sample {sample.id})")
    prompt = plain_prompt(task, sample, shots)
    values = sample_values(task, sample)
    requests = []
    for letter, choice in zip(LETTERS, sample.choices):
        v = {**values, "prompt": prompt, "letter": letter, "choice": choice}
        context = _render(task, task.prompt.ll_context, v, "ll_context")
        continuation = _render(task, task.prompt.ll_continuation, v, "ll_continuation")
        requests.append(Request(kind="loglikelihood", prompt=context, continuation=continuation, max_tokens=1))
    return requests


def next_turn_request(task: TaskSpec, first: Request, turns: list[str], answers: list[str]) -> Request:
    """Multi-turn chat (MT-Bench): the first request, the model's own earlier answers, then the next user turn."""
    messages = list(first.messages)
    prompt = first.prompt
    for turn, answer in zip(turns[1:], answers):
        messages += [("assistant", answer), ("user", turn)]
        prompt = f"{prompt}\n{answer}\n\n{turn}"
    if first.messages:
        return replace(first, messages=tuple(messages))
    # plain completion: the default stop at a blank line would cut every answer after its first paragraph
    return replace(first, prompt=prompt, stop=tuple(task.generation.stop))
