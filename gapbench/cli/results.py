"""`gapbench results`: everything in the store, recomputed from stored scores."""

from __future__ import annotations

import click

from gapbench.cli.common import console, db_option, json_option, print_json, results_table
from gapbench.errors import GapbenchError
from gapbench.store.db import Store, resolve_db_path
from gapbench.store.results import results_from_store


@click.command("results")
@db_option
@click.option("--model", default=None, help="Only this model.")
@click.option("--task", default=None, help="Only this task.")
@json_option
def results_cmd(db, model, task, as_json):
    """Print accuracy per (model, task) with n and a 95% interval, for everything in the store."""
    path = resolve_db_path(db)
    if not path.exists():
        raise GapbenchError(f"--db {path}: no such store (run `gapbench run` first)")
    store = Store(path)
    try:
        results = results_from_store(store, model=model, task=task)
    finally:
        store.close()
    if as_json:
        print_json({"results": [r.to_json() for r in results]})
    else:
        console().print(results_table(results, title=f"Results in {path}"))
