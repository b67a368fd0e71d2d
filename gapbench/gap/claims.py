"""Vendor claims checked against independent evidence: own runs first, else published leaderboards.

A claim names the rows it is judged against (see claims.yaml). Verdicts:
  supported / contradicted: the interval of the difference settles it;
  inconclusive: it does not, or independent sources disagree;
  untested: no own run and no published row (for `value` claims only own runs count);
  a `value` claim inside an own interval wider than 20 points is inconclusive (too few items).
Margins: own runs 0.02 (2 points of accuracy); ECI 1 point (Epoch counts models within 1 ECI point as
the same level; the export has no intervals); LMArena 20 Elo (a 53:47 win rate), with the leaderboard's
95% intervals combined as independent.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from gapbench.errors import GapbenchError

BUILTIN_CLAIMS = Path(__file__).resolve().parent / "claims.yaml"
MARGINS = {"own": 0.02, "eci": 1.0, "lmarena": 20.0}
ROLE_MARGIN = 0.05  # "similar as chatbots": within 5% of the scale (half a point of a 1-10 rating)
MAX_VALUE_WIDTH = 0.20  # a value claim is "supported" only by an own interval at most 20 points wide


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OwnEvidence(_Strict):
    model: str
    versus: str | None = None
    tasks: list[str]


class PublishedEvidence(_Strict):
    model: str
    versus: str | None = None


class Claim(_Strict):
    id: str
    claim: str
    model: str
    versus: str | None = None
    kind: Literal["beats", "not_inferior", "value", "roles"]
    benchmark: str
    claimed: float | None = None
    versus_claimed: float | None = None
    source: str
    date: dt.date
    own: OwnEvidence | None = None
    eci: PublishedEvidence | None = None
    lmarena: PublishedEvidence | None = None


def load_claims(path: str | Path | None = None) -> list[Claim]:
    path = Path(path) if path else BUILTIN_CLAIMS
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise GapbenchError(f"claims file {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise GapbenchError(f"claims file {path}: not valid YAML ({getattr(e, 'problem', e)})") from None
    if not isinstance(data, list):
        raise GapbenchError(f"claims file {path}: expected a list of claims")
    claims = []
    for i, item in enumerate(data, 1):
        try:
            claims.append(Claim.model_validate(item))
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise GapbenchError(f"claims file {path}: claim {i}: field '{field}': {err['msg']}") from None
    return claims


def _decide(kind: str, low: float, high: float, margin: float) -> str:
    if kind == "beats":
        return "supported" if low > 0 else "contradicted" if high < 0 else "inconclusive"
    return "supported" if low >= -margin else "contradicted" if high < -margin else "inconclusive"


def _own(claim: Claim, store) -> dict[str, Any] | None:
    from gapbench.gap.compare import task_pairs
    from gapbench.stats.intervals import mean_interval
    from gapbench.stats.paired import cell_bootstrap

    if store is None or claim.own is None:
        return None
    known = set(store.models())
    own = claim.own
    if own.model not in known or (claim.kind != "value" and own.versus not in known):
        return None
    if claim.kind == "roles":
        return _roles(own, store)
    if claim.kind == "value":
        values = []
        for t in own.tasks:  # one method per task: the one with the most scored items
            rows = store.scores(model=own.model, task=t)
            methods = [r.method for r in rows]
            if methods:
                best = max(sorted(set(methods)), key=methods.count)
                values += [r.value for r in rows if r.method == best]
        if not values:
            return None
        mean, low, high = mean_interval(values)
        claimed = claim.claimed / 100
        inside = low - MARGINS["own"] <= claimed <= high + MARGINS["own"]
        # too few items to tell: a claim inside a 20-point-wide interval is not confirmed by it
        verdict = "contradicted" if not inside else "supported" if high - low <= MAX_VALUE_WIDTH else "inconclusive"
        return {"source": "own", "verdict": verdict, "n": len(values),
                "value": mean, "ci_low": low, "ci_high": high,
                "text": f"own runs of {own.model} on {', '.join(own.tasks)}: {100 * mean:.1f} "
                        f"[{100 * low:.1f}, {100 * high:.1f}] (n={len(values)}) vs claimed {claim.claimed}"}
    tasks = judged_tasks(store, own.model, own.versus, own.tasks)
    # a judge's 1-10 ratings enter as shares of the scale, like accuracies: (rating − 1) / 9
    pairs = [(t, *(((x - 1) / 9 if "@" in t else x) for x in (a, b)))
             for t, a, b in task_pairs(store, own.model, own.versus, tasks)]
    if not pairs:
        return None
    diff, low, high = cell_bootstrap([(a, b) for _, a, b in pairs], n_boot=10000, seed=0)
    n = sum(len(a) for _, a, _ in pairs)
    return {"source": "own", "verdict": _decide(claim.kind, low, high, MARGINS["own"]), "diff": diff,
            "ci_low": low, "ci_high": high, "n_paired": n,
            "text": f"own paired runs {own.model} − {own.versus} on {', '.join(t for t, _, _ in pairs)}: "
                    f"{100 * diff:+.1f} points [{100 * low:+.1f}, {100 * high:+.1f}] (n={n})"}


def _roles(own, store) -> dict[str, Any] | None:
    """"Similar as chatbots, behind as productivity tools", per language, from the role gaps of `compare`:
    supported where the chatbot gap lies within ±ROLE_MARGIN and the productivity gap is below 0; contradicted
    where the chatbot gap is clearly outside the margin or the productivity gap clearly above 0."""
    from gapbench.errors import GapbenchError
    from gapbench.gap.compare import compare_models

    try:
        roles = compare_models(store, own.model, own.versus, tasks=own.tasks or None).roles
    except GapbenchError:
        return None
    verdicts, texts = [], []
    for language in sorted({g.language for g in roles.gaps}):
        chat = next((g for g in roles.gaps if g.language == language and g.role == "chatbot"), None)
        prod = next((g for g in roles.gaps if g.language == language and g.role == "productivity"), None)
        if chat is None or prod is None:
            continue
        if chat.ci_low >= -ROLE_MARGIN and chat.ci_high <= ROLE_MARGIN and prod.ci_high < 0:
            verdicts.append("supported")
        elif chat.ci_high < -ROLE_MARGIN or chat.ci_low > ROLE_MARGIN or prod.ci_low > 0:
            verdicts.append("contradicted")
        else:
            verdicts.append("inconclusive")
        texts.append(f"{language}: chatbot {100 * chat.diff:+.1f} [{100 * chat.ci_low:+.1f}, {100 * chat.ci_high:+.1f}], "
                     f"productivity {100 * prod.diff:+.1f} [{100 * prod.ci_low:+.1f}, {100 * prod.ci_high:+.1f}] points")
    if not verdicts:
        return None
    verdict = ("contradicted" if "contradicted" in verdicts else
               "supported" if set(verdicts) == {"supported"} else "inconclusive")
    return {"source": "own", "verdict": verdict,
            "text": f"own paired runs {own.model} − {own.versus} by role (shares of the scale): " + "; ".join(texts)}


def judged_tasks(store, model: str, versus: str | None, tasks: list[str]) -> list[str]:
    """Task names as stored: `alignbench@*` stands for the judged AlignBench scores of one judge, the one that
    judged most answers of the two models (scores of two judges are never mixed)."""
    stored = {r.task for m in (model, versus) if m for r in store.scores(model=m)}
    out = []
    for t in tasks:
        if not t.endswith("@*"):
            out.append(t)
            continue
        found = sorted(x for x in stored if x.startswith(t[:-1]))
        if found:
            out.append(max(found, key=lambda x: (len(store.scores(model=model, task=x)), x)))
    return out


def _published(claim: Claim, source: str, rows: dict[str, dict[str, Any]] | None) -> dict[str, Any] | None:
    ev: PublishedEvidence | None = getattr(claim, source)
    if ev is None or rows is None or claim.kind == "value" or ev.versus is None:
        return None
    a, b = rows.get(ev.model.lower()), rows.get(ev.versus.lower())
    if a is None or b is None or a["value"] is None or b["value"] is None:
        return None
    diff = a["value"] - b["value"]
    margin = MARGINS[source]
    if a.get("half") is not None and b.get("half") is not None:
        half = math.hypot(a["half"], b["half"])
        low, high = diff - half, diff + half
    else:  # no interval: a difference within the margin is "the same level"
        low = high = diff
        if abs(diff) <= margin:
            low, high = -margin, margin
    unit = "ECI points" if source == "eci" else "Elo"
    return {"source": source, "verdict": _decide(claim.kind, low, high, margin), "diff": diff,
            "ci_low": low, "ci_high": high,
            "text": f"{source}: {ev.model} {a['value']:.1f} vs {ev.versus} {b['value']:.1f} → {diff:+.1f} {unit}"
                    + (f" [{low:+.1f}, {high:+.1f}]" if a.get("half") is not None else "")}


def check_claims(claims: list[Claim], store=None, eci: dict | None = None, lmarena: dict | None = None) -> list[dict]:
    """One verdict per claim, with the evidence that decided it (never the vendor's own numbers).

    `eci` / `lmarena`: {lower-case row name: {"value", "half" (half-width of the 95% interval or None)}}."""
    out = []
    for c in claims:
        evidence = [e for e in (_own(c, store), _published(c, "eci", eci), _published(c, "lmarena", lmarena)) if e]
        own = [e for e in evidence if e["source"] == "own"]
        if own:
            verdict = own[0]["verdict"]
        elif evidence:
            verdicts = {e["verdict"] for e in evidence}
            verdict = verdicts.pop() if len(verdicts) == 1 else "inconclusive"
        else:
            verdict = "untested"
        if not evidence:
            note = (f"no own run: gapbench run --model {c.own.model} --task {','.join(c.own.tasks)}"
                    if c.own else "no independent evidence named")
            if c.own and c.own.versus:
                note += f" (and --model {c.own.versus})"
        else:
            note = "; ".join(e["text"] for e in evidence)
            if verdict == "inconclusive" and not own and len(evidence) > 1 and len({e["verdict"] for e in evidence}) > 1:
                note += " — the independent sources disagree"
        out.append({"id": c.id, "claim": c.claim, "model": c.model, "versus": c.versus, "kind": c.kind,
                    "benchmark": c.benchmark, "claimed": c.claimed, "source": c.source, "date": c.date.isoformat(),
                    "verdict": verdict, "evidence": note, "details": evidence})
    return out


def _rows(records) -> dict[str, dict[str, Any]]:
    rows = {}
    for r in records:
        half = (r.ci_high - r.ci_low) / 2 if r.ci_low is not None and r.ci_high is not None else None
        rows[r.model.strip().lower()] = {"value": r.value, "half": half}
    return rows


def eci_rows(path: str | Path) -> dict[str, dict[str, Any]]:
    """Epoch ECI export → {lower-case "Model version": {"value", "half": None}} (the export has no intervals)."""
    from gapbench.catalog.published import load_epoch_eci

    return _rows(load_epoch_eci(path))


def lmarena_rows(path: str | Path) -> dict[str, dict[str, Any]]:
    """LMArena CSV → {lower-case model: {"value": arena score, "half": half-width of its 95% interval}}."""
    from gapbench.catalog.published import load_lmarena

    return _rows(load_lmarena(path))


ECI_FILE = "published/epoch-eci/epoch_capabilities_index.csv"
LMARENA_FILE = "published/lmarena/lmarena_text.csv"


def published_rows(data_dir: Path, eci: str | Path | None = None, lmarena: str | Path | None = None,
                   eci_records=None) -> tuple[dict | None, dict | None]:
    """(ECI rows, LMArena rows) for check_claims: the given files, else the data directory's copies when
    present (None for a source that is absent). `eci_records`: ECI records already loaded by the caller."""
    eci_path = Path(eci) if eci else data_dir / ECI_FILE
    arena_path = Path(lmarena) if lmarena else data_dir / LMARENA_FILE
    if eci_records is not None:
        eci_data = _rows(eci_records)
    else:
        eci_data = eci_rows(eci_path) if eci or eci_path.exists() else None
    return eci_data, (lmarena_rows(arena_path) if lmarena or arena_path.exists() else None)
