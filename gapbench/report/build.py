"""Assemble the report model: a plain, JSON-ready dict built from the rows of the store.

Every number traces back to stored rows: leaderboard rows carry the run ids of their scores, disagreements
their sample ids, run ids and cache keys, cost rows the number of responses their tokens were summed over.
Sections other modules compute (gap matrix, lag, generations, claims) come from `gapbench.gap.compare` when it
is importable, or through `extra`. A section that cannot be built is left out and `meta.unavailable` says why.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections import defaultdict
from typing import Any

import gapbench
from gapbench.store.db import Store
from gapbench.store.results import results_from_store

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
    return report


# ---------------------------------------------------------------------------------------------- lookups
def model_facts(name: str) -> dict[str, Any]:
    """Country and prices of a model: gapbench.catalog when it knows the model, else the provider presets."""
    facts: dict[str, Any] = {"country": None, "price_in_per_mtok": None, "price_out_per_mtok": None,
                             "local": name.split("/", 1)[0] in ("local", "llamacpp")}
    entry = None
    try:
        from gapbench.catalog import find
    except ImportError:
        find = None
    if find is not None:
        try:
            entry = find(name)
        except Exception:  # unknown model: the catalog's own error type; the report goes on without it
            entry = None
    if entry is not None:
        facts["country"] = _country(getattr(entry, "country", None))
        for key in ("price_in_per_mtok", "price_out_per_mtok"):
            value = getattr(entry, key, None)
            facts[key] = float(value) if isinstance(value, (int, float)) else None
    if facts["country"] is None:
        facts["country"] = _preset_country(name)
    return facts


def _country(value: Any) -> str | None:
    """The catalog's spelling ('United States of America', 'China') when the catalog is installed."""
    if not value:
        return None
    try:
        from gapbench.catalog import normalize_country
    except ImportError:
        return str(value)
    return normalize_country(str(value)) or str(value)


def is_country(value: Any, code: str) -> bool:
    from gapbench.report.charts import country_code

    return value is not None and country_code(value) == code


def _preset_country(name: str) -> str | None:
    provider, _, rest = name.partition("/")
    try:
        if provider == "local":
            from gapbench.models.local_assets import LOCAL_MODELS

            m = LOCAL_MODELS.get(rest)
            return _country(m.country) if m else None
        if provider == "anthropic":
            return "US"
        from gapbench.models.openai_compat import load_presets

        for p in load_presets():
            if p["name"] == provider:
                return _country(p.get("country"))
    except Exception:  # presets unreadable: no country rather than no report
        return None
    return None


def _task_facts(task: str) -> dict[str, Any]:
    try:
        from gapbench.tasks.registry import get_task

        spec = get_task(task)
        return {"metric": spec.metric, "description": spec.description}
    except Exception:  # a custom task file no longer on disk
        return {"metric": None, "description": ""}


# ---------------------------------------------------------------------------------------------- sections
def _leaderboard(store: Store) -> list[dict[str, Any]]:
    run_ids: dict[tuple, set] = defaultdict(set)
    for row in store.conn.execute("SELECT DISTINCT model, task, method, run_id FROM scores"):
        if row["run_id"] is not None:
            run_ids[(row["model"], row["task"], row["method"])].add(int(row["run_id"]))
    facts: dict[str, dict] = {}
    tasks: dict[str, dict] = {}
    rows = []
    for r in results_from_store(store):
        f = facts.setdefault(r.model, model_facts(r.model))
        t = tasks.setdefault(r.task, _task_facts(r.task))
        rows.append({
            "model": r.model, "country": f["country"], "task": r.task, "language": r.language,
            "capability": r.capability, "metric": t["metric"] or "score", "n": r.n, "score": _num(r.score),
            "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high), "method": r.method, "errors": r.errors,
            "description": t["description"], "run_ids": sorted(run_ids[(r.model, r.task, r.method)]),
            **({"extra": _jsonable(r.extra)} if r.extra else {}),
        })
    return rows


def _shared_counts(store: Store) -> dict[tuple[str, str], int]:
    rows = store.conn.execute(
        "SELECT x.model AS a, y.model AS b, COUNT(*) AS n FROM scores x JOIN scores y "
        "ON x.task=y.task AND x.method=y.method AND x.sample_id=y.sample_id AND x.model<y.model "
        "GROUP BY x.model, y.model").fetchall()
    return {(r["a"], r["b"]): int(r["n"]) for r in rows}


def _pick_pair(store: Store, a: str | None, b: str | None) -> tuple[str | None, str | None, str]:
    """The two models compared item by item: as given, else the pair with most shared items (US model as a)."""
    from gapbench.errors import GapbenchError

    models = [r[0] for r in store.conn.execute("SELECT DISTINCT model FROM scores ORDER BY model")]
    for flag, name in (("--a", a), ("--b", b)):
        if name is not None and name not in models:
            known = ", ".join(models) or "none"
            raise GapbenchError(f"{flag}: model '{name}' has no scores in the store (models there: {known})")
    if a and b:
        if a == b:
            raise GapbenchError("--a and --b name the same model")
        n = _shared_counts(store).get(tuple(sorted((a, b))), 0)
        return a, b, f"given on the command line; {n} shared items"
    counts = _shared_counts(store)
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
        from gapbench.gap.compare import compare_models
    except ImportError:
        return None, "gapbench.gap.compare is not available in this install"
    try:
        result = compare_models(store, a, b)
    except Exception as e:  # e.g. too few shared items: the rest of the report still stands
        return None, f"compare_models failed: {type(e).__name__}: {e}"
    if hasattr(result, "to_json"):
        result = result.to_json()
    if not isinstance(result, dict) or not result.get("cells"):
        return None, f"no capability x language cell with shared items of {a} and {b}"
    return _jsonable(result), ""


