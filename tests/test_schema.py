"""Every --json output follows the documented JSON Schema (`gapbench schema`, docs/gapbench.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO, gapbench_cli
from fakeserver import FakeServer, chat_body
from test_contracts import write_task


@pytest.fixture(scope="module")
def schema() -> dict:
    proc = gapbench_cli("schema")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def validate(schema: dict, command: str, stdout: str) -> dict:
    data = json.loads(stdout)
    jsonschema.validate(data, schema["outputs"][command])
    return data


def test_the_shipped_schema_document_is_what_the_code_prints(schema):
    shipped = json.loads((REPO / "docs" / "gapbench.schema.json").read_text(encoding="utf-8"))
    assert shipped == schema, "docs/gapbench.schema.json is stale: run `gapbench schema > docs/gapbench.schema.json`"
    assert set(schema["outputs"]) == {"run", "results", "compare", "compare-groups", "lag", "claims", "report", "judge",
                                      "leaderboard"}


def test_the_schema_rejects_what_it_does_not_document(schema):
    good = {"model_calls": 0, "cache_hits": 0, "errors": 0, "skipped": 0, "notes": [], "results": []}
    jsonschema.validate(good, schema["outputs"]["run"])
    for bad in ({**good, "surprise": 1}, {k: v for k, v in good.items() if k != "errors"}, {**good, "errors": "x"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema["outputs"]["run"])


@pytest.fixture(scope="module")
def store_of_two(tmp_path_factory) -> tuple[Path, dict]:
    """Two API models (a local stand-in) on a maths task and a translation task: a store to compare and report."""
    tmp = tmp_path_factory.mktemp("schema")
    server = FakeServer()

    def reply(handler):
        body = server.requests[-1]["body"]
        question = body["messages"][-1]["content"]
        n = int(question.split()[2]) if question.startswith("What is") else 0
        right = body["model"] == "strong" or n % 2 == 0
        return 200, {}, chat_body(f"The answer is {2 * n if right else 2 * n + 1}.")

    server.default = reply
    task = write_task(tmp, n=12)
    db = tmp / "g.db"
    try:
        runs = {}
        for model in ("strong", "weak"):
            proc = gapbench_cli("run", "--model", f"openai/{model}", "--base-url", server.url + "/v1",
                                "--task", str(task), "--db", str(db), "--json")
            assert proc.returncode == 0, proc.stderr
            runs[model] = proc.stdout
    finally:
        server.close()
    return db, runs


def test_run_results_and_compare_outputs_validate(schema, store_of_two):
    db, runs = store_of_two
    strong = validate(schema, "run", runs["strong"])
    assert strong["results"][0]["score"] == 1.0 and strong["results"][0]["metric"] == "accuracy"
    assert validate(schema, "run", runs["weak"])["results"][0]["score"] == 0.5
    proc = gapbench_cli("results", "--db", str(db), "--json")
    assert len(validate(schema, "results", proc.stdout)["results"]) == 2
    proc = gapbench_cli("compare", "--a", "openai/strong", "--b", "openai/weak", "--db", str(db), "--json")
    assert proc.returncode == 0, proc.stderr
    assert validate(schema, "compare", proc.stdout)["tasks"][0]["diff"] == 0.5
    proc = gapbench_cli("compare", "--group-a", "openai/strong", "--group-b", "openai/weak", "--db", str(db), "--json")
    assert proc.returncode == 0, proc.stderr
    validate(schema, "compare-groups", proc.stdout)


def test_report_json_validates(schema, store_of_two, tmp_path, data_dir):
    db, _ = store_of_two
    out = tmp_path / "r.json"
    proc = gapbench_cli("report", "--db", str(db), "--format", "json", "--out", str(out), "--data-dir", str(data_dir))
    assert proc.returncode == 0, proc.stderr
    report = validate(schema, "report", out.read_text(encoding="utf-8"))
    assert {"leaderboard", "gap_matrix", "lag", "claims", "manifests"} <= set(report)


def test_lag_and_claims_outputs_validate(schema, data_dir, store_of_two):
    db, _ = store_of_two
    proc = gapbench_cli("lag", "--json", env={"GAPBENCH_DATA": str(data_dir)})
    assert proc.returncode == 0, proc.stderr
    lag = validate(schema, "lag", proc.stdout)
    assert lag["series"] and lag["mean_months"] > 0
    proc = gapbench_cli("claims", "--json", "--db", str(db), "--data-dir", str(data_dir))
    assert proc.returncode == 0, proc.stderr
    claims = validate(schema, "claims", proc.stdout)
    assert {c["verdict"] for c in claims["claims"]} >= {"supported", "untested"}
