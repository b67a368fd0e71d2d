"""Scorers declare what they produce: the methods they score and the metrics they report.

A scorer is registered once, with its metrics; each method's scoring function is attached to it:

    exact = define_scorer("exact", metrics=[Metric("accuracy", "normalised answer equals the target")])

    @exact.method("generate")
    def exact_generate(task, sample, responses, config) -> Score:
        return Score(values={"accuracy": 1.0})

Aggregation (gapbench.store.results) and printing read these declarations; nothing recognises a task by
a key in `details` or a pattern in sample ids. Item metrics are means over items (the first one that the
method produces is the default headline; a task file picks another with `metric:`); corpus metrics are
computed over all items at once (corpus BLEU); a breakdown reports the headline per group of items
(refusal rate per subset, retrieval per haystack length).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Literal, Sequence

from gapbench.errors import GapbenchError
from gapbench.types import Response, Sample, Score

if TYPE_CHECKING:
    from gapbench.tasks.spec import TaskSpec


@dataclass(frozen=True)
class ScorerConfig:
    """Settings a scorer needs from the command line, passed in (never a module global)."""

    allow_unsandboxed_code: bool = False


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    methods: tuple[str, ...] = ()  # methods whose items carry it (empty: every method of the scorer)
    kind: Literal["item", "corpus"] = "item"
    scale: str = "0-1"  # what one value means, for readers of --json


@dataclass(frozen=True)
class Breakdown:
    """The headline per group of items; each item's Score.details[key] names its group."""

    key: str
    label: str
    max_groups: int | None = None  # more groups than this (68 topics): no breakdown is shown
    min_groups: int = 1  # fewer groups than this: no breakdown is shown


ScoreFn = Callable[["TaskSpec", Sample, list[Response], ScorerConfig], Score]
CorpusFn = Callable[[Sequence[tuple[str, dict]], str], dict[str, float]]  # ((extracted, details), …), language


@dataclass
class Scorer:
    name: str
    metrics: tuple[Metric, ...]
    breakdown: Breakdown | None = None
    corpus: CorpusFn | None = None  # computes the corpus metrics from (extracted, details) of every item
    blocking: bool = False  # runs in a worker thread beside the model (code in the sandbox)
    description: str = ""
    measures: bool = True  # False: a placeholder (chat answers stored until judged), never a score to compare
    functions: dict[str, ScoreFn] = field(default_factory=dict)

    def method(self, name: str) -> Callable[[ScoreFn], ScoreFn]:
        def deco(fn: ScoreFn) -> ScoreFn:
            self.functions[name] = fn
            return fn

        return deco

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.functions)

    def metrics_for(self, method: str, kind: str | None = None) -> list[Metric]:
        return [m for m in self.metrics if (not m.methods or method in m.methods) and (kind is None or m.kind == kind)]

    def headline(self, method: str, chosen: str | None = None) -> str:
        """The task's chosen item metric, else the first one this method produces."""
        names = [m.name for m in self.metrics_for(method, "item")]
        if chosen is not None:
            if chosen not in names:
                raise GapbenchError(f"field 'metric': scorer '{self.name}' with method '{method}' reports "
                                    f"{', '.join(names)}, not '{chosen}'")
            return chosen
        return names[0]

    def score(self, task: "TaskSpec", method: str, sample: Sample, responses: list[Response],
              config: ScorerConfig) -> Score:
        score = self.functions[method](task, sample, responses, config)
        missing = [m.name for m in self.metrics_for(method, "item") if m.name not in score.values]
        if missing:  # a scorer that breaks its own declaration is a bug: loud in tests
            raise AssertionError(f"scorer {self.name}/{method} returned no value for {', '.join(missing)}")
        score.value = float(score.values[self.headline(method, task.metric)])
        return score


_SCORERS: dict[str, Scorer] = {}


def define_scorer(name: str, metrics: Sequence[Metric], *, breakdown: Breakdown | None = None,
                  corpus: CorpusFn | None = None, blocking: bool = False, description: str = "",
                  measures: bool = True) -> Scorer:
    if not metrics or any(m.kind not in ("item", "corpus") for m in metrics):
        raise ValueError(f"scorer {name}: declare at least one metric, each of kind item or corpus")
    scorer = Scorer(name, tuple(metrics), breakdown, corpus, blocking, description, measures)
    _SCORERS[name] = scorer
    return scorer


def measures(name: str | None) -> bool:
    """Whether scores of this scorer are measurements (False for placeholders; unknown scorers of old stores: True)."""
    found = scorers().get(name or "")
    return found is None or found.measures


def scorers() -> dict[str, Scorer]:
    _load_builtin()
    return dict(_SCORERS)


def get_scorer(name: str) -> Scorer:
    found = scorers().get(name)
    if found is None:
        raise GapbenchError(f"field 'scorer': unknown scorer '{name}' (known: {', '.join(sorted(_SCORERS))})")
    return found


def check_task(task: "TaskSpec") -> None:
    """A task file that cannot run fails when read: unknown scorer, a method the scorer lacks, or a
    headline metric it does not report. Raises GapbenchError naming the field."""
    scorer = get_scorer(task.scorer)
    for method in task.methods:
        if method not in scorer.functions:
            raise GapbenchError(f"field 'methods': scorer '{scorer.name}' does not support '{method}' "
                                f"(it supports {', '.join(scorer.methods)})")
        scorer.headline(method, task.metric)


def _load_builtin() -> None:
    """Import the modules that define the built-in scorers: `scorers.py`, `judged.py` and every
    `gapbench/scoring/scorers_*.py` (a new family of scorers is a new module, no edit here)."""
    import importlib
    import pkgutil

    import gapbench.scoring as package

    import gapbench.scoring.judged  # noqa: F401  (declares the judged scores' metrics)
    import gapbench.scoring.scorers  # noqa: F401  (defines the built-in scorers)

    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("scorers_"):
            importlib.import_module(f"gapbench.scoring.{module.name}")
