"""People's pairwise votes on two stored answers to the same prompt (the arena page): a table of the store.

A vote keeps everything needed to read it again without the server: the prompt (the user turns shown), both
answers' cache keys, which model was shown on the left, the voter's name, when the pair was shown and voted, and
the verdict. The two models of a pair are kept in name order (model_a < model_b); the verdict is in model terms:
"a" (model_a's answer better), "b", "tie" or "both_bad" (both answers bad: its own verdict here; ratings count it
as a tie). Each vote is committed before the server answers. A voter votes on a pair (task, sample, two models) at
most once: the UNIQUE index refuses a second vote, so two tabs of one voter cannot count a pair twice.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass

from gapbench.store.db import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
  vote_id INTEGER PRIMARY KEY AUTOINCREMENT,
  voter TEXT NOT NULL,
  task TEXT NOT NULL,
  sample_id TEXT NOT NULL,
  language TEXT NOT NULL,
  model_a TEXT NOT NULL,
  model_b TEXT NOT NULL,
  keys_a TEXT NOT NULL,
  keys_b TEXT NOT NULL,
  left_model TEXT NOT NULL,
  prompt TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('a', 'b', 'tie', 'both_bad')),
  shown_at REAL NOT NULL,
  created_at REAL NOT NULL,
  CHECK (model_a < model_b),
  CHECK (left_model IN (model_a, model_b))
);
CREATE UNIQUE INDEX IF NOT EXISTS votes_once ON votes (voter, task, sample_id, model_a, model_b);
"""
VERDICTS = ("a", "b", "tie", "both_bad")
COLUMNS = ("voter", "task", "sample_id", "language", "model_a", "model_b", "keys_a", "keys_b", "left_model", "prompt",
           "verdict", "shown_at", "created_at")


def has_votes(store: Store) -> bool:
    """Whether the store holds a vote, without creating the table (commands that only read)."""
    found = store.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='votes'").fetchone()
    return found is not None and store.conn.execute("SELECT 1 FROM votes LIMIT 1").fetchone() is not None


class AlreadyVoted(Exception):
    """This voter has a vote on this pair already (another tab, or a form sent twice)."""


@dataclass(frozen=True)
class VoteRow:
    """One person's verdict on one pair of answers; `pair` names the pair whatever the voter."""

    voter: str
    task: str
    sample_id: str
    language: str
    model_a: str
    model_b: str
    keys_a: tuple[str, ...]
    keys_b: tuple[str, ...]
    left_model: str
    prompt: tuple[str, ...]  # the user turns shown
    verdict: str
    shown_at: float
    created_at: float = 0.0
    vote_id: int | None = None

    @property
    def pair(self) -> tuple[str, str, str, str]:
        return (self.task, self.sample_id, self.model_a, self.model_b)

    @classmethod
    def from_row(cls, r) -> "VoteRow":
        return cls(vote_id=r["vote_id"], voter=r["voter"], task=r["task"], sample_id=r["sample_id"],
                   language=r["language"], model_a=r["model_a"], model_b=r["model_b"],
                   keys_a=tuple(json.loads(r["keys_a"])), keys_b=tuple(json.loads(r["keys_b"])),
                   left_model=r["left_model"], prompt=tuple(json.loads(r["prompt"])), verdict=r["verdict"],
                   shown_at=r["shown_at"], created_at=r["created_at"])


class Votes:
    """The votes table on a store's connection (created when first opened)."""

    def __init__(self, store: Store):
        self.conn = store.conn
        self.conn.executescript(SCHEMA)

    def add(self, vote: VoteRow) -> int:
        """Store and commit one vote; its id. AlreadyVoted if this voter voted on this pair before."""
        if vote.verdict not in VERDICTS:
            raise ValueError(f"verdict {vote.verdict!r} is not one of {VERDICTS}")
        if not vote.model_a < vote.model_b or vote.left_model not in (vote.model_a, vote.model_b):
            raise ValueError("a vote's models are in name order and one of them is on the left")
        values = (vote.voter, vote.task, vote.sample_id, vote.language, vote.model_a, vote.model_b,
                  json.dumps(list(vote.keys_a)), json.dumps(list(vote.keys_b)), vote.left_model,
                  json.dumps(list(vote.prompt), ensure_ascii=False), vote.verdict, vote.shown_at,
                  vote.created_at or time.time())
        try:
            with self.conn:  # one transaction: committed on success, rolled back on error
                cur = self.conn.execute(f"INSERT INTO votes ({','.join(COLUMNS)}) VALUES "
                                        f"({','.join('?' * len(COLUMNS))})", values)
        except sqlite3.IntegrityError as e:
            if "votes_once" in str(e) or "UNIQUE" in str(e):
                raise AlreadyVoted(f"{vote.voter} already voted on {vote.task}/{vote.sample_id}") from None
            raise
        return int(cur.lastrowid)

    def get(self, vote_id: int) -> VoteRow | None:
        row = self.conn.execute("SELECT * FROM votes WHERE vote_id=?", (vote_id,)).fetchone()
        return None if row is None else VoteRow.from_row(row)

    def all(self, voter: str | None = None) -> list[VoteRow]:
        sql, args = "SELECT * FROM votes", ()
        if voter is not None:
            sql, args = sql + " WHERE voter=?", (voter,)
        return [VoteRow.from_row(r) for r in self.conn.execute(sql + " ORDER BY vote_id", args)]

    def pair_counts(self) -> dict[tuple[str, str, str, str], int]:
        """{(task, sample_id, model_a, model_b): votes on that pair, all voters}."""
        rows = self.conn.execute("SELECT task, sample_id, model_a, model_b, COUNT(*) AS n FROM votes "
                                 "GROUP BY task, sample_id, model_a, model_b")
        return {(r["task"], r["sample_id"], r["model_a"], r["model_b"]): int(r["n"]) for r in rows}

    def voted_by(self, voter: str) -> set[tuple[str, str, str, str]]:
        rows = self.conn.execute("SELECT task, sample_id, model_a, model_b FROM votes WHERE voter=?", (voter,))
        return {(r["task"], r["sample_id"], r["model_a"], r["model_b"]) for r in rows}

    def count(self, voter: str | None = None) -> int:
        if voter is None:
            return int(self.conn.execute("SELECT COUNT(*) FROM votes").fetchone()[0])
        return int(self.conn.execute("SELECT COUNT(*) FROM votes WHERE voter=?", (voter,)).fetchone()[0])
