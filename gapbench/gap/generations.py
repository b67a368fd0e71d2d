"""Generations behind: which OpenAI flagship generation a model's score matches.

The ladder is the catalog's OpenAI flagships (`flagship_openai: true`: GPT-3.5, GPT-4, GPT-4 Turbo,
GPT-4o, o1, o3, GPT-5), ordered by release date, each with a score: from published data (by default
the Epoch ECI export; the best score among the rows the catalog maps to that flagship, e.g. GPT-4 takes
the better of gpt-4-0314 and gpt-4-0613) or from scores you supply (your own runs). Flagships without
a score are left off the ladder and listed in `Ladder.skipped`, so "generations behind" only counts
rungs that can be compared.

A model's generation is the newest flagship it is not significantly worse than:
  * both sides with intervals: the model's upper bound reaches the flagship's lower bound (overlap);
  * one side with an interval: that interval reaches the other side's value;
  * neither: the model's value is at least the flagship's value minus `threshold` (1 ECI point, as
    Epoch counts models within 1 point as the same level).
generations_behind counts the ladder's flagships newer than that generation; a model below every rung
gets generation None and generations_behind = the number of rungs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from gapbench.catalog.catalog import CatalogModel, find, load_catalog
from gapbench.errors import GapbenchError


@dataclass(frozen=True)
class Rung:
    name: str
    catalog_id: str
    release_date: dt.date | None
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    source_model: str | None = None  # the published row (or own-run name) the score came from


@dataclass
class Ladder:
    rungs: list[Rung]
    metric: str | None = None
    skipped: list[str] = field(default_factory=list)  # flagships without a score

    def names(self) -> list[str]:
        return [r.name for r in self.rungs]


def _get(p: Any, key: str, default: Any = None) -> Any:
    return p.get(key, default) if isinstance(p, dict) else getattr(p, key, default)


def _score_parts(score: Any) -> tuple[float, float | None, float | None]:
    if isinstance(score, (int, float)):
        return float(score), None, None
    if isinstance(score, (tuple, list)) and len(score) in (1, 3):
        v = score[0]
        lo, hi = (score[1], score[2]) if len(score) == 3 else (None, None)
        return float(v), (float(lo) if lo is not None else None), (float(hi) if hi is not None else None)
    v = _get(score, "value", _get(score, "score"))
    if v is None:
        raise GapbenchError(f"score {score!r}: needs a value (a number, (value, ci_low, ci_high), or an object with value)")
    lo, hi = _get(score, "ci_low"), _get(score, "ci_high")
    return float(v), (float(lo) if lo is not None else None), (float(hi) if hi is not None else None)


def flagships(catalog: list[CatalogModel] | None = None) -> list[CatalogModel]:
    """The catalog's OpenAI flagships, oldest first."""
    models = [m for m in (catalog if catalog is not None else load_catalog()) if m.flagship_openai]
    return sorted(models, key=lambda m: (m.release_date or dt.date.max, m.id))


def build_ladder(points: Iterable[Any] | None = None, scores: dict[str, Any] | None = None,
                 catalog: list[CatalogModel] | None = None, metric: str | None = "eci") -> Ladder:
    """The flagship ladder with one score per rung.

    points: published records (PublishedScore-like, with catalog_id or a model name the catalog
    knows); the best value per flagship on `metric` is used. scores: {name: value | (value, lo, hi) |
    {"value", "ci_low", "ci_high"}} for flagships you ran yourself; names are resolved through the
    catalog and take precedence over points.
    """
    flags = flagships(catalog)
    if not flags:
        raise GapbenchError("catalog: no entry has flagship_openai: true")
    by_id: dict[str, tuple[float, float | None, float | None, str]] = {}
    for p in points or []:
        if metric is not None and _get(p, "metric") not in (None, metric):
            continue
        cid = _get(p, "catalog_id")
        if cid is None:
            m = find(str(_get(p, "model", "")), catalog)
            cid = m.id if m else None
        if cid is None or _get(p, "value") is None:
            continue
        v, lo, hi = _score_parts(p)
        if cid not in by_id or v > by_id[cid][0]:
            by_id[cid] = (v, lo, hi, str(_get(p, "model")))
    for name, sc in (scores or {}).items():
        m = find(name, catalog)
        if m is None or not m.flagship_openai:
            raise GapbenchError(f"scores: '{name}' is not an OpenAI flagship in the catalog "
                                f"(flagships: {', '.join(f.name for f in flags)})")
        v, lo, hi = _score_parts(sc)
        by_id[m.id] = (v, lo, hi, name)
    rungs, skipped = [], []
    for f in flags:
        if f.id in by_id:
            v, lo, hi, src = by_id[f.id]
            rungs.append(Rung(f.name, f.id, f.release_date, v, lo, hi, src))
        else:
            skipped.append(f.name)
    if not rungs:
        raise GapbenchError(f"no score for any OpenAI flagship ({', '.join(skipped)}){' on ' + metric if metric else ''}")
    return Ladder(rungs, metric, skipped)


def _not_worse(v: float, lo: float | None, hi: float | None, r: Rung, threshold: float) -> bool:
    m_hi = hi if hi is not None else None
    r_lo = r.ci_low
    if m_hi is not None and r_lo is not None:
        return m_hi >= r_lo
    if m_hi is not None:
        return m_hi >= r.value
    if r_lo is not None:
        return v >= r_lo
    return v >= r.value - threshold


def generation_of(model_score: Any, ladder: Ladder | list[Rung], threshold: float = 1.0) -> dict:
    """{"generation", "generations_behind", "newest", ...} for a score (number, (v, lo, hi), or record).

    Example: ladder GPT-4 126.2, GPT-4 Turbo 127.7, o1 143.0, o3 147.2, GPT-5 150.0 (ECI); a model at
    133.2 is of the GPT-4 Turbo generation, 3 generations behind GPT-5.
    """
    rungs = ladder.rungs if isinstance(ladder, Ladder) else list(ladder)
    if not rungs:
        raise GapbenchError("ladder: no rungs")
    v, lo, hi = _score_parts(model_score)
    gen_idx = None
    for i in range(len(rungs) - 1, -1, -1):
        if _not_worse(v, lo, hi, rungs[i], threshold):
            gen_idx = i
            break
    newest = rungs[-1]
    out = {"value": v, "ci_low": lo, "ci_high": hi, "newest": newest.name, "ladder": [r.name for r in rungs],
           "threshold": threshold}
    if gen_idx is None:
        out.update(generation=None, generations_behind=len(rungs), below=rungs[0].name, compared_with=None)
    else:
        r = rungs[gen_idx]
        out.update(generation=r.name, generations_behind=len(rungs) - 1 - gen_idx, compared_with=r.value,
                   generation_release_date=r.release_date.isoformat() if r.release_date else None)
    if isinstance(ladder, Ladder):
        out["skipped"] = list(ladder.skipped)
    return out
