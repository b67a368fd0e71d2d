"""The leaderboard: Bradley–Terry ratings from the store's pairwise outcomes, kept apart by source.

Sources: people's votes in the arena ("human") and each judge's pairwise verdicts ("judge:<judge id>", from
`gapbench judge --pairwise`, one verdict per turn). Each source gets its own ratings, on all prompts, per language and
per task; `pooled` fits one set on several sources together and says so in its label. A vote of "both bad" counts
as a tie. Where two sources gave verdicts on the same pair (same prompt, same two models), their agreement and
Cohen's κ are reported; a judge's verdict on a prompt is the mean of its turn verdicts (1, ½, 0: above ½ is a, below
is b, else tie), and two people who voted on the same pair are compared too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations

from gapbench.errors import GapbenchError
from gapbench.gap.bradley_terry import Battle, bradley_terry, style_difference, style_features
from gapbench.judging.agreement import cohen_kappa
from gapbench.schema.leaderboard import Board, Leaderboard, Rating, SourceAgreement, StyleCoefficient
from gapbench.store.db import Store
from gapbench.store.votes import Votes

SOURCES = ("both", "human", "judge", "pooled")
SCOPES = ("all", "language", "task")
POINTS = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}
FLIP = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}
METHOD = ("Bradley-Terry by maximum likelihood (ties and 'both bad' = half a win each), Elo scale 400/ln 10 anchored "
          "on the named model; 95% intervals: symmetric bootstrap over prompts; sources never mixed unless pooled")


@dataclass(frozen=True)
class Outcome:
    """One verdict of one source on one pair, the two models in name order."""

    source: str
    task: str
    sample_id: str
    language: str
    model_a: str
    model_b: str
    verdict: str  # a, b, tie, both_bad
    keys_a: tuple[str, ...]
    keys_b: tuple[str, ...]
    rater: str = ""  # the voter (human) or the turn (judge)

    @property
    def pair(self) -> tuple[str, str, str, str]:
        return (self.task, self.sample_id, self.model_a, self.model_b)


def human_outcomes(store: Store) -> list[Outcome]:
    return [Outcome("human", v.task, v.sample_id, v.language, v.model_a, v.model_b, v.verdict, v.keys_a, v.keys_b,
                    v.voter) for v in Votes(store).all()]


def judge_outcomes(store: Store) -> list[Outcome]:
    keys = {(r.model, r.task, r.sample_id): r.cache_keys for r in store.scores(method="generate") if "@" not in r.task}
    out = []
    for v in store.verdicts():
        a, b, verdict = v.model_a, v.model_b, v.verdict
        if a > b:
            a, b, verdict = b, a, FLIP[verdict]
        out.append(Outcome(f"judge:{v.judge}", v.task, v.sample_id, v.language, a, b, verdict,
                           keys.get((a, v.task, v.sample_id), ()), keys.get((b, v.task, v.sample_id), ()), v.turn))
    return out


def scope_label(scope: str, name: str) -> str:
    """'all prompts', 'language zh', 'task mt_bench'."""
    return "all prompts" if scope == "all" else f"{scope} {name}"


def _split(values) -> list[str] | None:
    if values is None:
        return None
    items = values.split(",") if isinstance(values, str) else list(values)
    return [v.strip() for v in items if v.strip()] or None


def collect(store: Store, source: str = "both", judges=None, tasks=None) -> dict[str, list[Outcome]]:
    """{source label: outcomes}, as --source, --judge and --task ask."""
    if source not in SOURCES:
        raise GapbenchError(f"--source {source}: one of {', '.join(SOURCES)}")
    judges, tasks = _split(judges), _split(tasks)
    human = human_outcomes(store) if source in ("both", "human", "pooled") else []
    judged = judge_outcomes(store) if source in ("both", "judge", "pooled") else []
    if judges:
        have = {o.source[len("judge:"):] for o in judged}
        for j in judges:
            if j not in have:
                raise GapbenchError(f"--judge {j}: no pairwise verdicts of this judge in the store "
                                    f"(judges there: {', '.join(sorted(have)) or 'none'})")
        judged = [o for o in judged if o.source[len("judge:"):] in judges]
    outcomes = human + judged
    if tasks:
        have = {o.task for o in outcomes}
        for t in tasks:
            if t not in have:
                raise GapbenchError(f"--task {t}: no votes or verdicts on this task (tasks there: {', '.join(sorted(have)) or 'none'})")
        outcomes = [o for o in outcomes if o.task in tasks]
    if not outcomes:
        what = {"human": "no arena votes (`gapbench arena` collects them)",
                "judge": "no pairwise judge verdicts (`gapbench judge --pairwise`)"}.get(
            source, "no arena votes and no pairwise judge verdicts (`gapbench arena`, `gapbench judge --pairwise`)")
        raise GapbenchError(f"--source {source}: the store holds {what}")
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by[o.source].append(o)
    return dict(sorted(by.items(), key=lambda kv: (kv[0] != "human", kv[0])))


def _battles(outcomes: list[Outcome], texts: dict[str, str] | None) -> list[Battle]:
    out = []
    for o in outcomes:
        style = ()
        if texts is not None:
            fa = style_features("\n\n".join(texts.get(k, "") for k in o.keys_a))
            fb = style_features("\n\n".join(texts.get(k, "") for k in o.keys_b))
            style = style_difference(fa, fb)
        out.append(Battle(o.model_a, o.model_b, POINTS[o.verdict], f"{o.task}\x1f{o.sample_id}", style))
    return out


def board(label: str, scope: str, name: str, outcomes: list[Outcome], anchor: str, anchor_rating: float,
          texts: dict[str, str] | None, n_boot: int, seed: int) -> Board:
    fit = bradley_terry(_battles(outcomes, texts), anchor, anchor_rating, style=texts is not None, n_boot=n_boot,
                        seed=seed)
    ratings = [Rating(model=m, rating=fit.rating[m], ci_low=fit.ci_low[m], ci_high=fit.ci_high[m],
                      wins=fit.record[m][0], ties=fit.record[m][1], losses=fit.record[m][2], finite=fit.finite[m])
               for m in fit.models]
    style = [StyleCoefficient(feature=f, points=c, ci_low=lo, ci_high=hi) for f, (c, lo, hi) in fit.style.items()]
    return Board(source=label, scope=scope, name=name, anchor=anchor, anchor_rating=anchor_rating,
                 style_control=texts is not None, n_battles=fit.n_battles, n_prompts=fit.n_prompts, n_boot=n_boot,
                 ratings=ratings, style=style, left_out=fit.left_out)


def default_anchor(sources: dict[str, list[Outcome]]) -> str:
    """The model in most battles over every chosen source (ties: by name)."""
    counts = Counter(m for outs in sources.values() for o in outs for m in (o.model_a, o.model_b))
    return min(counts, key=lambda m: (-counts[m], m))


def agreement(sources: dict[str, list[Outcome]]) -> list[SourceAgreement]:
    """Verdicts of two sources (or two people) on the same pairs: a, b or tie."""
    labels: dict[str, dict[tuple, list[tuple[str, str]]]] = {}
    for label, outs in sources.items():
        per_pair: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
        if label == "human":
            for o in outs:
                per_pair[o.pair].append((o.rater, "tie" if o.verdict == "both_bad" else o.verdict))
        else:  # a judge: one verdict per prompt, from its turn verdicts
            turns: dict[tuple, list[float]] = defaultdict(list)
            for o in outs:
                turns[o.pair].append(POINTS[o.verdict])
            for pair, points in turns.items():
                mean = sum(points) / len(points)
                per_pair[pair].append((label, "a" if mean > 0.5 else "b" if mean < 0.5 else "tie"))
        labels[label] = per_pair
    out = []
    names = sorted(labels, key=lambda s: (s != "human", s))
    for s1, s2 in [(s, s) for s in names if s == "human"] + list(combinations(names, 2)):
        x, y = [], []
        for pair in sorted(labels[s1].keys() & labels[s2].keys()):
            for i, (r1, v1) in enumerate(labels[s1][pair]):
                for j, (r2, v2) in enumerate(labels[s2][pair]):
                    if s1 != s2 or (j > i and r1 != r2):  # two people: each pair of different voters once
                        x.append(v1)
                        y.append(v2)
        if not x:
            continue
        decisive = [(a, b) for a, b in zip(x, y) if a != "tie" and b != "tie"]
        out.append(SourceAgreement(
            source_1=s1 if s1 != s2 else "human (one voter)", source_2=s2 if s1 != s2 else "human (another voter)",
            n=len(x), agreement=sum(a == b for a, b in zip(x, y)) / len(x), kappa=cohen_kappa(x, y),
            n_decisive=len(decisive),
            decisive_agreement=sum(a == b for a, b in decisive) / len(decisive) if decisive else None))
    return out


def build_leaderboard(store: Store, source: str = "both", judges=None, tasks=None, scopes=SCOPES,
                      anchor: str | None = None, anchor_rating: float = 1000.0, style: bool = False,
                      n_boot: int = 1000, seed: int = 0) -> Leaderboard:
    scopes = _split(scopes) or ["all"]
    for s in scopes:
        if s not in SCOPES:
            raise GapbenchError(f"--by {s}: one of {', '.join(SCOPES)}")
    sources = collect(store, source, judges, tasks)
    models = {m for outs in sources.values() for o in outs for m in (o.model_a, o.model_b)}
    if anchor is None:
        anchor = default_anchor(sources)
    elif anchor not in models:
        raise GapbenchError(f"--anchor {anchor}: no battle of this model (models: {', '.join(sorted(models))})")
    texts = None
    if style:
        keys = {k for outs in sources.values() for o in outs for k in o.keys_a + o.keys_b}
        texts = {k: r.text for k, r in store.responses(keys).items()}
    boards, notes = [], []
    fitted = {"pooled: " + " + ".join(sources): [o for outs in sources.values() for o in outs]} \
        if source == "pooled" else sources
    for label, outs in fitted.items():
        for scope in scopes:
            groups: dict[str, list[Outcome]] = defaultdict(list)
            for o in outs:
                groups["all" if scope == "all" else o.language if scope == "language" else o.task].append(o)
            for name, group in sorted(groups.items()):
                if not any(anchor in (o.model_a, o.model_b) for o in group):
                    notes.append(f"{label}, {scope} {name}: the anchor {anchor} has no battle here; not rated")
                    continue
                boards.append(board(label, scope, name, group, anchor, anchor_rating, texts, n_boot, seed))
                if boards[-1].left_out:
                    notes.append(f"{label}, {scope} {name}: no chain of battles to {anchor} for "
                                 f"{', '.join(boards[-1].left_out)}; left out")
    if any(not r.finite for b in boards for r in b.ratings):
        notes.append("finite=false: the model won or lost every battle against the anchor's group; its rating is "
                     "held by a weak prior and is only a bound")
    return Leaderboard(method=METHOD + (" ; style control: length, headers, bold, lists" if style else ""),
                       boards=boards, agreement=agreement(sources), notes=notes)
