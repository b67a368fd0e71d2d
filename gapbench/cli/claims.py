"""`gapbench claims`: a verdict for each vendor claim, from own runs or independent published data."""

from __future__ import annotations

import click
from rich.table import Table

from gapbench import settings
from gapbench.cli.common import console, data_dir_option, json_option, print_json
from gapbench.gap.claims import ECI_FILE, LMARENA_FILE, check_claims, load_claims, published_rows
from gapbench.schema.gap import ClaimsReport
from gapbench.store.db import Store

COLOURS = {"supported": "green", "contradicted": "red", "inconclusive": "yellow", "untested": "dim"}


@click.command("claims")
@click.option("--file", "claims_file", type=click.Path(dir_okay=False), default=None,
              help="A claims YAML file (default: the claims gapbench ships).")
@click.option("--db", default=None, help="Store with own runs (default $GAPBENCH_DB, else ./gapbench.db).")
@click.option("--eci", default=None, help=f"Epoch ECI CSV (default: DATA/{ECI_FILE} when present).")
@click.option("--lmarena", default=None, help=f"LMArena CSV (default: DATA/{LMARENA_FILE} when present).")
@data_dir_option
@json_option
def claims_cmd(claims_file, db, eci, lmarena, data_dir, as_json):
    """Check vendor claims: supported, contradicted, inconclusive or untested, with the evidence.

    Evidence is own paired runs where the store has them, else independent published data
    (Epoch Capabilities Index, LMArena); never the vendor's own numbers.
    """
    claims = load_claims(claims_file)
    eci_data, arena_data = published_rows(settings.data_dir(data_dir), eci, lmarena)
    path = settings.db_path(db)
    store = Store(path) if path.exists() else None
    try:
        verdicts = check_claims(claims, store, eci_data, arena_data)
    finally:
        if store is not None:
            store.close()
    if as_json:
        print_json(ClaimsReport.model_validate({
            "claims": verdicts, "sources": {"db": str(path) if store else None, "eci": eci_data is not None,
                                            "lmarena": arena_data is not None}}).to_json())
        return
    table = Table(title="Vendor claims")
    for col in ("claim", "source", "verdict", "evidence"):
        table.add_column(col)
    for v in verdicts:
        table.add_row(v["claim"], f"{v['source']} ({v['date']})", f"[{COLOURS[v['verdict']]}]{v['verdict']}[/]",
                      v["evidence"])
    console().print(table)
