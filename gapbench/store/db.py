"""SQLite store: raw responses (the cache), scores, errors, permanent failures and run manifests.

Every response is committed the moment it arrives, so `kill -9` loses at most the calls in flight.
API keys are never passed to this module. Raw SQL stays here: everything above reads typed rows
(gapbench.store.rows) through the methods of `Store`.
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
from gapbench.store.rows import ErrorRow, RunRow, ScoreRow, StoredResponse, VerdictRow
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
CREATE TABLE IF NOT EXISTS verdicts (
  judge TEXT NOT NULL,
  task TEXT NOT NULL,
  sample_id TEXT NOT NULL,
  turn TEXT NOT NULL,
  model_a TEXT NOT NULL,
  model_b TEXT NOT NULL,
  first TEXT NOT NULL,
  second TEXT NOT NULL,
  verdict TEXT NOT NULL,
  language TEXT NOT NULL,
  category TEXT,
  cache_keys TEXT NOT NULL,
  created_at REAL NOT NULL,
  PRIMARY KEY (judge, task, sample_id, turn, model_a, model_b)
);
CREATE TABLE IF NOT EXISTS failures (
  cache_key TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  message TEXT NOT NULL,
  created_at REAL NOT NULL
);
"""
# Columns added after the first release: (table, column, type). Old stores gain them when opened.
MIGRATIONS = (("scores", "scorer", "TEXT"), ("scores", "metric", "TEXT"), ("scores", "metrics", "TEXT"),
              ("errors", "retryable", "INTEGER DEFAULT 1"))
SCORE_COLUMNS = ("model", "task", "method", "sample_id", "task_hash", "language", "capability", "value",
                 "extracted", "target", "cache_keys", "details", "run_id", "scorer", "metric", "metrics")


