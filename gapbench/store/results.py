"""Results (n, mean, 95% interval) recomputed from the scores in the store."""

from __future__ import annotations

import json
import re
from collections import defaultdict

from gapbench.stats.intervals import mean_interval
from gapbench.store.db import Store
from gapbench.types import Result


def results_from_store(store: Store, model: str | None = None, task: str | None = None) -> list[Result]:
    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    for row in store.scores(model=model, task=task):
        groups[(row["model"], row["task"], row["method"])].append(row)
    open_errors: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for e in store.open_errors():
        open_errors[(e["model"], e["task"], e["method"])].add(e["sample_id"])
    results = []
    for (m, t, method), rows in sorted(groups.items()):
        mean, low, high = mean_interval([r["value"] for r in rows])
        results.append(Result(model=m, task=t, language=rows[0]["language"], capability=rows[0]["capability"],
                              n=len(rows), score=mean, ci_low=low, ci_high=high, method=method,
                              errors=len(open_errors[(m, t, method)]), extra=task_extras(rows)))
    return results


def task_extras(rows) -> dict:
    """Figures beside the mean, from the stored per-item details: refusal rate per subset (XSTest safe/unsafe,
    deccp censored/uncensored), corpus BLEU and chrF for translation."""
    details = [json.loads(r["details"] or "{}") for r in rows]
    extras: dict = {}
    if details and all("rules" in d for d in details):  # refusal scorer
        by_target: dict[str, list[float]] = defaultdict(list)
        for r in rows:
            by_target[r["target"]].append(r["value"])
        if 1 < len(by_target) <= 6:  # named subsets (safe/unsafe, censored/uncensored), not 68 topics
            extras["refusal_rate_by_subset"] = {k: {"n": len(v), "rate": sum(v) / len(v)} for k, v in sorted(by_target.items())}
    lengths = [re.match(r"len(\d+)-", r["sample_id"]) for r in rows]
    if rows and all(lengths):  # needle: retrieval per haystack length (models skip the lengths they cannot hold)
        by_len: dict[int, list[float]] = defaultdict(list)
        for m, r in zip(lengths, rows):
            by_len[int(m.group(1))].append(r["value"])
        extras["retrieval_by_length"] = {str(k): {"n": len(v), "rate": sum(v) / len(v)} for k, v in sorted(by_len.items())}
    if details and all("refs" in d for d in details):  # translation
        from sacrebleu.metrics import BLEU, CHRF

        hyps = [r["extracted"] or "" for r in rows]
        n_refs = min(len(d["refs"]) for d in details)
        refs = [[d["refs"][i] for d in details] for i in range(n_refs)]
        zh = rows[0]["language"] == "zh"
        extras["corpus_bleu"] = round(BLEU(tokenize="zh" if zh else "13a").corpus_score(hyps, refs).score, 2)
        extras["corpus_chrf"] = round(CHRF().corpus_score(hyps, refs).score, 2)
    return extras
