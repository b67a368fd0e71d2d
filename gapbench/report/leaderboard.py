"""The report's ratings section: Bradley–Terry ratings from arena votes and judges' pairwise verdicts (issue #10).

`ratings_section` builds the data (the `gapbench leaderboard --json` object) when the store holds votes or pairwise
verdicts, and None otherwise: a store without them has no such section. `ratings_chart` draws each board as
inline SVG: a dot per model at its rating and a whisker for its 95% interval, on one Elo axis shared by every board
of the report, with the anchor's rating as a dashed line. Model names and labels are escaped.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from gapbench.catalog.catalog import stored_model_facts
from gapbench.gap.leaderboard import build_leaderboard, scope_label
from gapbench.report.charts import _nice_ticks, _short, _svg, _text, _title, model_colours
from gapbench.store.db import Store
from gapbench.store.votes import has_votes

N_BOOT = 1000


def ratings_section(store: Store, n_boot: int = N_BOOT, seed: int = 0) -> dict[str, Any] | None:
    """The leaderboard of every source, on all prompts, per language and per task; None without pairwise data."""
    if not has_votes(store) and not store.verdicts():
        return None
    return build_leaderboard(store, n_boot=n_boot, seed=seed).to_json()


def _axis(section: dict) -> tuple[float, float]:
    values = [v for b in section["boards"] for r in b["ratings"] if r["finite"]
              for v in (r["ci_low"], r["ci_high"], r["rating"])]
    values += [b["anchor_rating"] for b in section["boards"]]
    lo, hi = min(values), max(values)
    pad = max(20.0, 0.05 * (hi - lo))
    return lo - pad, hi + pad


def board_svg(board: dict, axis: tuple[float, float], colours: dict[str, str]) -> Markup:
    ratings = board["ratings"]
    width, left, right, top, row_h = 900, 250, 190, 40, 22
    plot_w = width - left - right
    height = top + row_h * len(ratings) + 16
    lo, hi = axis

    def x(v: float) -> float:
        return left + plot_w * (min(max(v, lo), hi) - lo) / (hi - lo)

    title = (f"{board['source']} · {scope_label(board['scope'], board['name'])} · {board['n_battles']} battles on "
             f"{board['n_prompts']} prompts" + (" · style controlled" if board["style_control"] else ""))
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
            _text(8, 16, _short(title, 120), "start", 12.5, "#222", "bold")]
    for t in _nice_ticks(lo, hi, 6):
        body.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top - 8}" y2="{height - 8}" stroke="#ececec"/>')
        body.append(_text(x(t), top - 11, f"{t:.0f}", "middle", 10.5, "#777"))
    ax = x(board["anchor_rating"])
    body.append(f'<line x1="{ax:.1f}" x2="{ax:.1f}" y1="{top - 6}" y2="{height - 8}" stroke="#888" '
                f'stroke-dasharray="4 3"/>')
    for i, r in enumerate(ratings):
        cy = top + row_h * i + row_h / 2
        c = colours.get(r["model"], "#555")
        bound = "" if r["finite"] else " (bound: won or lost every battle)"
        tip = (f"{r['model']}: {r['rating']:.0f} [{r['ci_low']:.0f}, {r['ci_high']:.0f}]{bound}; "
               f"{r['wins']} wins, {r['ties']} ties, {r['losses']} losses")
        body.append("<g>" + _title(tip))
        anchor_mark = " (anchor)" if r["model"] == board["anchor"] else ""
        body.append(_text(left - 10, cy + 4, _short(r["model"], 34) + anchor_mark, "end", 12, "#222"))
        if board["n_boot"] and r["ci_high"] > r["ci_low"]:
            dash = "" if r["finite"] else ' stroke-dasharray="3 3"'
            body.append(f'<line x1="{x(r["ci_low"]):.1f}" x2="{x(r["ci_high"]):.1f}" y1="{cy:.1f}" y2="{cy:.1f}" '
                        f'stroke="{c}" stroke-width="2.4"{dash}/>')
        body.append(f'<circle cx="{x(r["rating"]):.1f}" cy="{cy:.1f}" r="5.5" fill="{c}" stroke="#fff"/>')
        shown = f"{r['rating']:.0f}" + (f" [{r['ci_low']:.0f}, {r['ci_high']:.0f}]" if board["n_boot"] else "")
        body.append(_text(left + plot_w + 10, cy + 4, shown + ("" if r["finite"] else " bound"), "start", 11.5, "#333"))
        body.append("</g>")
    return _svg(width, height, body, f"Bradley-Terry ratings, {title}")


def ratings_chart(section: dict | None) -> dict[str, Markup]:
    """{board key: SVG} for every board of the section (key: source|scope|name)."""
    if not section or not section.get("boards"):
        return {}
    models = sorted({r["model"] for b in section["boards"] for r in b["ratings"]})
    colours = model_colours(models, {m: stored_model_facts(m)["country"] for m in models})
    axis = _axis(section)
    return {f"{b['source']}|{b['scope']}|{b['name']}": board_svg(b, axis, colours) for b in section["boards"]}
