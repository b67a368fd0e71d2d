"""`gapbench schema`: the JSON Schema that every --json output follows."""

from __future__ import annotations

import json
import sys

import click

from gapbench.errors import GapbenchError


@click.command("schema")
@click.argument("command", required=False, metavar="[COMMAND]")
def schema_cmd(command):
    """Print the JSON Schema of the --json outputs (all of them, or one: run, results, compare,
    compare-groups, lag, claims, report)."""
    from gapbench.schema.outputs import OUTPUTS, json_schema, schema_text

    if command is None:
        sys.stdout.write(schema_text())
        return
    if command not in OUTPUTS:
        raise GapbenchError(f"schema: unknown command '{command}' (known: {', '.join(OUTPUTS)})")
    sys.stdout.write(json.dumps(json_schema()["outputs"][command], indent=2, ensure_ascii=False, sort_keys=True) + "\n")
