"""Charts as hand-written inline SVG: no plotting library, no fonts or scripts to fetch, works offline.

Every function takes a section of the report dict and returns `Markup` (safe to insert into the HTML
template). All text that reaches the SVG goes through `escape`, so model names or answers cannot inject markup.
Hovering a mark shows its exact numbers (an SVG <title>).
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any, Iterable

from markupsafe import Markup, escape

from gapbench.catalog.catalog import normalize_country

FONT = 'font-family="system-ui, -apple-system, Segoe UI, Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"'
POS, NEG = (230, 97, 1), (94, 60, 153)  # diverging orange (a ahead) / purple (b ahead), white at 0
COUNTRY_NAMES = {"US": "US", "CN": "China"}
_CODES = {"United States of America": "US", "China": "CN"}


def country_code(value: Any) -> str:
    """'US', 'CN', or the value unchanged: every spelling goes through the catalog's normalize_country."""
    name = normalize_country(str(value)) or str(value)
    return _CODES.get(name, name)


COUNTRY_PALETTES = {
    "US": ("#1f77b4", "#17becf", "#2ca02c", "#393b79", "#6baed6"),  # blues/greens
    "CN": ("#d62728", "#ff7f0e", "#e377c2", "#8c564b", "#bcbd22"),  # reds/oranges
}
OTHER_PALETTE = ("#9467bd", "#7f7f7f", "#636363", "#a55194", "#5254a3")


def model_colours(models: Iterable[str], countries: dict[str, Any] | None = None) -> dict[str, str]:
    """One stable colour per model: US models in blues/greens, Chinese models in reds/oranges, others purple/grey,
    so the two sides read apart at a glance."""
    out: dict[str, str] = {}
    used: dict[str, int] = {}
    for m in models:
        if m in out:
            continue
        country = country_code((countries or {}).get(m) or "")
        palette = COUNTRY_PALETTES.get(country, OTHER_PALETTE)
        key = country if country in COUNTRY_PALETTES else "other"
        out[m] = palette[used.get(key, 0) % len(palette)]
        used[key] = used.get(key, 0) + 1
    return out


def fmt(x: float | None, digits: int = 2, sign: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def _svg(width: float, height: float, body: list[str], label: str) -> Markup:
    return Markup(
        f'<svg viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
        f'role="img" aria-label="{escape(label)}" {FONT} font-size="12" class="chart">'
        + "".join(body) + "</svg>")


def _text(x: float, y: float, text: Any, anchor: str = "start", size: float = 12, fill: str = "#222",
          weight: str = "normal", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
            f'font-weight="{weight}" {extra}>{escape(str(text))}</text>')


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = start
    while v <= hi + 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# ---------------------------------------------------------------------------------------------- leaderboard
def leaderboard_svg(rows: list[dict], colours: dict[str, str]) -> Markup:
    """Dot per (task, model) with its 95% interval as a whisker, tasks grouped, x = score on 0..1."""
    groups: dict[tuple, list[dict]] = {}
    scored = [r for r in rows if r.get("score") is not None]  # chat answers not judged yet have no score
    for r in sorted(scored, key=lambda r: (r["capability"], r["language"], r["task"], r["method"], r["model"])):
        top = 10.0 if r.get("scale") == "1-10" else 1.0  # a judge's 1-10 ratings are drawn as tenths
        r = {**r, **{k: (r[k] / top if r.get(k) is not None else None) for k in ("score", "ci_low", "ci_high")},
             "shown": r}
        groups.setdefault((r["capability"], r["language"], r["task"], r["method"]), []).append(r)
    width, left, right, top = 1000, 300, 190, 48
    plot_w = width - left - right
    row_h, head_h = 19, 36
    height = top + sum(head_h + row_h * len(g) + 6 for g in groups.values()) + 10
    x = lambda v: left + plot_w * max(0.0, min(1.0, v if v is not None else 0.0))  # noqa: E731
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    for t in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        body.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top - 6}" y2="{height - 8}" stroke="#e5e5e5"/>')
        body.append(_text(x(t), top - 10, f"{t:.1f}", "middle", 11, "#666"))
    body.append(_text(left, 16, "score (dot) with 95% interval (whisker); hover for run ids", "start", 12, "#444"))
    y = top
    for (cap, lang, task, method), rs in groups.items():
        desc = rs[0].get("description") or ""
        metric = (rs[0].get("metric") or "score") + (" (1-10, drawn /10)" if rs[0].get("scale") == "1-10" else "")
        body.append(f'<rect x="4" y="{y + 2}" width="{width - 8}" height="{head_h - 6}" fill="#f4f6f8" rx="4"/>')
        body.append(_text(12, y + 18, f"{task}", "start", 13, "#111", "bold"))
        body.append(_text(12, y + 30, f"{cap} · {lang} · {metric}" + (f" · {method}" if method != "generate" else ""),
                          "start", 10.5, "#555"))
        if desc:
            body.append(_text(left, y + 24, _short(desc, 80), "start", 11.5, "#444"))
        y += head_h
        for r in rs:
            cy = y + row_h / 2
            c = colours.get(r["model"], "#555")
            sh = r["shown"]
            tip = (f"{r['model']} on {task} ({method}): {fmt(sh['score'], 3)} "
                   f"[{fmt(sh['ci_low'], 3)}, {fmt(sh['ci_high'], 3)}], n={r['n']}; runs {r.get('run_ids', [])}")
            body.append("<g>" + _title(tip))
            body.append(_text(left - 10, cy + 4, _short(r["model"], 40), "end", 12, "#222"))
            if r.get("ci_low") is not None and r.get("ci_high") is not None:
                body.append(f'<line x1="{x(r["ci_low"]):.1f}" x2="{x(r["ci_high"]):.1f}" y1="{cy:.1f}" y2="{cy:.1f}" '
                            f'stroke="{c}" stroke-width="2.2"/>')
                for v in (r["ci_low"], r["ci_high"]):
                    body.append(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{cy - 5:.1f}" y2="{cy + 5:.1f}" '
                                f'stroke="{c}" stroke-width="1.6"/>')
            body.append(f'<circle cx="{x(r["score"]):.1f}" cy="{cy:.1f}" r="5" fill="{c}" stroke="#fff"/>')
            shown = r["shown"]
            body.append(_text(left + plot_w + 10, cy + 4,
                              f"{fmt(shown['score'])} [{fmt(shown['ci_low'])}, {fmt(shown['ci_high'])}] n={r['n']}",
                              "start", 11, "#333"))
            body.append("</g>")
            y += row_h
        y += 6
    return _svg(width, height, body, "Leaderboard: score per task and model with 95% intervals")


