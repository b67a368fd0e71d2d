"""Render the report dict to one self-contained HTML file, to Markdown, or to JSON (the dict itself).

HTML: jinja2 with autoescape on, charts as inline SVG (gapbench/report/charts.py), a few lines of inline JS
for the item browser filter. Nothing is fetched: no CDN, no web fonts, no external scripts or images.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from gapbench.report import charts
from gapbench.report.leaderboard import ratings_chart

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("html", "md", "json")
SECTION_TITLES = {
    "leaderboard": "Leaderboard",
    "gap_matrix": "Gap: capability × language",
    "lag": "Time lag",
    "generations": "Generations behind",
    "claims": "Claims checked",
    "cost": "Cost vs quality",
    "disagreements": "Item browser: disagreements",
    "manifests": "Run manifests",
}
VERDICTS = ("supported", "contradicted", "inconclusive", "untested")


def render(report: dict[str, Any], fmt: str = "html") -> str:
    if fmt == "html":
        return render_html(report)
    if fmt == "md":
        return render_markdown(report)
    if fmt == "json":
        return render_json(report)
    raise ValueError(f"unknown report format '{fmt}' (one of {', '.join(FORMATS)})")


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, allow_nan=False, default=str) + "\n"


# ---------------------------------------------------------------------------------------------- shared context
def _pretty_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _num(x: Any, digits: int = 3, sign: bool = False) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, (int, float)):
        return charts.fmt(float(x), digits, sign)
    return str(x)


def _money(x: Any) -> str:
    if x is None:
        return "n/a"
    return "$0 (local)" if x == 0 else charts.money(float(x))


def _text(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, (dict, list)):
        return json.dumps(x, ensure_ascii=False, default=str)
    return str(x)


def _preview(x: Any, n: int = 60) -> str:
    s = " ".join(_text(x).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def unavailable(report: dict, section: str) -> str:
    return (report.get("meta", {}).get("unavailable") or {}).get(section) or "not in this report"


def summary(report: dict) -> list[dict[str, str]]:
    """Headline figures, each with the section it comes from."""
    cards = []
    lb = report.get("leaderboard") or []
    if lb:
        models = sorted({r["model"] for r in lb})
        tasks = sorted({r["task"] for r in lb})
        cards.append({"label": "scored", "value": f"{len(models)} models × {len(tasks)} tasks",
                      "detail": f"{sum(r['n'] for r in lb):,} item scores", "href": "#leaderboard"})
    gap = report.get("gap_matrix")
    if gap and gap.get("cells"):
        cells = gap["cells"]
        a_ahead = sum(1 for c in cells if charts.significant(c) and c["diff"] > 0)
        b_ahead = sum(1 for c in cells if charts.significant(c) and c["diff"] < 0)
        biggest = max(cells, key=lambda c: abs(c.get("diff") or 0))
        cards.append({"label": f"a = {gap['a']} vs b = {gap['b']}",
                      "value": f"a ahead in {a_ahead}, b in {b_ahead}, {len(cells) - a_ahead - b_ahead} n.s.",
                      "detail": f"of {len(cells)} capability × language cells (95% intervals); largest: "
                                f"{biggest['capability']}·{biggest['language']} {_num(biggest.get('diff'), 2, True)} "
                                f"[{_num(biggest.get('ci_low'), 2, True)}, {_num(biggest.get('ci_high'), 2, True)}]",
                      "href": "#gap_matrix"})
    lag = report.get("lag")
    if lag and lag.get("mean_months") is not None:
        cards.append({"label": f"time lag ({lag.get('metric', '')})", "value": f"{_num(lag['mean_months'], 1)} months",
                      "detail": f"{lag.get('follower')} behind {lag.get('leader')}; range "
                                f"{_num(lag.get('min_months'), 1)}–{_num(lag.get('max_months'), 1)} months",
                      "href": "#lag"})
    gens = report.get("generations") or []
    if gens:
        worst = max(gens, key=lambda g: g.get("generations_behind") or 0)
        cards.append({"label": "generations behind", "value": f"{worst.get('generations_behind')} (max)",
                      "detail": f"{worst.get('model')}; newest: {worst.get('newest')}", "href": "#generations"})
    claims = report.get("claims") or []
    if claims:
        n = Counter(str(c.get("verdict", "untested")).lower() for c in claims)
        cards.append({"label": "claims", "value": f"{n['supported']} supported · {n['contradicted']} contradicted",
                      "detail": f"of {len(claims)} vendor claims checked against stored scores; "
                                f"{n['inconclusive']} inconclusive, {n['untested']} untested", "href": "#claims"})
    cost = report.get("cost") or []
    if cost:
        priced = [c["cost_usd"] for c in cost if c.get("cost_usd") is not None]
        unknown = sum(1 for c in cost if c.get("cost_usd") is None)
        total = sum(priced)
        if not unknown:
            value = _money(total)
        else:
            value = f"≥ {_money(total)}" if total > 0 else "price unknown"
        cards.append({"label": "cost", "value": value,
                      "detail": f"{sum(c['input_tokens'] for c in cost):,} in + {sum(c['output_tokens'] for c in cost):,} "
                                f"out tokens" + (f"; {unknown} of {len(cost)} runs without a known price" if unknown else ""),
                      "href": "#cost"})
    dis = report.get("disagreements")
    if dis:
        total = report["meta"].get("disagreements_total", len(dis))
        cards.append({"label": "disagreements", "value": f"{total:,} items",
                      "detail": f"{report['meta'].get('a')} vs {report['meta'].get('b')}, raw answers side by side",
                      "href": "#disagreements"})
    return cards


def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=autoescape,
                             trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(num=_num, money=_money, pretty_json=_pretty_json, text=_text, md=_md_cell, preview=_preview,
                       cc=charts.country_code)
    env.globals.update(unavailable=unavailable, titles=SECTION_TITLES, significant=charts.significant)
    env.globals["ratings_chart"] = ratings_chart  # the ratings section (issue #10), leaderboard.html.j2
    return env


# ---------------------------------------------------------------------------------------------- html
def render_html(report: dict[str, Any]) -> str:
    models = [r["model"] for r in report.get("leaderboard") or []] + [r["model"] for r in report.get("cost") or []]
    countries = {r["model"]: r.get("country") for r in (report.get("leaderboard") or []) + (report.get("cost") or [])}
    colours = charts.model_colours(sorted(set(models)), countries)
    figures: dict[str, Markup] = {}
    if report.get("leaderboard"):
        figures["leaderboard"] = charts.leaderboard_svg(report["leaderboard"], colours)
    if report.get("gap_matrix") and report["gap_matrix"].get("cells"):
        figures["gap_matrix"] = charts.heatmap_svg(report["gap_matrix"])
    if report.get("lag"):
        figures["lag"] = charts.lag_svg(report["lag"], colours)
    if report.get("cost"):
        figures["cost"] = charts.cost_svg(report["cost"], colours)
    dis = report.get("disagreements") or []
    unpriced = sorted({c["model"] for c in report.get("cost") or [] if c.get("cost_usd") is None})
    template = _env(True).get_template("report.html.j2")
    return template.render(
        r=report, meta=report["meta"], figures=figures, colours=colours, countries=countries,
        cards=summary(report), sections=[s for s in SECTION_TITLES], verdicts=VERDICTS,
        dis_tasks=sorted({d["task"] for d in dis}), unpriced=unpriced,
    )


# ---------------------------------------------------------------------------------------------- markdown
def _md_cell(x: Any, limit: int | None = None) -> str:
    """One Markdown table cell: no newlines or pipes, HTML-special characters escaped (model text is hostile)."""
    s = _text(x)
    s = " ".join(s.split())
    if limit and len(s) > limit:
        s = s[: limit - 1] + "…"
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
            .replace("`", "\\`"))


def render_markdown(report: dict[str, Any]) -> str:
    template = _env(False).get_template("report.md.j2")
    return template.render(r=report, meta=report["meta"], cards=summary(report), sections=list(SECTION_TITLES))
