"""`gapbench results`: everything in the store, recomputed from stored scores."""

from __future__ import annotations

import click

from gapbench.cli.common import console, db_option, json_option, print_json, results_table
from gapbench import settings
from gapbench.schema.results import ResultsList
from gapbench.store.db import Store
from gapbench.store.results import results_from_store


@click.command("results")
@db_option
@click.option("--model", default=None, help="Only this model.")
@click.option("--task", default=None, help="Only this task.")
@json_option
def results_cmd(db, model, task, as_json):
    """Print accuracy per (model, task) with n and a 95% interval, for everything in the store."""
    path = settings.db_path(db)
    with Store.existing(path) as store:
        results = results_from_store(store, model=model, task=task)
    if as_json:
        print_json(ResultsList(results=results).to_json())
    else:
        console().print(results_table(results, title=f"Results in {path}"))
