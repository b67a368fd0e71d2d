"""Report sections from published data and claims: time lag (Epoch ECI), generations, vendor claims."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

LAG_FROM = dt.date(2023, 1, 1)
TOP_FOLLOWERS = 8  # newest frontier models of the follower group placed on the generation ladder


def _frontier(points: list, country: str, start: dt.date) -> list[dict[str, Any]]:
    """Record-setting releases of one group: the step function the lag chart draws."""
    best, out = None, []
    for p in sorted((p for p in points if p.country == country and p.release_date), key=lambda p: p.release_date):
        if best is None or p.value > best:
            best = p.value
            if p.release_date >= start - dt.timedelta(days=730):
                out.append({"date": p.release_date.isoformat(), "value": round(p.value, 2), "model": p.model})
    return out


def published_sections(data_dir: Path, store=None, claims_file: str | None = None,
                       leader: str = "United States of America", follower: str = "China") -> dict[str, Any]:
    """{"lag", "generations", "claims"} for `build_report(extra=…)`; a section whose data is missing is
    left out (the report then says it is not available)."""
    from gapbench.gap.claims import ECI_FILE, check_claims, load_claims, published_rows

    extra: dict[str, Any] = {}
    eci_path = data_dir / ECI_FILE
    points = None
    if eci_path.exists():
        from gapbench.catalog.published import load_epoch_eci
        from gapbench.gap.generations import build_ladder, generation_of
        from gapbench.gap.lag import lag_series

        points = load_epoch_eci(eci_path)
        lag = lag_series(points, leader=leader, follower=follower, start=LAG_FROM, threshold=1.0)
        lag["frontiers"] = {g: _frontier(points, g, LAG_FROM) for g in (leader, follower)}
        lag["source"] = str(eci_path)
        extra["lag"] = lag
        ladder = build_ladder(points=points)
        followers, seen = [], set()
        for p in sorted((p for p in points if p.country == follower), key=lambda p: -p.value):
            name = (p.extra or {}).get("model_name") or p.model  # one row per model, not per API host
            if name not in seen and len(followers) < TOP_FOLLOWERS:
                seen.add(name)
                followers.append((name, p))
        extra["generations"] = [{"model": name, "source_row": p.model, **generation_of(p.value, ladder)}
                                for name, p in followers]
    eci, arena = published_rows(data_dir, eci_records=points)
    extra["claims"] = check_claims(load_claims(claims_file), store, eci, arena)
    return extra
