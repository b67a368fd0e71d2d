"""The report's published sections: Epoch lag with both frontiers, the generation ladder, the claims."""

from __future__ import annotations

import json

from conftest import gapbench_cli
from gapbench.store.db import Store
from gapbench.tasks.registry import get_task
from gapbench.types import Score


def test_report_json_has_lag_generations_and_claims(tmp_path, data_dir):
    store = Store(tmp_path / "g.db")
    task = get_task("humaneval")
    for model, passed in (("local/qwen2.5-coder-0.5b", 6), ("local/smollm2-135m", 1)):
        run = store.start_run(model, task.name, "generate", {"test": True})
        for i in range(20):
            store.put_score(run, model, task, "generate", "h", f"HumanEval/{i}", "x", Score(value=float(i < passed)), [])
        store.finish_run(run, 0, 0, 0)
    store.close()
    out = tmp_path / "r.json"
    proc = gapbench_cli("report", "--db", str(tmp_path / "g.db"), "--format", "json", "--out", str(out),
                        "--data-dir", str(data_dir))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    lag = report["lag"]
    assert lag["leader"] == "United States of America" and lag["follower"] == "China"
    assert 6.0 <= lag["mean_months"] <= 8.0  # Epoch: about 7 months on average since 2023
    us = lag["frontiers"]["United States of America"]
    assert all(a["value"] < b["value"] for a, b in zip(us, us[1:]))  # record-setting releases only
    gens = report["generations"]
    assert gens and all(g["newest"] == "GPT-5" == g["ladder"][-1] for g in gens)
    for g in gens:  # the generation is a rung of the ladder, and "behind" counts the rungs after it
        behind = len(g["ladder"]) if g["generation"] is None else len(g["ladder"]) - 1 - g["ladder"].index(g["generation"])
        assert g["generations_behind"] == behind
    assert any(g["generation"] is not None and g["generations_behind"] < len(g["ladder"]) - 1 for g in gens)
    assert len({g["model"] for g in gens}) == len(gens)
    claims = {c["id"]: c for c in report["claims"]}
    assert claims["qwen2.5-coder-0.5b-humaneval"]["verdict"] == "contradicted"  # 30% [15, 52] vs claimed 61.6
    gap = report["gap_matrix"]  # a = the US model, so a negative diff means the Chinese model leads
    assert gap["a"] == "local/smollm2-135m" and gap["cells"][0]["diff"] == -0.25


def test_lag_places_a_measured_model_on_the_frontier(tmp_path, data_dir):
    store = Store(tmp_path / "g.db")
    task = get_task("mmlu")
    run = store.start_run("local/qwen2.5-coder-0.5b", task.name, "loglikelihood", {"test": True})
    for i in range(50):
        store.put_score(run, "local/qwen2.5-coder-0.5b", task, "loglikelihood", "h", f"s{i}", "A",
                        Score(value=float(i < 44)), [])  # 0.88: about GPT-4-class MMLU
    store.finish_run(run, 0, 0, 0)
    store.close()
    proc = gapbench_cli("lag", "--catalog", str(data_dir / "published/llm-stats/data"), "--metric", "mmlu",
                        "--place", "local/qwen2.5-coder-0.5b", "--task", "mmlu", "--db", str(tmp_path / "g.db"),
                        "--json")
    assert proc.returncode == 0, proc.stderr
    placed = json.loads(proc.stdout)["placed"]
    assert placed["value"] == 0.88 and placed["n"] == 50
    assert "2023-01-01" <= placed["matches_frontier_of"] <= placed["at_date"] and placed["months_behind"] > 0
    proc = gapbench_cli("lag", "--catalog", str(data_dir / "published/llm-stats/data"), "--metric", "mmlu",
                        "--place", "local/qwen2.5-coder-0.5b", "--db", str(tmp_path / "g.db"))
    assert proc.returncode == 2 and "--place: give --task" in proc.stderr