# ---------------------------------------------------------------------------------------------- gap heatmap
def _diverging(diff: float | None, scale: float) -> tuple[str, str]:
    if diff is None:
        return "#eeeeee", "#555"
    t = min(1.0, abs(diff) / scale) if scale > 0 else 0.0
    base = POS if diff >= 0 else NEG
    rgb = tuple(round(255 + (c - 255) * t) for c in base)
    return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})", ("#fff" if t > 0.6 else "#111")


def significant(cell: dict) -> bool:
    lo, hi = cell.get("ci_low"), cell.get("ci_high")
    return lo is not None and hi is not None and (lo > 0 or hi < 0)


def heatmap_svg(gap: dict) -> Markup:
    """Capability x language cells: colour = diff (a - b), diverging at 0; hatched + 'n.s.' when the 95%
    interval crosses 0."""
    cells = gap.get("cells") or []
    a, b = str(gap.get("a", "a")), str(gap.get("b", "b"))
    caps = sorted({c["capability"] for c in cells})
    langs = sorted({c["language"] for c in cells}, key=lambda l: (l != "zh", l != "en", l))
    by = {(c["capability"], c["language"]): c for c in cells}
    scale = max([abs(v) for c in cells for v in (c.get("diff"), c.get("ci_low"), c.get("ci_high"))
                 if v is not None] + [0.05])
    left, top, cw, ch = 150, 70, 300, 78
    width = max(left + cw * len(langs) + 30, 700)
    height = top + ch * len(caps) + 110
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
            '<defs><pattern id="ns-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="8" stroke="#000" stroke-opacity="0.22" '
            'stroke-width="3"/></pattern></defs>',
            _text(10, 20, f"diff = {a} − {b} (score points on 0..1); 95% interval in brackets", "start", 13, "#222",
                  "bold")]
    for j, lang in enumerate(langs):
        body.append(_text(left + cw * j + cw / 2, top - 10, {"zh": "zh (Chinese)", "en": "en (English)"}.get(lang, lang),
                          "middle", 13, "#222", "bold"))
    for i, cap in enumerate(caps):
        y0 = top + ch * i
        body.append(_text(left - 12, y0 + ch / 2 + 4, cap, "end", 13, "#222", "bold"))
        for j, lang in enumerate(langs):
            x0 = left + cw * j
            c = by.get((cap, lang))
            if c is None:
                body.append(f'<rect x="{x0 + 2}" y="{y0 + 2}" width="{cw - 4}" height="{ch - 4}" fill="#f2f2f2" rx="4"/>')
                body.append(_text(x0 + cw / 2, y0 + ch / 2 + 4, "no shared items", "middle", 11, "#888"))
                continue
            fill, ink = _diverging(c.get("diff"), scale)
            sig = significant(c)
            tip = (f"{cap} · {lang}: {a} − {b} = {fmt(c.get('diff'), 3, True)} [{fmt(c.get('ci_low'), 3, True)}, "
                   f"{fmt(c.get('ci_high'), 3, True)}], p(Holm) = {fmt(c.get('p_holm'), 4)}, "
                   f"{c.get('n_tasks', '?')} task(s)" + ("" if sig else " — interval crosses 0: not significant"))
            body.append(f'<g class="cell {"sig" if sig else "ns"}">' + _title(tip))
            stroke = 'stroke="#222" stroke-width="2"' if sig else 'stroke="#777" stroke-width="1.5" stroke-dasharray="5 4"'
            body.append(f'<rect x="{x0 + 2}" y="{y0 + 2}" width="{cw - 4}" height="{ch - 4}" fill="{fill}" rx="4" {stroke}/>')
            if not sig:
                body.append(f'<rect x="{x0 + 2}" y="{y0 + 2}" width="{cw - 4}" height="{ch - 4}" fill="url(#ns-hatch)" rx="4"/>')
            label = f"{fmt(c.get('diff'), 2, True)} [{fmt(c.get('ci_low'), 2, True)}, {fmt(c.get('ci_high'), 2, True)}]"
            body.append(_text(x0 + cw / 2, y0 + ch / 2 - 2, label, "middle", 15, ink, "bold"))
            sub = f"p(Holm) {fmt(c.get('p_holm'), 3)} · {c.get('n_tasks', '?')} task(s)" + ("" if sig else " · n.s.")
            body.append(_text(x0 + cw / 2, y0 + ch / 2 + 17, sub, "middle", 11, ink))
            body.append("</g>")
    # legend: colour bar from -scale to +scale
    ly = top + ch * len(caps) + 30
    lx, lw = left, min(cw * max(len(langs), 1), 520)
    steps = 40
    for k in range(steps):
        v = -scale + 2 * scale * (k + 0.5) / steps
        body.append(f'<rect x="{lx + lw * k / steps:.1f}" y="{ly}" width="{lw / steps + 0.6:.1f}" height="12" '
                    f'fill="{_diverging(v, scale)[0]}"/>')
    body.append(_text(lx, ly + 28, f"{fmt(-scale, 2, True)}  ← {_short(b, 28)} ahead", "start", 11, "#333"))
    body.append(_text(lx + lw / 2, ly + 28, "0", "middle", 11, "#333"))
    body.append(_text(lx + lw, ly + 28, f"{_short(a, 28)} ahead →  {fmt(scale, 2, True)}", "end", 11, "#333"))
    body.append(f'<rect x="{lx}" y="{ly + 40}" width="26" height="16" fill="url(#ns-hatch)" stroke="#777" '
                f'stroke-dasharray="5 4"/>')
    body.append(_text(lx + 34, ly + 52, "hatched, dashed border = 95% interval crosses 0: not significant", "start", 11, "#333"))
    return _svg(width, height, body, f"Gap heatmap {a} minus {b} per capability and language")


