"""Which pairs of stored answers the arena can show, and which one to show next.

A pair is one prompt (task, sample id) and the stored answers of two different models to it, every turn of a
multi-turn conversation included (a chat task's score rows keep one answer cache key per turn). The pool is built
from the store's score rows: by default the chat tasks (capability "chat"), never judged tasks (`<task>@<judge>`,
whose keys are a judge's words). A pair is shown only when both models were asked the same user turns.

Votes are spread: the next pair for a voter is one the voter has not voted on, with the fewest votes from anyone,
then from the model pair with the fewest votes, ties broken at random; pairs already open for the voter in another
tab come last.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Iterable

from gapbench.errors import GapbenchError
from gapbench.store.db import Store
from gapbench.store.rows import StoredResponse

PairKey = tuple[str, str, str, str]  # (task, sample_id, model_a, model_b), models in name order


@dataclass(frozen=True)
class Pair:
    task: str
    sample_id: str
    language: str
    model_a: str
    model_b: str
    keys_a: tuple[str, ...]
    keys_b: tuple[str, ...]

    @property
    def key(self) -> PairKey:
        return (self.task, self.sample_id, self.model_a, self.model_b)


@dataclass(frozen=True)
class Conversation:
    """What the page shows: the user turns (and a system prompt, if any) and both models' answer to each turn."""

    system: str
    turns: tuple[str, ...]
    answers_a: tuple[str, ...]
    answers_b: tuple[str, ...]


@dataclass(frozen=True)
class Pool:
    pairs: tuple[Pair, ...]
    tasks: tuple[str, ...]
    languages: tuple[str, ...]
    models: tuple[str, ...]
    prompts: int


def _split(values: str | Iterable[str] | None) -> list[str] | None:
    if values is None:
        return None
    items = values.split(",") if isinstance(values, str) else list(values)
    return [v.strip() for v in items if v.strip()] or None


def build_pool(store: Store, tasks=None, languages=None, models=None) -> Pool:
    """Every pair the filters allow. Input mistakes raise GapbenchError naming the flag."""
    tasks, languages, models = _split(tasks), _split(languages), _split(models)
    rows = [r for r in store.scores(method="generate") if "@" not in r.task and r.cache_keys]
    stored_tasks = {r.task for r in rows}
    if tasks:
        for t in tasks:
            if t not in stored_tasks:
                known = ", ".join(sorted(stored_tasks)) or "none"
                raise GapbenchError(f"--task {t}: no generated answers of this task in the store (tasks there: {known})")
        rows = [r for r in rows if r.task in tasks]
    else:
        rows = [r for r in rows if r.capability == "chat"]
        if not rows:
            raise GapbenchError("--task: the store holds no chat answers (capability chat, e.g. mt_bench, alignbench); "
                                "name the tasks to show with --task")
    if languages:
        have = {r.language for r in rows}
        for lang in languages:
            if lang not in have:
                raise GapbenchError(f"--language {lang}: no answers in this language (languages: {', '.join(sorted(have))})")
        rows = [r for r in rows if r.language in languages]
    if models:
        if len(set(models)) < 2:
            raise GapbenchError("--model: name at least two models to compare")
        have = {r.model for r in rows}
        for m in models:
            if m not in have:
                raise GapbenchError(f"--model {m}: no answers of this model to these tasks (models: {', '.join(sorted(have))})")
        rows = [r for r in rows if r.model in models]
    by_prompt: dict[tuple[str, str], dict] = defaultdict(dict)
    for r in rows:
        by_prompt[(r.task, r.sample_id)][r.model] = r
    pairs = []
    for (task, sid), answers in sorted(by_prompt.items()):
        for a, b in combinations(sorted(answers), 2):
            ra, rb = answers[a], answers[b]
            if len(ra.cache_keys) == len(rb.cache_keys):  # the same number of turns
                pairs.append(Pair(task, sid, ra.language, a, b, ra.cache_keys, rb.cache_keys))
    if not pairs:
        raise GapbenchError("--model: no prompt of these tasks was answered by two models in the store")
    return Pool(pairs=tuple(pairs), tasks=tuple(sorted({p.task for p in pairs})),
                languages=tuple(sorted({p.language for p in pairs})),
                models=tuple(sorted({p.model_a for p in pairs} | {p.model_b for p in pairs})),
                prompts=len({(p.task, p.sample_id) for p in pairs}))


def _user_turn(request: dict) -> tuple[str, str]:
    """(system prompt, the user turn this request asked): the last user message, or a plain prompt."""
    messages = request.get("messages") or []
    if not messages:
        return "", str(request.get("prompt", ""))
    system = next((m[1] for m in messages if m[0] == "system"), "")
    users = [m[1] for m in messages if m[0] == "user"]
    return system, users[-1] if users else ""


def conversation(responses: dict[str, StoredResponse], keys_a: tuple[str, ...],
                 keys_b: tuple[str, ...]) -> Conversation | None:
    """Both sides of a pair from the stored responses; None when an answer is missing or the turns differ."""
    if any(k not in responses for k in keys_a + keys_b):
        return None
    side_a = [_user_turn(responses[k].request) for k in keys_a]
    side_b = [_user_turn(responses[k].request) for k in keys_b]
    if side_a != side_b:  # the two models were not asked the same thing: not a fair pair
        return None
    return Conversation(system=side_a[0][0] if side_a else "", turns=tuple(t for _, t in side_a),
                        answers_a=tuple(responses[k].text for k in keys_a),
                        answers_b=tuple(responses[k].text for k in keys_b))


class PairChooser:
    """Picks the next pair for a voter (see the module's docstring); pairs that cannot be shown are dropped."""

    def __init__(self, pool: Pool, seed: int | None = None):
        self.pairs = list(pool.pairs)
        self.rng = random.Random(seed)

    def candidates(self, voted: set[PairKey], task: str | None = None, language: str | None = None) -> list[Pair]:
        return [p for p in self.pairs if p.key not in voted and (not task or p.task == task)
                and (not language or p.language == language)]

    def choose(self, counts: dict[PairKey, int], voted: set[PairKey], open_keys: set[PairKey],
               task: str | None = None, language: str | None = None) -> Pair | None:
        left = self.candidates(voted, task, language)
        if not left:
            return None
        by_models: Counter = Counter()
        for (_, _, a, b), n in counts.items():
            by_models[(a, b)] += n
        return min(left, key=lambda p: (p.key in open_keys, counts.get(p.key, 0),
                                        by_models[(p.model_a, p.model_b)], self.rng.random()))

    def drop(self, pair: Pair) -> None:
        """A pair whose answers are missing or whose prompts differ is not shown again."""
        self.pairs = [p for p in self.pairs if p.key != pair.key]
