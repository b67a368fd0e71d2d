"""Scorers turn (sample, responses) into a Score. Pure and cheap: re-scoring needs no model call."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Callable

from gapbench.scoring.extract import extract_choice, extract_number, numbers_equal, split_reasoning
from gapbench.tasks.loader import LETTERS
from gapbench.tasks.spec import TaskSpec
from gapbench.types import Response, Sample, Score

Scorer = Callable[[TaskSpec, Sample, list[Response]], Score]
_SCORERS: dict[tuple[str, str], Scorer] = {}


def register_scorer(name: str, method: str):
    def deco(fn: Scorer) -> Scorer:
        _SCORERS[(name, method)] = fn
        return fn

    return deco


def get_scorer(name: str, method: str) -> Scorer:
    try:
        return _SCORERS[(name, method)]
    except KeyError:
        raise KeyError(f"scorer '{name}' does not support method '{method}'") from None


@register_scorer("choice", "generate")
def choice_generate(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    letter = extract_choice(responses[0].text, n_choices=len(sample.choices) or 4)
    return Score(value=float(letter == sample.target), extracted=letter)


@register_scorer("choice", "loglikelihood")
def choice_loglikelihood(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    """Highest total log-probability wins (acc); acc_norm (per character) is kept in details."""
    logprobs = [r.logprob if r.logprob is not None else -math.inf for r in responses]
    best = max(range(len(logprobs)), key=lambda i: logprobs[i])
    lengths = [max(1, len(c)) for c in sample.choices]
    norm = [lp / n for lp, n in zip(logprobs, lengths)]
    best_norm = max(range(len(norm)), key=lambda i: norm[i])
    return Score(
        value=float(LETTERS[best] == sample.target),
        extracted=LETTERS[best],
        details={"logprobs": logprobs, "acc_norm": float(LETTERS[best_norm] == sample.target)},
    )


@register_scorer("numeric", "generate")
def numeric(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    value = extract_number(responses[0].text)
    return Score(value=float(numbers_equal(value, sample.target)), extracted=value)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s\.。!！]+$", "", text)


@register_scorer("exact", "generate")
def exact(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    answer, _ = split_reasoning(responses[0].text)
    return Score(value=float(_normalise(answer) == _normalise(sample.target)), extracted=answer[:200])


@register_scorer("regex", "generate")
def regex(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    answer, _ = split_reasoning(responses[0].text)
    pattern = task.answer_pattern or re.escape(sample.target)
    m = re.search(pattern, answer, re.I)
    return Score(value=float(m is not None), extracted=m.group(0) if m else None)
