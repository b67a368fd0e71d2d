"""Stop a task once its answer is known: `--precision H` over the task's seeded item order.

The runner asks items in the order `seeded_order` fixes (the same order `--limit` takes its prefix from, so a
later run with more budget or a smaller H continues where this one stopped, from the cache), hands each
item's score per model to `PrecisionStop.record`, and asks `next_items` for more until `done`. Items complete
out of order under concurrency; only the contiguous prefix of the order whose every model has answered feeds the
intervals, so the decision to stop depends on the order alone, never on which call finished first.

What is estimated: one model, its mean score; several, the paired difference of every pair (a − b on the
same items). Each gets an anytime-valid confidence sequence (`gapbench.stats.sequential`, the betting CS of
Waudby-Smith & Ramdas 2023, without replacement over the task's N items), so stopping when every half-width is
below H keeps the 95 % promise for the full-run value; the naive fixed-n interval would not. An item a model
failed or could not fit is left out of the population (N shrinks by the failures seen, and the sequences are
rebuilt from the stored prefix): exact when failures do not depend on the item's place in the order, which a
seeded shuffle guarantees.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from typing import Iterable, Sequence

from gapbench.stats.sequential import BettingConfidenceSequence


def seeded_order(sample_ids: Iterable[str], seed: int) -> list[str]:
    """Every id, in the order fixed by sha256(f"{seed}:{id}"): the order `select_samples` cuts `--limit` from."""
    return sorted(sample_ids, key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())


@dataclass(frozen=True)
class PrecisionStatus:
    """Where one estimand stands: a model's mean (`models` of one name) or a paired difference a − b."""

    models: tuple[str, ...]
    n: int  # items in the prefix that fed it
    estimate: float
    low: float
    high: float
    target: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def reached(self) -> bool:
        return self.half_width < self.target

    @property
    def label(self) -> str:
        return " − ".join(self.models)

    def to_json(self) -> dict:
        return {"models": list(self.models), "n": self.n, "estimate": self.estimate, "low": self.low,
                "high": self.high, "half_width": self.half_width, "target": self.target, "reached": self.reached}


class PrecisionStop:
    """Say when a task may stop: every estimand's anytime-valid interval has half-width < `half_width`.

    order: the task's item ids in seeded order (`seeded_order`); models: the names whose scores are recorded;
    lower/upper: the range of one model's item score (0/1 accuracy, chrF: [0, 1]).
    """

    def __init__(self, order: Sequence[str], models: Sequence[str], half_width: float, confidence: float = 0.95,
                 lower: float = 0.0, upper: float = 1.0):
        if not order:
            raise ValueError("no items to order")
        if len(set(order)) != len(order):
            raise ValueError("item ids in the order must be unique")
        if not models or len(set(models)) != len(models):
            raise ValueError("need one or more distinct model names")
        if half_width <= 0:
            raise ValueError(f"--precision must be > 0, got {half_width}")
        self.order, self.models = list(order), list(models)
        self.target, self.confidence = float(half_width), float(confidence)
        self.lower, self.upper = float(lower), float(upper)
        self._position = {sid: i for i, sid in enumerate(self.order)}
        self._scores: dict[str, dict[str, float | None]] = {}
        self._handed = 0  # items handed out by next_items
        self._fed = 0  # items of the order fed (or dropped) so far: the contiguous complete prefix
        self._values: list[dict[str, float]] = []  # scores of the fed, kept items, in order
        self._dropped = 0
        self._estimands = [(m,) for m in self.models] if len(self.models) == 1 else \
            list(itertools.combinations(self.models, 2))
        self._build()

    # sequences -------------------------------------------------------------------------------------
    def _value(self, key: tuple[str, ...], scores: dict[str, float]) -> float:
        return scores[key[0]] if len(key) == 1 else scores[key[0]] - scores[key[1]]

    def _build(self) -> None:
        """Sequences for a population of the items not known to have failed, fed with the kept prefix."""
        span = self.upper - self.lower
        population = len(self.order) - self._dropped
        self._sequences = {}
        for key in self._estimands:
            low, high = (self.lower, self.upper) if len(key) == 1 else (-span, span)
            cs = BettingConfidenceSequence(low, high, self.confidence, population=population,
                                           target_half_width=self.target)
            cs.extend(self._value(key, s) for s in self._values)
            self._sequences[key] = cs

    def _feed(self) -> None:
        rebuild = False
        while self._fed < len(self.order):
            scores = self._scores.get(self.order[self._fed])
            if scores is None or len(scores) < len(self.models):
                break
            self._fed += 1
            if any(v is None for v in scores.values()):
                self._dropped += 1
                rebuild = True
                continue
            self._values.append(scores)  # type: ignore[arg-type]
            if not rebuild:
                for key, cs in self._sequences.items():
                    cs.update(self._value(key, scores))  # type: ignore[arg-type]
        if rebuild:
            self._build()

    # the runner's side -----------------------------------------------------------------------------
    def next_items(self, k: int) -> list[str]:
        """Up to k further ids to ask, in order; none once the target is reached or every item is handed out."""
        if self.reached():
            return []
        out = self.order[self._handed : self._handed + max(0, k)]
        self._handed += len(out)
        return out

    def record(self, sample_id: str, model: str, score: float | None) -> None:
        """A model's score on an item (None: failed or did not fit, the item then leaves the population)."""
        if sample_id not in self._position:
            raise KeyError(f"item {sample_id!r} is not in the order")
        if model not in self.models:
            raise KeyError(f"model {model!r} is not one of {self.models}")
        if score is not None and not self.lower - 1e-9 <= score <= self.upper + 1e-9:
            raise ValueError(f"score {score} of {model} on {sample_id} outside [{self.lower}, {self.upper}]")
        self._scores.setdefault(sample_id, {})[model] = None if score is None else float(score)
        self._feed()

    def reached(self) -> bool:
        """Every estimand's half-width is below the target (with ≥ 1 item fed)."""
        return bool(self._values) and all(s.reached for s in self.statuses())

    @property
    def done(self) -> bool:
        """Nothing more to ask: the target is reached or every item of the order has been fed."""
        return self.reached() or self._fed >= len(self.order)

    @property
    def in_flight(self) -> int:
        """Items handed out but not yet complete for every model."""
        return self._handed - self._fed

    # results ---------------------------------------------------------------------------------------
    def statuses(self) -> list[PrecisionStatus]:
        out = []
        for key, cs in self._sequences.items():
            low, high = cs.interval()
            out.append(PrecisionStatus(key, cs.n, cs.mean() if cs.n else float("nan"), low, high, self.target))
        return out

    def summary(self, calls_per_item: float = 1.0) -> dict:
        """Items used and saved; calls saved = items never asked × models × `calls_per_item` (the choices
        of a loglikelihood question, the turns of a conversation)."""
        asked = self._handed
        saved = len(self.order) - asked
        return {"items_total": len(self.order), "items_used": self._fed - self._dropped, "items_asked": asked,
                "items_dropped": self._dropped, "items_saved": saved,
                "calls_saved": saved * len(self.models) * calls_per_item, "reached": self.reached(),
                "estimands": [s.to_json() for s in self.statuses()]}
