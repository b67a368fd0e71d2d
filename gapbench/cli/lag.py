"""`gapbench lag`: how many months a follower group (China) trails a leader group (the US), from published data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.table import Table

from gapbench.catalog.published import load_published
from gapbench.cli.common import console, json_option, print_json
from gapbench import settings
from gapbench.errors import GapbenchError
from gapbench.gap.lag import lag_series
from gapbench.schema.gap import LagSeries

EPOCH_REL = Path("published") / "epoch-eci" / "epoch_capabilities_index.csv"


def _default_source() -> Path:
    base = settings.data_dir()
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


def _place(model: str, task: str | None, db: str | None, records, metric: str, leader: str, threshold: float,
           frontier: str) -> dict:
    """A model's own measured score placed on the leader's published frontier of the same metric."""
    from gapbench.errors import GapbenchError
    from gapbench.gap.lag import place_on_frontier
    from gapbench.stats.intervals import mean_interval
    from gapbench.store.db import Store

    if not task:
        raise GapbenchError("--place: give --task, the stored task measuring the same thing as --metric")
    path = settings.db_path(db)
    with Store.existing(path) as store:
        values = [r.value for r in store.scores(model=model, task=task)]
    if not values:
        raise GapbenchError(f"--place {model}: no scores for task {task} in {path}")
    mean, low, high = mean_interval(values)
    scale = 100.0 if max((r.value for r in records if r.metric == metric), default=1.0) > 1.5 else 1.0
    placed = place_on_frontier(mean * scale, records, leader=leader, threshold=threshold, frontier=frontier,
                               metric=metric)
    return {"model": model, "task": task, "value": mean * scale, "ci_low": low * scale, "ci_high": high * scale,
            "n": len(values), **placed}


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
@click.option("--place", "place_model", default=None, metavar="MODEL",
              help="Also place a model measured by gapbench on the leader's frontier: its mean score on --task "
                   "(from --db) on the metric's scale → 'scores like the frontier of <date>, N months behind'.")
@click.option("--task", "place_task", default=None, metavar="TASK", help="With --place: the stored task to use.")
@click.option("--db", default=None, help="With --place: the store (default $GAPBENCH_DB, else ./gapbench.db).")
@json_option
def lag_cmd(source, metric, leader, follower, start, end, threshold, step, frontier, place_model, place_task, db,
            as_json):
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
    if place_model:
        result["placed"] = _place(place_model, place_task, db, records, metric, leader, threshold, frontier)
    if as_json:
        print_json(LagSeries.model_validate(result).to_json())
        return
    out = console()
    if result.get("placed"):
        pl = result["placed"]
        at_least = "at least " if pl.get("censored") else ""
        where = (f"scores like the {leader} frontier of {pl['matches_frontier_of']} → {at_least}"
                 f"{pl['months_behind']:.1f} months behind (as of {pl['at_date']})" if pl.get("matches_frontier_of")
                 else f"is above every {leader} score in the data")
        if pl.get("censored"):
            where += f"; the {leader}'s earliest score in the data is already higher"
        out.print(f"{place_model}: {place_task} {pl['value']:.3f} (n={pl['n']}) {where}", highlight=False)
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
