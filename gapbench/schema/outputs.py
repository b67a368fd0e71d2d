"""Which model each --json output follows, and the JSON Schema document built from them.

Each command's output is a pydantic model; `gapbench schema` prints their JSON Schemas, and
docs/gapbench.schema.json holds the same text (a test keeps it in step with the code).
"""

from __future__ import annotations

import json
from typing import Any

from gapbench.schema.base import Record
from gapbench.schema.comparison import Comparison, GroupComparison
from gapbench.schema.gap import ClaimsReport, LagSeries
from gapbench.schema.judging import JudgeReport
from gapbench.schema.leaderboard import Leaderboard
from gapbench.schema.report import Report
from gapbench.schema.results import Result, ResultsList
from gapbench.schema.run import RunSummary

# command -> the model its JSON output follows
OUTPUTS: dict[str, type[Record]] = {
    "run": RunSummary,
    "results": ResultsList,
    "compare": Comparison,
    "compare-groups": GroupComparison,
    "lag": LagSeries,
    "claims": ClaimsReport,
    "report": Report,
    "judge": JudgeReport,
    "leaderboard": Leaderboard,
}


def json_schema() -> dict[str, Any]:
    """One JSON Schema document: {"outputs": {command: schema}} with shared definitions inlined per command."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "gapbench JSON outputs",
        "description": "The shape of `gapbench <command> --json` (and `gapbench report --format json`).",
        "outputs": {name: model.model_json_schema(mode="serialization") for name, model in OUTPUTS.items()},
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"



