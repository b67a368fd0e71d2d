"""`gapbench lag`: how many months a follower group (China) trails a leader group (the US), from published data."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click
from rich.table import Table

from gapbench.catalog.published import load_published
from gapbench.cli.common import console, json_option, print_json
from gapbench.errors import GapbenchError
from gapbench.gap.lag import lag_series

EPOCH_REL = Path("published") / "epoch-eci" / "epoch_capabilities_index.csv"


def _default_source() -> Path:
    base = Path(os.environ.get("GAPBENCH_DATA") or "data")
    path = base / EPOCH_REL
    if not path.exists():
        raise GapbenchError(f"--catalog: no published data at {path}; point --catalog at the Epoch ECI CSV "
                            f"(epoch_capabilities_index.csv), an llm-stats data folder or an LMArena CSV, "
                            f"or set GAPBENCH_DATA to a folder holding {EPOCH_REL}")
    return path


def _date_opt(value: str | None, flag: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise GapbenchError(f"{flag} {value}: not a YYYY-MM-DD date") from None


def _pick_metric(records, metric: str | None, source: str) -> str:
    metrics = sorted({r.metric for r in records})
    if metric is not None:
        if metric not in metrics:
            shown = ", ".join(metrics[:20]) + (f", ... ({len(metrics)} in all)" if len(metrics) > 20 else "")
            raise GapbenchError(f"--metric {metric}: not in {source} (metrics there: {shown})")
        return metric
    if len(metrics) == 1:
        return metrics[0]
    if "eci" in metrics:
        return "eci"
    shown = ", ".join(metrics[:20]) + (f", ... ({len(metrics)} in all)" if len(metrics) > 20 else "")
    raise GapbenchError(f"--metric: {source} has several metrics; choose one ({shown})")


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


@click.command("lag")
@click.option("--catalog", "source", default=None, metavar="FILE|DIR|URL",
              help="Published scores: the Epoch ECI CSV, an llm-stats data folder or an LMArena CSV, detected by "
                   "shape (default: $GAPBENCH_DATA/published/epoch-eci/epoch_capabilities_index.csv).")
@click.option("--metric", default=None, metavar="NAME",
              help="Metric when the source has several, e.g. an llm-stats benchmark id (default: eci, or the "
                   "source's only metric).")
@click.option("--leader", default="United States of America", show_default=True, metavar="GROUP",
              help="Leading group: a country (US, China, ...) or key=value on the records (developer=OpenAI).")
@click.option("--follower", default="China", show_default=True, metavar="GROUP", help="Trailing group, same forms.")
@click.option("--from", "start", default=None, metavar="DATE", help="First date evaluated, YYYY-MM-DD "
              "(default: the follower's first dated score).")
@click.option("--to", "end", default=None, metavar="DATE", help="Last date evaluated, YYYY-MM-DD (default: the newest score).")
@click.option("--threshold", type=float, default=None, metavar="X",
              help="Scores within X count as the same level (default: 1 for eci, as Epoch does; else 0).")
@click.option("--step", type=click.Choice(["release", "month"]), default="release", show_default=True,
              help="Evaluate at the follower's record-setting releases, or on the first of each month.")
@click.option("--frontier", type=click.Choice(["linear", "step"]), default="linear", show_default=True,
              help="Leader frontier between its records: straight lines, or a step on each release day.")
@json_option
def lag_cmd(source, metric, leader, follower, start, end, threshold, step, frontier, as_json):
    """Months the follower group trails the leader group: at each date, how long ago the leader first
    reached the follower's best score so far (Epoch AI's US-vs-China ECI reading by default)."""
    start_d, end_d = _date_opt(start, "--from"), _date_opt(end, "--to")
    src = source or str(_default_source())
    records = load_published(src)
    metric = _pick_metric(records, metric, src)
    if threshold is None:
        threshold = 1.0 if metric == "eci" else 0.0
    result = lag_series(records, leader=leader, follower=follower, start=start_d, end=end_d, threshold=threshold,
                        step=step, frontier=frontier, metric=metric)
    result["source"] = src
    if as_json:
        print_json(result)
        return
    out = console()
    if result["mean_months"] is None:
        out.print(f"No {follower} score on {metric} between {result['start']} and {result['end']} could be "
                  f"placed on the {leader} frontier.")
        return
    ci = ""
    if result.get("mean_ci_low") is not None:
        ci = f" [{result['mean_ci_low']:.1f}, {result['mean_ci_high']:.1f}]"
    out.print(f"{follower} is on average {result['mean_months']:.1f}{ci} months behind {leader} on {metric} "
              f"since {result['start']} (min {result['min_months']:.1f}, max {result['max_months']:.1f}; "
              f"{result['n']} {'releases' if step == 'release' else 'months'}, threshold {threshold:g}, "
              f"{frontier} frontier)", highlight=False)
    table = Table(title=f"{follower} vs {leader} on {metric} ({src})")
    for col in ("date", f"{follower} best", "score", f"{leader} reached it", "via", "months behind", "95% CI"):
        table.add_column(col, justify="right" if col in ("score", "months behind") else "left")
    for e in result["series"]:
        months = _fmt(e["lag_months"]) + (" (at least)" if e["censored"] else "")
        ci_txt = "" if e["ci_low"] is None else f"[{e['ci_low']:.1f}, {e['ci_high']:.1f}]"
        table.add_row(e["date"], e["follower_model"] or "", f"{e['follower_value']:.1f}", e["leader_reached"] or "never",
                      e["leader_model"] or "", months, ci_txt)
    out.print(table)