# ---------------------------------------------------------------------------------------------- time lag
def parse_date(value: Any) -> _dt.date | None:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    s = str(value).strip()
    for fmt_, n in (("%Y-%m-%d", 10), ("%Y-%m", 7), ("%Y", 4)):
        try:
            return _dt.datetime.strptime(s[:n], fmt_).date()
        except ValueError:
            continue
    return None


def _date_ticks(d0: _dt.date, d1: _dt.date) -> list[_dt.date]:
    months = (d1.year - d0.year) * 12 + d1.month - d0.month
    step = 1 if months <= 8 else 3 if months <= 30 else 6 if months <= 60 else 12
    y, m = d0.year, d0.month
    ticks = []
    while (y, m) <= (d1.year, d1.month):
        if (m - 1) % step == 0:
            d = _dt.date(y, m, 1)
            if d0 <= d <= d1:
                ticks.append(d)
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return ticks


def lag_svg(lag: dict, colours: dict[str, str] | None = None) -> Markup:
    """Top: each group's frontier (best score so far) as a step line. Bottom: the follower's lag in months
    with its interval band."""
    frontiers = lag.get("frontiers") or {}
    series = [s for s in (lag.get("series") or []) if parse_date(s.get("date")) and s.get("lag_months") is not None]
    dates = [parse_date(p.get("date")) for pts in frontiers.values() for p in pts] + [parse_date(s["date"]) for s in series]
    dates = [d for d in dates if d]
    if not dates:
        return Markup("")
    d0, d1 = min(dates), max(dates)
    if d1 <= d0:
        d1 = d0 + _dt.timedelta(days=30)
    pad = (d1 - d0).days * 0.03
    d0, d1 = d0 - _dt.timedelta(days=pad), d1 + _dt.timedelta(days=pad)
    width, left, right = 1000, 70, 170
    plot_w = width - left - right
    x = lambda d: left + plot_w * (d - d0).days / max((d1 - d0).days, 1)  # noqa: E731
    metric = lag.get("metric") or "score"
    group_colours = {"US": "#1f77b4", "CN": "#d62728"}
    body: list[str] = []
    vals = [p["value"] for pts in frontiers.values() for p in pts if p.get("value") is not None]
    has_frontiers, has_series = bool(vals), bool(series)
    top1, h1 = (40, 240) if has_frontiers else (0, 0)
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    span = max(hi - lo, 0.05)
    lo, hi = lo - span * 0.1, hi + span * 0.1
    y1 = lambda v: top1 + h1 - h1 * (v - lo) / (hi - lo)  # noqa: E731
    top2, h2 = (top1 + h1 + 70) if has_frontiers else 40, 180
    height = (top2 + h2 + 50) if has_series else (top1 + h1 + 50)
    body.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>')
    reading = f"; the lag reads it as {lag['frontier']}" if lag.get("frontier") not in (None, "step") else ""
    if has_frontiers:
        body.append(_text(left, 22, f"Frontier: best {metric} released so far, per group (step line{reading})", "start",
                          13, "#222", "bold"))
    for t in _nice_ticks(lo, hi, 5) if has_frontiers else ():
        if lo <= t <= hi:
            body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y1(t):.1f}" y2="{y1(t):.1f}" stroke="#eee"/>')
            body.append(_text(left - 8, y1(t) + 4, f"{t:g}", "end", 11, "#666"))
    ticks = _date_ticks(d0, d1)
    for d in ticks:
        for (ta, ha) in (((top1, h1),) if has_frontiers else ()) + (((top2, h2),) if has_series else ()):
            body.append(f'<line x1="{x(d):.1f}" x2="{x(d):.1f}" y1="{ta}" y2="{ta + ha}" stroke="#f0f0f0"/>')
        body.append(_text(x(d), (top2 + h2 if has_series else top1 + h1) + 18, d.strftime("%Y-%m"), "middle", 11, "#666"))
    legend_y = top1 + 40
    for gi, (group, pts) in enumerate(frontiers.items()):
        pts = sorted([p for p in pts if parse_date(p.get("date")) and p.get("value") is not None],
                     key=lambda p: parse_date(p["date"]))
        c = group_colours.get(country_code(group), OTHER_PALETTE[gi % len(OTHER_PALETTE)])
        if not pts:
            continue
        path = []
        for k, p in enumerate(pts):
            px, py = x(parse_date(p["date"])), y1(p["value"])
            path.append(f"M{px:.1f},{py:.1f}" if k == 0 else f"H{px:.1f}V{py:.1f}")
        path.append(f"H{left + plot_w:.1f}")  # the frontier holds until a better model appears
        body.append(f'<path d="{"".join(path)}" fill="none" stroke="{c}" stroke-width="2.5"/>')
        for p in pts:
            px, py = x(parse_date(p["date"])), y1(p["value"])
            tip = f"{group}: {p.get('model', '?')} ({p['date']}): {metric} {fmt(p['value'], 3)}"
            body.append(f'<g>{_title(tip)}'
                        f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4.5" fill="{c}" stroke="#fff"/>'
                        + (_text(px - 6, py - 7, _short(str(p.get("model", "")), 22), "end", 9.5, c)
                           if px > left + plot_w * 0.8 else _text(px + 5, py - 7, _short(str(p.get("model", "")), 22),
                                                                   "start", 9.5, c)) + "</g>")
        lx = left + plot_w + 18
        body.append(f'<line x1="{lx}" x2="{lx + 22}" y1="{legend_y + 22 * gi}" y2="{legend_y + 22 * gi}" '
                    f'stroke="{c}" stroke-width="3"/>')
        body.append(_text(lx + 28, legend_y + 22 * gi + 4, COUNTRY_NAMES.get(country_code(group), str(group)) + " frontier",
                          "start", 12, "#222"))
    if has_series:
        ys = [v for s in series for v in (s.get("lag_months"), s.get("ci_low"), s.get("ci_high")) if v is not None]
        lo2, hi2 = min(0.0, min(ys)), max(ys + [1.0]) * 1.1
        y2 = lambda v: top2 + h2 - h2 * (v - lo2) / (hi2 - lo2)  # noqa: E731
        follower, leader = lag.get("follower", "follower"), lag.get("leader", "leader")
        fname = COUNTRY_NAMES.get(country_code(follower), str(follower))
        lname = COUNTRY_NAMES.get(country_code(leader), str(leader))
        body.append(_text(left, top2 - 16, f"Lag: months until the {fname} frontier "
                          f"reached the {lname} frontier's level (band = 95% interval)",
                          "start", 13, "#222", "bold"))
        for t in _nice_ticks(lo2, hi2, 4):
            if lo2 <= t <= hi2:
                body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y2(t):.1f}" y2="{y2(t):.1f}" stroke="#eee"/>')
                body.append(_text(left - 8, y2(t) + 4, f"{t:g}", "end", 11, "#666"))
        body.append(_text(18, top2 + h2 / 2, "months", "middle", 11, "#666",
                          extra=f'transform="rotate(-90 18 {top2 + h2 / 2:.1f})"'))
        band = [s for s in series if s.get("ci_low") is not None and s.get("ci_high") is not None]
        if len(band) >= 2:
            upper = [f"{x(parse_date(s['date'])):.1f},{y2(s['ci_high']):.1f}" for s in band]
            lower = [f"{x(parse_date(s['date'])):.1f},{y2(s['ci_low']):.1f}" for s in reversed(band)]
            body.append(f'<polygon points="{" ".join(upper + lower)}" fill="#7b4fa8" fill-opacity="0.18" stroke="none"/>')
        elif band:
            s = band[0]
            body.append(f'<line x1="{x(parse_date(s["date"])):.1f}" x2="{x(parse_date(s["date"])):.1f}" '
                        f'y1="{y2(s["ci_low"]):.1f}" y2="{y2(s["ci_high"]):.1f}" stroke="#7b4fa8" stroke-opacity="0.4" stroke-width="8"/>')
        pts = " ".join(f"{x(parse_date(s['date'])):.1f},{y2(s['lag_months']):.1f}" for s in series)
        body.append(f'<polyline points="{pts}" fill="none" stroke="#5e3c99" stroke-width="2.5"/>')
        for s in series:
            who = f" ({s['follower_model']} vs {s.get('leader_model') or '?'})" if s.get("follower_model") else ""
            censored = bool(s.get("censored"))
            tip = (f"{s['date']}{who}: lag {'≥ ' if censored else ''}{fmt(s['lag_months'], 1)} months "
                   f"[{fmt(s.get('ci_low'), 1)}, {fmt(s.get('ci_high'), 1)}]"
                   + (" — lower bound: the leader was already there at its first data point" if censored else ""))
            fill = 'fill="#fff" stroke="#5e3c99" stroke-width="2"' if censored else 'fill="#5e3c99"'
            body.append(f'<g>{_title(tip)}'
                        f'<circle cx="{x(parse_date(s["date"])):.1f}" cy="{y2(s["lag_months"]):.1f}" r="4" {fill}/></g>')
        if any(s.get("censored") for s in series):
            body.append(_text(left + plot_w + 8, top2 + h2 - 4, "○ = lower bound", "start", 11, "#333"))
        mean = lag.get("mean_months")
        if mean is not None:
            body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y2(mean):.1f}" y2="{y2(mean):.1f}" '
                        f'stroke="#333" stroke-dasharray="6 4"/>')
            body.append(_text(left + plot_w + 8, y2(mean) + 4, f"mean {fmt(mean, 1)} months", "start", 12, "#333", "bold"))
    return _svg(width, height, body, "Time lag between the frontiers")