def _responses(store: Store, keys: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        sql = ("SELECT cache_key, kind, request, text, reasoning, logprob, input_tokens, output_tokens "
               f"FROM responses WHERE cache_key IN ({','.join('?' * len(chunk))})")
        for row in store.conn.execute(sql, chunk):
            out[row["cache_key"]] = dict(row)
    return out


def _question(request_json: str | None) -> str:
    if not request_json:
        return ""
    try:
        req = json.loads(request_json)
    except ValueError:
        return ""
    users = [m[1] for m in req.get("messages") or [] if len(m) == 2 and m[0] == "user"]
    text = users[-1] if users else req.get("prompt", "")
    return text if len(text) <= MAX_QUESTION_CHARS else "…" + text[-MAX_QUESTION_CHARS:]


def _answer(keys: list[str], responses: dict[str, dict], extracted: str | None) -> str:
    rows = [responses.get(k) for k in keys]
    if not rows or all(r is None for r in rows):
        return "(response not in the store)"
    if all(r is not None and r["kind"] == "loglikelihood" for r in rows):
        parts = []
        for r in rows:
            cont = json.loads(r["request"]).get("continuation", "")
            lp = r["logprob"]
            parts.append(f"{cont.strip() or '∅'}: {lp:.3f}" if lp is not None else f"{cont.strip()}: n/a")
        return f"chose {extracted}\nlog-likelihood per choice: " + ", ".join(parts)
    texts = [(r["text"] or "") if r is not None else "(response not in the store)" for r in rows]
    text = texts[0] if len(texts) == 1 else "\n\n".join(f"--- turn {i + 1} ---\n{t}" for i, t in enumerate(texts))
    return text if len(text) <= MAX_ANSWER_CHARS else text[:MAX_ANSWER_CHARS] + "…"


def _disagreements(store: Store, a: str, b: str, limit: int) -> tuple[list[dict], int]:
    rows = store.conn.execute(
        "SELECT x.task, x.method, x.sample_id, x.language, x.capability, x.target, "
        "x.value AS a_score, y.value AS b_score, x.extracted AS a_extracted, y.extracted AS b_extracted, "
        "x.cache_keys AS a_keys, y.cache_keys AS b_keys, x.run_id AS a_run_id, y.run_id AS b_run_id "
        "FROM scores x JOIN scores y ON x.task=y.task AND x.method=y.method AND x.sample_id=y.sample_id "
        "WHERE x.model=? AND y.model=? AND x.value<>y.value ORDER BY x.task, x.method, x.sample_id",
        (a, b)).fetchall()
    total = len(rows)
    rows = rows[:limit]
    keys = sorted({k for r in rows for col in ("a_keys", "b_keys") for k in json.loads(r[col])})
    responses = _responses(store, keys)
    out = []
    for r in rows:
        a_keys, b_keys = json.loads(r["a_keys"]), json.loads(r["b_keys"])
        first = responses.get(a_keys[0]) if a_keys else None
        first = first or (responses.get(b_keys[0]) if b_keys else None)
        out.append({
            "task": r["task"], "method": r["method"], "sample_id": r["sample_id"], "language": r["language"],
            "capability": r["capability"], "question": _question(first["request"] if first else None),
            "target": r["target"], "a_answer": _answer(a_keys, responses, r["a_extracted"]),
            "b_answer": _answer(b_keys, responses, r["b_extracted"]), "a_score": _num(r["a_score"]),
            "b_score": _num(r["b_score"]), "a_extracted": r["a_extracted"], "b_extracted": r["b_extracted"],
            "a_run_id": r["a_run_id"], "b_run_id": r["b_run_id"], "a_cache_keys": a_keys, "b_cache_keys": b_keys,
        })
    return out, total


def _cost(store: Store, leaderboard: list[dict]) -> list[dict[str, Any]]:
    scores = {(r["model"], r["task"], r["method"]): r["score"] for r in leaderboard}
    keys: dict[tuple, set] = defaultdict(set)
    for row in store.conn.execute("SELECT model, task, method, cache_keys FROM scores"):
        keys[(row["model"], row["task"], row["method"])].update(json.loads(row["cache_keys"]))
    tokens: dict[str, dict[str, tuple]] = {}
    facts_of: dict[str, dict] = {}
    out = []
    for (model, task, method), ks in sorted(keys.items()):
        if model not in tokens:
            tokens[model] = {r["cache_key"]: (r["input_tokens"] or 0, r["output_tokens"] or 0, r["identity"])
                             for r in store.conn.execute(
                                 "SELECT cache_key, input_tokens, output_tokens, identity FROM responses WHERE model=?",
                                 (model,))}
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
    out = []
    for r in store.conn.execute("SELECT * FROM runs ORDER BY run_id"):
        try:
            manifest = json.loads(r["manifest"])
        except ValueError:
            manifest = {"unparsed": r["manifest"]}
        out.append({"run_id": r["run_id"], "model": r["model"], "task": r["task"], "method": r["method"],
                    "started_at": _iso(r["started_at"]), "finished_at": _iso(r["finished_at"]),
                    "model_calls": r["model_calls"], "cache_hits": r["cache_hits"], "errors": r["errors"],
                    "manifest": manifest})
    return out


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
