"""Typed results after the store: what gapbench prints with --json and what the report reads.

`gapbench.schema.outputs` maps each command to its model; `gapbench schema` prints the JSON Schemas.
"""