# ---------------------------------------------------------------------------------------------- cost
def _log_ticks(lo: float, hi: float) -> list[float]:
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    ticks = [10.0 ** k for k in range(a, b + 1)]
    if b - a <= 2:
        ticks += [m * 10.0 ** k for k in range(a, b + 1) for m in (2, 5)]
    return sorted(t for t in ticks if lo <= t <= hi)


def money(v: float) -> str:
    if v >= 1:
        return f"${v:,.2f}"
    return f"${v:.2g}" if v >= 0.001 else f"${v:.1e}"


def cost_svg(rows: list[dict], colours: dict[str, str]) -> Markup:
    """Cost (log x) vs score (y), one point per model x task; local models ($0) in a strip on the left."""
    priced = [r for r in rows if r.get("cost_usd") is not None and r.get("score") is not None]
    if not priced:
        return Markup("")
    paid = [r for r in priced if r["cost_usd"] > 0]
    free = [r for r in priced if r["cost_usd"] == 0]
    width, left, right, top, h = 1000, 150, 220, 30, 320
    strip = 70 if free else 0
    x0 = left + strip
    plot_w = width - x0 - right
    body = [f'<rect x="0" y="0" width="{width}" height="{top + h + 60}" fill="#fff"/>']
    y = lambda v: top + h - h * max(0.0, min(1.0, v))  # noqa: E731
    for t in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        body.append(f'<line x1="{left}" x2="{x0 + plot_w}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#eee"/>')
        body.append(_text(left - 8, y(t) + 4, f"{t:.1f}", "end", 11, "#666"))
    body.append(_text(60, top + h / 2, "score", "middle", 12, "#444", extra=f'transform="rotate(-90 60 {top + h / 2:.1f})"'))
    if paid:
        lo, hi = min(r["cost_usd"] for r in paid), max(r["cost_usd"] for r in paid)
        lo, hi = lo / 1.6, hi * 1.6
        if hi / lo < 10:
            lo, hi = lo / 3, hi * 3
        x = lambda v: x0 + plot_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))  # noqa: E731
        for t in _log_ticks(lo, hi):
            body.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{top + h}" stroke="#f0f0f0"/>')
            body.append(_text(x(t), top + h + 16, money(t), "middle", 11, "#666"))
        body.append(_text(x0 + plot_w / 2, top + h + 36, "cost of the run in USD (log scale), from stored token counts",
                          "middle", 12, "#444"))
    if free:
        body.append(f'<rect x="{left + 4}" y="{top}" width="{strip - 12}" height="{h}" fill="#f6f6f6"/>')
        body.append(_text(left + strip / 2 - 2, top + h + 16, "local ($0)", "middle", 11, "#666"))
    points = [(left + strip / 2 - 2 + ((i % 5) - 2) * 5, r) for i, r in enumerate(free)]
    if paid:
        points += [(x(r["cost_usd"]), r) for r in paid]
    labelled: list[tuple[float, float, list[str]]] = []  # one label per cluster of overlapping points
    for px, r in points:
        c = colours.get(r["model"], "#555")
        py = y(r["score"])
        tip = (f"{r['model']} · {r['task']}: score {fmt(r['score'], 3)}, cost "
               f"{'local, $0' if r['cost_usd'] == 0 else money(r['cost_usd'])}, {r['input_tokens']} input + "
               f"{r['output_tokens']} output tokens over {r.get('n_responses', '?')} responses")
        body.append(f'<g>{_title(tip)}<circle cx="{px:.1f}" cy="{py:.1f}" r="6" fill="{c}" '
                    f'fill-opacity="0.8" stroke="#fff"/></g>')
        near = next((lab for lab in labelled if abs(lab[0] - px) < 10 and abs(lab[1] - py) < 10), None)
        if near:
            near[2].append(r["task"])
        else:
            labelled.append((px, py, [r["task"]]))
    for px, py, tasks in labelled:
        label = tasks[0] if len(tasks) == 1 else f"{tasks[0]} +{len(tasks) - 1}"
        body.append(_text(px + 9, py + 4, _short(label, 22), "start", 9.5, "#555"))
    models = list(dict.fromkeys(r["model"] for r in priced))
    for i, m in enumerate(models):
        ly = top + 10 + 20 * i
        body.append(f'<circle cx="{x0 + plot_w + 24}" cy="{ly}" r="6" fill="{colours.get(m, "#555")}"/>')
        body.append(_text(x0 + plot_w + 36, ly + 4, _short(m, 26), "start", 12, "#222"))
    return _svg(width, top + h + 60, body, "Cost versus quality")