def cache_key(info: ModelInfo, request: Request) -> str:
    """Hash of everything that changes the answer: provider, model identity (weights, base URL, settings
    such as a local model's context size), generation parameters and the exact messages."""
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
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise GapbenchError(f"--db {self.path}: not a usable SQLite database ({e})") from None
        self.conn.row_factory = sqlite3.Row

    @classmethod
    def existing(cls, path: str | os.PathLike) -> "Store":
        """Open a store that must already exist (commands that only read)."""
        if not Path(path).exists():
            raise GapbenchError(f"--db {path}: no such store (run `gapbench run` first)")
        return cls(path)

    def _migrate(self) -> None:
        for table, column, kind in MIGRATIONS:
            have = {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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
        self.conn.execute("DELETE FROM failures WHERE cache_key=?", (key,))
        self.conn.commit()

    def responses(self, keys: Iterable[str]) -> dict[str, StoredResponse]:
        """The stored responses of these cache keys (missing keys are left out)."""
        keys, out = list(keys), {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            sql = f"SELECT * FROM responses WHERE cache_key IN ({','.join('?' * len(chunk))})"
            for row in self.conn.execute(sql, chunk):
                out[row["cache_key"]] = StoredResponse.from_row(row)
        return out

    def token_counts(self, model: str) -> dict[str, tuple[int, int, str]]:
        """{cache_key: (input tokens, output tokens, identity JSON)} of one model's responses."""
        rows = self.conn.execute("SELECT cache_key, input_tokens, output_tokens, identity FROM responses "
                                 "WHERE model=?", (model,))
        return {r["cache_key"]: (r["input_tokens"] or 0, r["output_tokens"] or 0, r["identity"] or "") for r in rows}

    # permanent failures (400, context too long, unknown model): not asked again unless --retry-errors
    def put_failure(self, key: str, model: str, message: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO failures VALUES (?,?,?,?)", (key, model, message, time.time()))
        self.conn.commit()

    def get_failure(self, key: str) -> str | None:
        row = self.conn.execute("SELECT message FROM failures WHERE cache_key=?", (key,)).fetchone()
        return None if row is None else row["message"]

    # runs ------------------------------------------------------------------
    def start_run(self, model: str, task: str, method: str, manifest: dict[str, Any]) -> int:
        cur = self.conn.execute(
            "INSERT INTO runs (model, task, method, manifest, started_at) VALUES (?,?,?,?,?)",
            (model, task, method, json.dumps(manifest, ensure_ascii=False, sort_keys=True), time.time()),
        )
        self.conn.commit()
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, model_calls: int, cache_hits: int, errors: int,
                   manifest_extra: dict[str, Any] | None = None) -> None:
        """Close a run; `manifest_extra` adds what is known only at the end (per-replica counts) to its manifest."""
        if manifest_extra:
            row = self.conn.execute("SELECT manifest FROM runs WHERE run_id=?", (run_id,)).fetchone()
            merged = {**json.loads(row["manifest"]), **manifest_extra}
            self.conn.execute("UPDATE runs SET manifest=? WHERE run_id=?",
                              (json.dumps(merged, ensure_ascii=False, sort_keys=True), run_id))
        self.conn.execute(
            "UPDATE runs SET finished_at=?, model_calls=?, cache_hits=?, errors=? WHERE run_id=?",
            (time.time(), model_calls, cache_hits, errors, run_id),
        )
        self.conn.commit()

    def runs(self, finished_only: bool = False) -> list[RunRow]:
        sql = "SELECT * FROM runs" + (" WHERE finished_at IS NOT NULL" if finished_only else "") + " ORDER BY run_id"
        return [RunRow.from_row(r) for r in self.conn.execute(sql)]

    # scores and errors -----------------------------------------------------
    def put_score(self, run_id: int, model: str, task: Any, method: str, task_hash: str, sample_id: str,
                  target: str, score: Score, keys: Iterable[str], scorer: str | None = None,
                  metric: str | None = None) -> None:
        self.conn.execute(
            "DELETE FROM scores WHERE model=? AND task=? AND method=? AND task_hash<>?",
            (model, task.name, method, task_hash),
        )
        self.conn.execute(
            f"INSERT OR REPLACE INTO scores ({','.join(SCORE_COLUMNS)}) VALUES ({','.join('?' * len(SCORE_COLUMNS))})",
            (model, task.name, method, sample_id, task_hash, task.language, task.capability, score.value,
             score.extracted, target, json.dumps(list(keys)), json.dumps(score.details, ensure_ascii=False), run_id,
             scorer, metric, json.dumps(score.values)),
        )
        self.conn.commit()

    def put_error(self, run_id: int, model: str, task: str, method: str, sample_id: str, message: str,
                  retryable: bool = True) -> None:
        self.conn.execute("INSERT INTO errors (run_id, model, task, method, sample_id, message, created_at, retryable) "
                          "VALUES (?,?,?,?,?,?,?,?)",
                          (run_id, model, task, method, sample_id, message, time.time(), int(retryable)))
        self.conn.commit()

    def scores(self, model: str | None = None, task: str | None = None, method: str | None = None) -> list[ScoreRow]:
        sql, args = "SELECT * FROM scores WHERE 1=1", []
        for col, val in (("model", model), ("task", task), ("method", method)):
            if val is not None:
                sql += f" AND {col}=?"
                args.append(val)
        rows = self.conn.execute(sql + " ORDER BY model, task, method, sample_id", args)
        return [ScoreRow.from_row(r) for r in rows]

    def models(self) -> list[str]:
        """Models with at least one score, by name."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT model FROM scores ORDER BY model")]

    def shared_counts(self) -> dict[tuple[str, str], int]:
        """{(a, b): items both scored (same task, method, sample id)} for each pair of models, a < b."""
        rows = self.conn.execute(
            "SELECT x.model AS a, y.model AS b, COUNT(*) AS n FROM scores x JOIN scores y "
            "ON x.task=y.task AND x.method=y.method AND x.sample_id=y.sample_id AND x.model<y.model "
            "GROUP BY x.model, y.model").fetchall()
        return {(r["a"], r["b"]): int(r["n"]) for r in rows}

    def open_errors(self) -> list[ErrorRow]:
        """Errors of items that still have no score (a later run may have fixed them)."""
        rows = self.conn.execute(
            "SELECT e.* FROM errors e WHERE NOT EXISTS (SELECT 1 FROM scores s WHERE s.model=e.model "
            "AND s.task=e.task AND s.method=e.method AND s.sample_id=e.sample_id) ORDER BY e.created_at")
        return [ErrorRow.from_row(r) for r in rows]

    # pairwise verdicts (a judge's, in both orders) --------------------------
    def put_verdict(self, v: VerdictRow) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO verdicts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (v.judge, v.task, v.sample_id, v.turn, v.model_a, v.model_b, v.first, v.second, v.verdict, v.language,
             v.category, json.dumps(list(v.cache_keys)), time.time()))
        self.conn.commit()

    def verdicts(self, judge: str | None = None, task: str | None = None) -> list[VerdictRow]:
        sql, args = "SELECT * FROM verdicts WHERE 1=1", []
        for col, val in (("judge", judge), ("task", task)):
            if val is not None:
                sql += f" AND {col}=?"
                args.append(val)
        rows = self.conn.execute(sql + " ORDER BY judge, task, model_a, model_b, sample_id, turn", args)
        return [VerdictRow.from_row(r) for r in rows]
