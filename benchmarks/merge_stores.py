"""Merge gapbench stores written side by side (e.g. reference runs in two processes) into one.

    python benchmarks/merge_stores.py OUT.db IN1.db [IN2.db …]

Responses are keyed by their cache key (identical keys hold identical requests); runs get new ids and
the scores and errors that point at them follow.
"""

from __future__ import annotations

import sqlite3
import sys

from gapbench.store.db import Store


def merge(out: str, inputs: list[str]) -> None:
    Store(out).close()  # create the schema
    con = sqlite3.connect(out)
    for path in inputs:
        con.execute("ATTACH DATABASE ? AS src", (path,))
        con.execute("INSERT OR IGNORE INTO responses SELECT * FROM src.responses")
        offset = con.execute("SELECT COALESCE(MAX(run_id), 0) FROM runs").fetchone()[0]
        cols = [r[1] for r in con.execute("PRAGMA src.table_info(runs)")]
        rest = ", ".join(c for c in cols if c != "run_id")
        con.execute(f"INSERT INTO runs (run_id, {rest}) SELECT run_id + ?, {rest} FROM src.runs", (offset,))
        for table in ("scores", "errors"):
            cols = [r[1] for r in con.execute(f"PRAGMA src.table_info({table})")]
            sel = ", ".join("run_id + ?" if c == "run_id" else c for c in cols)
            con.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) SELECT {sel} FROM src.{table}", (offset,))
        con.commit()
        con.execute("DETACH DATABASE src")
    con.close()


if __name__ == "__main__":
    merge(sys.argv[1], sys.argv[2:])
