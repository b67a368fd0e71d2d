"""`gapbench report`: everything in the store as one self-contained HTML page (or Markdown, or JSON)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gapbench.cli.common import data_dir_option, db_option
from gapbench import settings
from gapbench.errors import GapbenchError
from gapbench.store.db import Store

DEFAULT_OUT = {"html": "report.html", "md": "report.md", "json": "report.json"}


@click.command("report")
@db_option
@click.option("--out", "out", default=None, metavar="FILE",
              help="Where to write (default: report.html / report.md / report.json; '-' for stdout).")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True,
              help="html: one self-contained page with charts (works offline); md: Markdown tables; json: the data.")
@click.option("--a", "a", default=None, metavar="MODEL",
              help="Model a of the item-by-item comparison (default: of the two models sharing most items, the US one).")
@click.option("--b", "b", default=None, metavar="MODEL", help="Model b of the comparison (diff = a - b).")
@click.option("--title", default=None, help="Title of the report.")
@click.option("--claims", "claims_file", default=None, metavar="FILE", help="Claims YAML (default: the shipped claims).")
@data_dir_option
def report_cmd(db, out, fmt, a, b, title, claims_file, data_dir):
    """Write a report of the store: leaderboard with 95% intervals, capability x language gap heatmap,
    time lag, cost vs quality, claims, the items two models disagree on, and the run manifests."""
    from gapbench.report import build_report, render_report
    from gapbench.report.published import published_sections

    with Store.existing(settings.db_path(db)) as store:
        extra = published_sections(settings.data_dir(data_dir), store, claims_file)
        report = build_report(store, a=a, b=b, title=title, extra=extra)
    text = render_report(report, fmt)
    target = out or DEFAULT_OUT[fmt]
    missing = report["meta"].get("unavailable") or {}
    note = f"; not available: {', '.join(missing)}" if missing else ""
    if target == "-":
        sys.stdout.write(text)
        return
    try:
        Path(target).write_text(text, encoding="utf-8")
    except OSError as e:
        raise GapbenchError(f"--out {target}: {e.strerror}") from None
    click.echo(f"wrote {target} ({fmt}, {len(text.encode()):,} bytes){note}")
