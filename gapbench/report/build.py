"""Assemble the report model: a plain, JSON-ready dict built from the rows of the store.

Every number traces back to stored rows: leaderboard rows carry the run ids of their scores, disagreements
their sample ids, run ids and cache keys, cost rows the number of responses their tokens were summed over.
The store is read through its API (gapbench.store), the gap matrix comes from `gapbench.gap.compare`, and
sections computed from published data (lag, generations, claims) come in through `extra`. A section that cannot
be built is left out and `meta.unavailable` says why; an error in building one is a bug and is not hidden.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import defaultdict
from typing import Any

import gapbench
from gapbench.catalog.catalog import stored_model_facts
from gapbench.errors import GapbenchError
from gapbench.gap.compare import compare_models
from gapbench.report.charts import country_code
from gapbench.report.leaderboard import ratings_section
from gapbench.schema.report import Report
from gapbench.store.db import Store
from gapbench.store.results import results_from_store
from gapbench.store.rows import StoredResponse
from gapbench.tasks.registry import builtin_tasks, get_task

SECTIONS = ("leaderboard", "gap_matrix", "lag", "generations", "claims", "cost", "disagreements", "manifests")
MAX_DISAGREEMENTS = 500  # items listed in the browser; meta.disagreements_total counts them all
MAX_QUESTION_CHARS = 2000  # the tail of a long (few-shot) prompt: the question is at its end
MAX_ANSWER_CHARS = 8000


def build_report(store: Store, a: str | None = None, b: str | None = None, extra: dict | None = None,
                 title: str | None = None, max_disagreements: int = MAX_DISAGREEMENTS) -> dict[str, Any]:
    """The report as a dict (see gapbench/report/__init__.py for the schema)."""
    unavailable: dict[str, str] = {}
    report: dict[str, Any] = {"meta": {
        "title": title or "gapbench report",
        "generated_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "db": str(store.path),
        "gapbench_version": gapbench.__version__,
    }}
    meta = report["meta"]

    leaderboard = _leaderboard(store)
    if leaderboard:
        report["leaderboard"] = leaderboard
    else:
        unavailable["leaderboard"] = "no scores in the store (run `gapbench run` first)"

    a, b, pair_why = _pick_pair(store, a, b)
    if a and b:
        meta["a"], meta["b"] = a, b
        meta["pair"] = pair_why
    else:
        for section in ("gap_matrix", "disagreements"):
            unavailable[section] = pair_why

    if a and b:
        gap, why = _gap_matrix(store, a, b)
        if gap is not None:
            report["gap_matrix"] = gap
        else:
            unavailable["gap_matrix"] = why
        shown, total = _disagreements(store, a, b, max_disagreements)
        meta["disagreements_total"] = total
        if shown:
            report["disagreements"] = shown
        else:
            unavailable["disagreements"] = f"{a} and {b} agree on every shared item"

    cost = _cost(store, leaderboard)
    if cost:
        report["cost"] = cost
    else:
        unavailable["cost"] = "no scored responses in the store"

    manifests = _manifests(store)
    if manifests:
        report["manifests"] = manifests
    else:
        unavailable["manifests"] = "no runs in the store"

    ratings = ratings_section(store)  # Bradley-Terry ratings (issue #10): only when the store holds pairwise outcomes
    if ratings is not None:
        report["ratings"] = ratings

    for section, module in (("lag", "gapbench.gap.lag"), ("generations", "gapbench.gap.generations"),
                            ("claims", "gapbench.gap.claims")):
        unavailable.setdefault(section, f"not computed for this report ({module} not wired in)")

    for key, value in (extra or {}).items():  # sections computed elsewhere; None removes a section
        if key == "meta" and isinstance(value, dict):
            meta.update(value)
        elif value is None:
            report.pop(key, None)
        else:
            report[key] = _jsonable(value)
            unavailable.pop(key, None)
    for key in list(unavailable):
        if key in report:
            unavailable.pop(key)
    meta["unavailable"] = {k: unavailable[k] for k in SECTIONS if k in unavailable}
    return Report.model_validate(report).to_json()  # the documented schema, checked on every report


# ---------------------------------------------------------------------------------------------- lookups
def model_facts(name: str) -> dict[str, Any]:
    """Country and list prices of a stored model (gapbench.catalog)."""
    facts = stored_model_facts(name)
    for key in ("price_in_per_mtok", "price_out_per_mtok"):
        facts[key] = float(facts[key]) if facts[key] is not None else None
    return facts


def is_country(value: Any, code: str) -> bool:
    return value is not None and country_code(value) == code


def _task_facts(task: str) -> dict[str, Any]:
    """The metric and description of a built-in task; a custom task file is not on hand when reporting."""
    if task.split(".")[0] not in builtin_tasks():
        return {"description": ""}
    return {"description": get_task(task.split(".")[0]).description}


# ---------------------------------------------------------------------------------------------- sections
def setup_of(manifest: dict[str, Any]) -> str | None:
    """How an API model was asked, in words: thinking and what replaced greedy sampling (issue #14)."""
    model = manifest.get("model") or {}
    parts = []
    if model.get("thinking") not in (None, "none"):
        budget = model.get("reasoning_budget")
        parts.append(f"thinking {model['thinking']}" + (f" (reasoning budget {budget})" if budget else ""))
    if model.get("sampling") and model["sampling"] != "greedy":
        parts.append(str(model["sampling"]))
    return "; ".join(parts) or None


def _leaderboard(store: Store) -> list[dict[str, Any]]:
    run_ids: dict[tuple, set] = defaultdict(set)
    for row in store.scores():
        if row.run_id is not None:
            run_ids[(row.model, row.task, row.method)].add(int(row.run_id))
    setups = {r.run_id: setup_of(r.manifest) for r in store.runs()}
    facts: dict[str, dict] = {}
    tasks: dict[str, dict] = {}
    rows = []
    for r in results_from_store(store):
        f = facts.setdefault(r.model, model_facts(r.model))
        t = tasks.setdefault(r.task, _task_facts(r.task))
        ids = sorted(run_ids[(r.model, r.task, r.method)])
        rows.append({**r.to_json(), "country": f["country"], "description": t["description"], "run_ids": ids,
                     "setup": setups.get(ids[-1]) if ids else None})
    return rows


def _pick_pair(store: Store, a: str | None, b: str | None) -> tuple[str | None, str | None, str]:
    """The two models compared item by item: as given, else the pair with most shared items (US model as a)."""
    models = store.models()
    for flag, name in (("--a", a), ("--b", b)):
        if name is not None and name not in models:
            known = ", ".join(models) or "none"
            raise GapbenchError(f"{flag}: model '{name}' has no scores in the store (models there: {known})")
    counts = store.shared_counts()
    if a and b:
        if a == b:
            raise GapbenchError("--a and --b name the same model")
        n = counts.get(tuple(sorted((a, b))), 0)
        return a, b, f"given on the command line; {n} shared items"
    fixed = a or b
    candidates = [(n, pair) for pair, n in counts.items() if n > 0 and (fixed is None or fixed in pair)]
    if not candidates:
        if len(models) < 2:
            return None, None, "needs scores of two models (the store has " + (models[0] if models else "none") + ")"
        return None, None, "no two models share a scored item (same task, method and sample id)"
    n, pair = min(candidates, key=lambda c: (-c[0], c[1]))  # most shared items; ties: by name
    x, y = pair
    if fixed is not None:
        other = y if x == fixed else x
        x, y = (fixed, other) if a else (other, fixed)
        return x, y, f"{'--a' if a else '--b'} given, the other has most items shared with it ({n})"
    cx, cy = model_facts(x)["country"], model_facts(y)["country"]
    if is_country(cy, "US") and not is_country(cx, "US"):  # a = the US model: a positive diff means b is behind
        x, y = y, x
    return x, y, f"the two models with most shared items ({n})"


def _gap_matrix(store: Store, a: str, b: str) -> tuple[dict | None, str]:
    try:
        result = compare_models(store, a, b).to_json()
    except GapbenchError as e:  # no paired item: the rest of the report still stands
        return None, str(e)
    if not result.get("cells"):
        return None, f"no capability x language cell with shared items of {a} and {b}"
    return _jsonable(result), ""


def _question(request: dict | None) -> str:
    if not request:
        return ""
    users = [m[1] for m in request.get("messages") or [] if len(m) == 2 and m[0] == "user"]
    text = users[-1] if users else request.get("prompt", "")
    return text if len(text) <= MAX_QUESTION_CHARS else "…" + text[-MAX_QUESTION_CHARS:]


def _answer(keys: tuple[str, ...], responses: dict[str, StoredResponse], extracted: str | None) -> str:
    rows = [responses.get(k) for k in keys]
    if not rows or all(r is None for r in rows):
        return "(response not in the store)"
    if all(r is not None and r.kind == "loglikelihood" for r in rows):
        parts = []
        for r in rows:
            cont = r.request.get("continuation", "")
            parts.append(f"{cont.strip() or '∅'}: {r.logprob:.3f}" if r.logprob is not None else f"{cont.strip()}: n/a")
        return f"chose {extracted}\nlog-likelihood per choice: " + ", ".join(parts)
    texts = [r.text if r is not None else "(response not in the store)" for r in rows]
    text = texts[0] if len(texts) == 1 else "\n\n".join(f"--- turn {i + 1} ---\n{t}" for i, t in enumerate(texts))
    return text if len(text) <= MAX_ANSWER_CHARS else text[:MAX_ANSWER_CHARS] + "…"


def _disagreements(store: Store, a: str, b: str, limit: int) -> tuple[list[dict], int]:
    theirs = {(r.task, r.method, r.sample_id): r for r in store.scores(model=b)}
    pairs = [(x, theirs[(x.task, x.method, x.sample_id)]) for x in store.scores(model=a)
             if (x.task, x.method, x.sample_id) in theirs and x.value != theirs[(x.task, x.method, x.sample_id)].value]
    total = len(pairs)
    pairs = pairs[:limit]
    responses = store.responses(sorted({k for x, y in pairs for k in x.cache_keys + y.cache_keys}))
    out = []
    for x, y in pairs:
        first = responses.get(x.cache_keys[0]) if x.cache_keys else None
        first = first or (responses.get(y.cache_keys[0]) if y.cache_keys else None)
        out.append({
            "task": x.task, "method": x.method, "sample_id": x.sample_id, "language": x.language,
            "capability": x.capability, "question": _question(first.request if first else None),
            "target": x.target, "a_answer": _answer(x.cache_keys, responses, x.extracted),
            "b_answer": _answer(y.cache_keys, responses, y.extracted), "a_score": _num(x.value),
            "b_score": _num(y.value), "a_extracted": x.extracted, "b_extracted": y.extracted,
            "a_run_id": x.run_id, "b_run_id": y.run_id, "a_cache_keys": list(x.cache_keys),
            "b_cache_keys": list(y.cache_keys),
        })
    return out, total


def _cost(store: Store, leaderboard: list[dict]) -> list[dict[str, Any]]:
    scores = {(r["model"], r["task"], r["method"]): r["score"] for r in leaderboard}
    keys: dict[tuple, set] = defaultdict(set)
    for row in store.scores():
        keys[(row.model, row.task, row.method)].update(row.cache_keys)
    tokens: dict[str, dict[str, tuple]] = {}
    facts_of: dict[str, dict] = {}
    out = []
    for (model, task, method), ks in sorted(keys.items()):
        if model not in tokens:
            tokens[model] = store.token_counts(model)
        found = [tokens[model][k] for k in ks if k in tokens[model]]
        tin, tout = sum(t[0] for t in found), sum(t[1] for t in found)
        facts = facts_of.setdefault(model, model_facts(model))
        local = facts["local"] or any('"provider": "llamacpp"' in (t[2] or "") for t in found)
        if local:
            cost, pricing = 0.0, "local"
        elif facts["price_in_per_mtok"] is not None and facts["price_out_per_mtok"] is not None:
            cost = tin / 1e6 * facts["price_in_per_mtok"] + tout / 1e6 * facts["price_out_per_mtok"]
            pricing = f"catalog: ${facts['price_in_per_mtok']:g}/M in, ${facts['price_out_per_mtok']:g}/M out"
        else:
            cost, pricing = None, "unknown price"
        score = scores.get((model, task, method))
        out.append({
            "model": model, "country": facts["country"], "task": task, "method": method, "input_tokens": tin,
            "output_tokens": tout, "n_responses": len(found), "cost_usd": _num(cost), "pricing": pricing,
            "score": score,
            "score_per_dollar": _num(score / cost) if (cost and score is not None) else None,
        })
    return out


def _manifests(store: Store) -> list[dict[str, Any]]:
    return [{"run_id": r.run_id, "model": r.model, "task": r.task, "method": r.method,
             "started_at": _iso(r.started_at), "finished_at": _iso(r.finished_at), "model_calls": r.model_calls,
             "cache_hits": r.cache_hits, "errors": r.errors, "manifest": r.manifest} for r in store.runs()]


# ---------------------------------------------------------------------------------------------- helpers
def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).replace(microsecond=0).isoformat()


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _jsonable(obj: Any) -> Any:
    """Dataclasses, numpy scalars, dates and NaN made JSON-safe (NaN -> None)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (_dt.date, _dt.datetime)):
        return obj.isoformat()
    if hasattr(obj, "to_json"):
        return _jsonable(obj.to_json())
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return _jsonable(dataclasses.asdict(obj))
    if hasattr(obj, "item"):  # numpy scalar
        return _jsonable(obj.item())
    return str(obj)
