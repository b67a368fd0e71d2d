"""SQLite store: raw responses (the cache), scores, errors and run manifests.

Every response is committed the moment it arrives, so `kill -9` loses at most the calls in flight.
API keys are never passed to this module.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable

from gapbench.errors import GapbenchError
from gapbench.models.base import ModelInfo
from gapbench.types import Request, Response, Score

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
  cache_key TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  identity TEXT NOT NULL,
  kind TEXT NOT NULL,
  request TEXT NOT NULL,
  raw TEXT,
  text TEXT,
  reasoning TEXT,
  logprob REAL,
  is_greedy INTEGER,
  input_tokens INTEGER,
  output_tokens INTEGER,
  latency_s REAL,
  finish_reason TEXT,
  created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  run_id INTEGER PRIMARY KEY AUTOINCREMENT,
  model TEXT NOT NULL,
  task TEXT NOT NULL,
  method TEXT NOT NULL,
  manifest TEXT NOT NULL,
  started_at REAL NOT NULL,
  finished_at REAL,
  model_calls INTEGER DEFAULT 0,
  cache_hits INTEGER DEFAULT 0,
  errors INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS scores (
  model TEXT NOT NULL,
  task TEXT NOT NULL,
  method TEXT NOT NULL,
  sample_id TEXT NOT NULL,
  task_hash TEXT NOT NULL,
  language TEXT NOT NULL,
  capability TEXT NOT NULL,
  value REAL NOT NULL,
  extracted TEXT,
  target TEXT,
  cache_keys TEXT NOT NULL,
  details TEXT,
  run_id INTEGER,
  PRIMARY KEY (model, task, method, sample_id)
);
CREATE TABLE IF NOT EXISTS errors (
  run_id INTEGER,
  model TEXT NOT NULL,
  task TEXT NOT NULL,
  method TEXT NOT NULL,
  sample_id TEXT NOT NULL,
  message TEXT NOT NULL,
  created_at REAL NOT NULL
);
"""


def resolve_db_path(db: str | os.PathLike | None) -> Path:
    """--db, else $GAPBENCH_DB, else ./gapbench.db."""
    return Path(db or os.environ.get("GAPBENCH_DB") or "gapbench.db")


def cache_key(info: ModelInfo, request: Request) -> str:
    """Hash of everything that changes the answer: provider, model identity, base URL, params, messages."""
    payload = json.dumps({"model": info.identity(), "request": request.to_json()}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class Store:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(str(self.path), timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as e:
            raise GapbenchError(f"--db {self.path}: not a usable SQLite database ({e})") from None
        self.conn.row_factory = sqlite3.Row

    def close(self) -> None:
        self.conn.close()

    # responses -------------------------------------------------------------
    def get_response(self, key: str) -> Response | None:
        row = self.conn.execute("SELECT * FROM responses WHERE cache_key=?", (key,)).fetchone()
        if row is None:
            return None
        return Response(
            text=row["text"] or "", reasoning=row["reasoning"] or "", logprob=row["logprob"],
            is_greedy=None if row["is_greedy"] is None else bool(row["is_greedy"]),
            input_tokens=row["input_tokens"] or 0, output_tokens=row["output_tokens"] or 0,
            latency_s=row["latency_s"] or 0.0, raw=json.loads(row["raw"]) if row["raw"] else None,
            finish_reason=row["finish_reason"],
        )

    def put_response(self, key: str, model: str, info: ModelInfo, request: Request, r: Response) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO responses VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (key, model, json.dumps(info.identity(), sort_keys=True), request.kind,
             json.dumps(request.to_json(), ensure_ascii=False), json.dumps(r.raw, ensure_ascii=False, default=str),
             r.text, r.reasoning, r.logprob, None if r.is_greedy is None else int(r.is_greedy),
             r.input_tokens, r.output_tokens, r.latency_s, r.finish_reason, time.time()),
        )
        self.conn.commit()

    # runs ------------------------------------------------------------------
    def start_run(self, model: str, task: str, method: str, manifest: dict[str, Any]) -> int:
        cur = self.conn.execute(
            "INSERT INTO runs (model, task, method, manifest, started_at) VALUES (?,?,?,?,?)",
            (model, task, method, json.dumps(manifest, ensure_ascii=False, sort_keys=True), time.time()),
        )
        self.conn.commit()
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, model_calls: int, cache_hits: int, errors: int) -> None:
        self.conn.execute(
            "UPDATE runs SET finished_at=?, model_calls=?, cache_hits=?, errors=? WHERE run_id=?",
            (time.time(), model_calls, cache_hits, errors, run_id),
        )
        self.conn.commit()

    def manifests(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM runs WHERE finished_at IS NOT NULL ORDER BY run_id").fetchall()
        return [{**dict(r), "manifest": json.loads(r["manifest"])} for r in rows]

    # scores and errors -----------------------------------------------------
    def put_score(self, run_id: int, model: str, task: Any, method: str, task_hash: str, sample_id: str,
                  target: str, score: Score, keys: Iterable[str]) -> None:
        self.conn.execute(
            "DELETE FROM scores WHERE model=? AND task=? AND method=? AND task_hash<>?",
            (model, task.name, method, task_hash),
        )
        self.conn.execute(
            "INSERT OR REPLACE INTO scores VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (model, task.name, method, sample_id, task_hash, task.language, task.capability, score.value,
             score.extracted, target, json.dumps(list(keys)), json.dumps(score.details, ensure_ascii=False), run_id),
        )
        self.conn.commit()

    def put_error(self, run_id: int, model: str, task: str, method: str, sample_id: str, message: str) -> None:
        self.conn.execute("INSERT INTO errors VALUES (?,?,?,?,?,?,?)",
                          (run_id, model, task, method, sample_id, message, time.time()))
        self.conn.commit()

    def scores(self, model: str | None = None, task: str | None = None, method: str | None = None) -> list[sqlite3.Row]:
        sql, args = "SELECT * FROM scores WHERE 1=1", []
        for col, val in (("model", model), ("task", task), ("method", method)):
            if val is not None:
                sql += f" AND {col}=?"
                args.append(val)
        return self.conn.execute(sql + " ORDER BY model, task, method, sample_id", args).fetchall()

    def open_errors(self) -> list[sqlite3.Row]:
        """Errors of items that still have no score (a later run may have fixed them)."""
        return self.conn.execute(
            "SELECT e.* FROM errors e WHERE NOT EXISTS (SELECT 1 FROM scores s WHERE s.model=e.model "
            "AND s.task=e.task AND s.method=e.method AND s.sample_id=e.sample_id) ORDER BY e.created_at"
        ).fetchall()
