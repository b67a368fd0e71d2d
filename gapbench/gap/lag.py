"""Months behind: how long ago a leader group (the US) first reached what a follower group (China) has now.

Definitions (scores on one metric, each with a release date; higher is better)
-----------------------------------------------------------------------------
* Leader frontier: the leader's record-setting releases (d_i, v_i), each better than every earlier
  leader release. `frontier="step"` reads it as the step function F_L(t) = best leader score released
  on or before t; `frontier="linear"` (default) joins consecutive records with straight lines, i.e.
  it assumes the leader's capability grew steadily between two records instead of jumping on the
  release day.
* Follower level at t: B_F(t) = best follower score released on or before t.
* Catch-up date: s*(t) = the first time the leader frontier reached B_F(t) - threshold.
  `threshold` is the "same level" margin (Epoch: models within 1 ECI point count as the same level).
* Lag: lag(t) = t - s*(t), in months of 365.25/12 days. It is negative when the follower is ahead
  (the leader reached that level only later) and None when the leader never reached it in the data.
  When the follower's level is at or below the leader's first data point, s* is that first point and
  the lag is only a lower bound (`censored: true`).
* Evaluation dates: `step="release"` (default) evaluates at the follower's record-setting releases in
  [start, end], so each entry reads "when <Chinese model> came out, the US had reached that level N
  months earlier"; `step="month"` evaluates on the first of each month from start to end (the lag then
  grows by one month per month while the follower stands still).

The defaults (release dates, linear frontier, threshold 1 for ECI) are the reading that reproduces
Epoch AI's figure ("since 2023 Chinese models have trailed US capabilities by 7 months on average,
minimum 4, maximum 14; the maximum was the first Chinese model to pass GPT-4", data insight of
2026-01-02). On the Epoch export beside gapbench (scores to April 2026), from 2023-01-01 with threshold
1, the readings give mean / min / max months:
    release dates, linear frontier (default)   7.05 / 3.12 / 14.87   (to 2025-12-31: 6.86 / 3.12 / 14.87)
    release dates, step frontier               6.27 / 1.12 / 14.82
    monthly grid, linear frontier              8.76 / 3.19 / 17.70
    monthly grid, step frontier                8.09 / 1.51 / 17.64
The 14.9-month maximum is Qwen2-72B (June 2024) reaching GPT-4 (March 2023) within 1 point: the first
Chinese model at GPT-4's level, as in Epoch's text (its May-2024 models have no score in this export).

Worked example (threshold 0, linear frontier): the leader releases A=100 on 2023-01-01 and B=120 on
2023-11-01 (304 days later); the follower releases X=110 on 2024-03-01. The leader crossed 110 halfway
between A and B, on 2023-06-02 (152 days after A), so at X's release lag = 273 days = 8.97 months.
With the step frontier the leader reached 110 only with B, so lag = 121 days = 3.98 months.

Uncertainty: where points carry ci_low/ci_high (LMArena), the lag's interval comes from the extreme
cases: the follower at its upper bound against the leader at its lower bounds (smallest lag), and the
follower at its lower bound against the leader at its upper bounds (largest lag). Points without an
interval count at their value. With no intervals at all (the Epoch ECI export) ci_low/ci_high are None.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable, Iterable

from gapbench.catalog.catalog import normalize_country
from gapbench.errors import GapbenchError

MONTH_DAYS = 365.25 / 12


def months_between(later: dt.date | float, earlier: dt.date | float) -> float:
    a = later.toordinal() if isinstance(later, dt.date) else later
    b = earlier.toordinal() if isinstance(earlier, dt.date) else earlier
    return (a - b) / MONTH_DAYS


def _get(p: Any, key: str, default: Any = None) -> Any:
    if isinstance(p, dict):
        return p.get(key, default)
    return getattr(p, key, default)


def _as_date(v: Any, what: str) -> dt.date | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        raise GapbenchError(f"{what}: not a YYYY-MM-DD date: {v!r}") from None


def group_filter(group: str | Callable[[Any], bool]) -> Callable[[Any], bool]:
    """A point predicate from a group spec.

    A callable is used as is. `key=value[,key=value]` compares point fields (country, developer, model,
    catalog_id, ...; case-insensitive; a point's comma-separated country list matches any member).
    Any other string is a country (`US`, `CN` and similar are accepted) or a `group` field value.
    """
    if callable(group):
        return group
    spec = str(group).strip()
    if "=" in spec:
        conds = []
        for part in spec.replace("&", ",").split(","):
            if part.strip():
                k, _, v = part.partition("=")
                conds.append((k.strip(), v.strip()))
    else:
        conds = [("country", spec)]

    def match(p: Any) -> bool:
        for key, want in conds:
            have = _get(p, key)
            if key == "country":
                want_c = (normalize_country(want) or "").casefold()
                countries = {(normalize_country(c) or "").casefold() for c in str(have or "").split(",") if c.strip()}
                grp = _get(p, "group")
                if want_c not in countries and not (grp is not None and str(grp).casefold() == want.casefold()):
                    return False
            elif have is None or str(have).casefold() != want.casefold():
                return False
        return True

    return match


class _P:
    __slots__ = ("model", "day", "value", "lo", "hi")

    def __init__(self, model: str, day: int, value: float, lo: float | None, hi: float | None):
        self.model, self.day, self.value, self.lo, self.hi = model, day, value, lo, hi


def _points(points: Iterable[Any], metric: str | None) -> tuple[list[_P], list[Any], str | None]:
    raw = [p for p in points if metric is None or _get(p, "metric") in (None, metric)]
    metrics = {_get(p, "metric") for p in raw if _get(p, "metric") is not None}
    if metric is None and len(metrics) > 1:
        raise GapbenchError(f"points mix metrics ({', '.join(sorted(metrics)[:8])}); choose one with metric=")
    kept, objs = [], []
    for p in raw:
        d = _as_date(_get(p, "release_date"), f"{_get(p, 'model')}: release_date")
        v = _get(p, "value")
        if d is None or v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        lo, hi = _get(p, "ci_low"), _get(p, "ci_high")
        kept.append(_P(str(_get(p, "model")), d.toordinal(), float(v),
                       float(lo) if lo is not None else None, float(hi) if hi is not None else None))
        objs.append(p)
    return kept, objs, metric or (next(iter(metrics)) if metrics else None)


def _records(pts: list[_P], which: str = "value") -> list[tuple[float, float, str]]:
    """(day, value, model) of record-setting releases, in date order (best of each day)."""
    best_of_day: dict[int, tuple[float, str]] = {}
    for p in pts:
        v = getattr(p, which)
        v = p.value if v is None else v
        if p.day not in best_of_day or v > best_of_day[p.day][0]:
            best_of_day[p.day] = (v, p.model)
    out: list[tuple[float, float, str]] = []
    for day in sorted(best_of_day):
        v, m = best_of_day[day]
        if not out or v > out[-1][1]:
            out.append((float(day), v, m))
    return out


def _reach(recs: list[tuple[float, float, str]], level: float, frontier: str) -> tuple[float | None, str | None, bool]:
    """(first day the frontier reached `level`, the record model that did it, censored?)."""
    if not recs:
        return None, None, False
    if recs[0][1] >= level:
        return recs[0][0], recs[0][2], True
    for i in range(1, len(recs)):
        d, v, m = recs[i]
        if v >= level:
            if frontier == "step":
                return d, m, False
            d0, v0, _ = recs[i - 1]
            return d0 + (level - v0) / (v - v0) * (d - d0), m, False
    return None, None, False


def _best_by(pts: list[_P], day: float, which: str = "value") -> tuple[float | None, str | None]:
    best, model = None, None
    for p in pts:
        if p.day <= day:
            v = getattr(p, which)
            v = p.value if v is None else v
            if best is None or v > best:
                best, model = v, p.model
    return best, model


def _grid(start: dt.date, end: dt.date) -> list[dt.date]:
    out = [] if start.day == 1 else [start]
    y, m = (start.year, start.month) if start.day == 1 else (start.year + start.month // 12, start.month % 12 + 1)
    while dt.date(y, m, 1) <= end:
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _check(step: str, frontier: str) -> None:
    if step not in ("release", "month"):
        raise GapbenchError(f"step: must be 'release' or 'month', not {step!r}")
    if frontier not in ("linear", "step"):
        raise GapbenchError(f"frontier: must be 'linear' or 'step', not {frontier!r}")


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(x, nd)


def _day_iso(day: float | None) -> str | None:
    return None if day is None else dt.date.fromordinal(int(round(day))).isoformat()


def lag_series(points: Iterable[Any], leader: str | Callable = "United States of America",
               follower: str | Callable = "China", start: dt.date | str | None = None,
               end: dt.date | str | None = None, threshold: float = 0.0, step: str = "release",
               frontier: str = "linear", metric: str | None = None) -> dict:
    """Months the follower group trails the leader group, over time (see the module docstring).

    points: PublishedScore-like objects or dicts with model, country (or group), release_date, value,
    optional ci_low/ci_high and metric. leader/follower: group specs (see `group_filter`).
    Returns {"metric", "leader", "follower", "mean_months", "min_months", "max_months", "series": [{"date",
    "lag_months", "ci_low", "ci_high", "follower_model", "follower_value", "leader_reached", "leader_model",
    "censored"}], ...}; the summary is over the entries whose lag is known, censored ones (lower bounds,
    counted in n_censored) included.
    """
    _check(step, frontier)
    pts, objs, metric_name = _points(points, metric)
    lead_f, foll_f = group_filter(leader), group_filter(follower)
    L = [p for p, o in zip(pts, objs) if lead_f(o)]
    F = [p for p, o in zip(pts, objs) if foll_f(o)]
    if not L:
        raise GapbenchError(f"leader group '{leader}': no dated scores{_on(metric_name)}")
    if not F:
        raise GapbenchError(f"follower group '{follower}': no dated scores{_on(metric_name)}")
    start_d = _as_date(start, "start") or dt.date.fromordinal(min(p.day for p in F))
    end_d = _as_date(end, "end") or dt.date.fromordinal(max(p.day for p in pts))
    if end_d < start_d:
        raise GapbenchError(f"end {end_d} is before start {start_d}")
    has_ci = any(p.lo is not None or p.hi is not None for p in L + F)
    recs, recs_lo, recs_hi = _records(L), _records(L, "lo"), _records(L, "hi")

    if step == "release":
        dates = [d for d, _, _ in _records(F) if start_d.toordinal() <= d <= end_d.toordinal()]
    else:
        dates = [float(d.toordinal()) for d in _grid(start_d, end_d)]

    series = []
    for t in dates:
        level, fmodel = _best_by(F, t)
        if level is None:
            continue  # the follower has no model yet
        s, lmodel, censored = _reach(recs, level - threshold, frontier)
        lag = months_between(t, s) if s is not None else None
        lo = hi = None
        if has_ci:
            f_hi, _ = _best_by(F, t, "hi")
            f_lo, _ = _best_by(F, t, "lo")
            s_small, _, _ = _reach(recs_lo, f_hi - threshold, frontier)  # follower high, leader low
            s_big, _, _ = _reach(recs_hi, f_lo - threshold, frontier)  # follower low, leader high
            cands = [months_between(t, x) for x in (s_small, s_big) if x is not None]
            if lag is not None and len(cands) == 2:
                lo, hi = min(cands + [lag]), max(cands + [lag])
        series.append({"date": _day_iso(t), "lag_months": _r(lag), "ci_low": _r(lo), "ci_high": _r(hi),
                       "follower_model": fmodel, "follower_value": level, "leader_reached": _day_iso(s),
                       "leader_model": lmodel, "censored": censored})
    known = [e["lag_months"] for e in series if e["lag_months"] is not None]
    out = {"metric": metric_name, "leader": str(leader) if not callable(leader) else getattr(leader, "__name__", "leader"),
           "follower": str(follower) if not callable(follower) else getattr(follower, "__name__", "follower"),
           "start": start_d.isoformat(), "end": end_d.isoformat(), "threshold": threshold, "step": step,
           "frontier": frontier, "n": len(known),
           "n_censored": sum(1 for e in series if e["censored"] and e["lag_months"] is not None),
           "mean_months": _r(sum(known) / len(known)) if known else None,
           "min_months": _r(min(known)) if known else None, "max_months": _r(max(known)) if known else None,
           "series": series}
    if has_ci:
        los = [e["ci_low"] for e in series if e["ci_low"] is not None]
        his = [e["ci_high"] for e in series if e["ci_high"] is not None]
        out["mean_ci_low"] = _r(sum(los) / len(los)) if los else None
        out["mean_ci_high"] = _r(sum(his) / len(his)) if his else None
    return out


def _on(metric: str | None) -> str:
    return f" on metric '{metric}'" if metric else ""


def place_on_frontier(value: float, points: Iterable[Any], leader: str | Callable = "United States of America",
                      at_date: dt.date | str | None = None, threshold: float = 0.0, frontier: str = "linear",
                      metric: str | None = None) -> dict:
    """Where a score sits on the leader's frontier: "scores like the US frontier of <date>, N months behind".

    matches_frontier_of = the first date the leader frontier reached value - threshold (same reading
    as lag_series); months_behind = at_date (default: today) minus that date, negative when the leader
    got there only after at_date; None (with ahead=True) when the leader never reached it in the data.
    Example: leader records 100 on 2023-01-01 and 120 on 2023-11-01; value 110 matches the frontier of
    2023-06-02 (linear) and, at 2024-03-01, is 8.97 months behind.
    """
    _check("release", frontier)
    pts, objs, metric_name = _points(points, metric)
    lead_f = group_filter(leader)
    L = [p for p, o in zip(pts, objs) if lead_f(o)]
    if not L:
        raise GapbenchError(f"leader group '{leader}': no dated scores{_on(metric_name)}")
    at = _as_date(at_date, "at_date") or dt.date.today()
    recs = _records(L)
    s, model, censored = _reach(recs, float(value) - threshold, frontier)
    current = max((p.value for p in L if p.day <= at.toordinal()), default=None)
    return {"value": value, "metric": metric_name, "leader": str(leader), "at_date": at.isoformat(),
            "matches_frontier_of": _day_iso(s), "leader_model": model,
            "months_behind": _r(months_between(at, s)) if s is not None else None,
            "ahead": current is None or float(value) - threshold > current, "censored": censored}
