"""The base of every typed record that leaves the store: strict fields, one JSON form."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """A typed result (score, run summary, comparison, lag series, claim verdict, report section).

    Unknown fields are rejected, so the JSON schema generated from these classes is exactly what
    `--json` prints (`gapbench schema` writes it)."""

    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
