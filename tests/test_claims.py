"""Vendor claims: verdicts from own paired runs (a real SQLite store) or from the published leaderboards."""

from __future__ import annotations

import json

import pytest

from conftest import gapbench_cli
from gapbench.errors import GapbenchError
from gapbench.gap.claims import check_claims, eci_rows, lmarena_rows, load_claims
from gapbench.store.db import Store
from gapbench.tasks.registry import get_task
from gapbench.types import Score


def fill(store: Store, model: str, task_name: str, values: list[float]) -> None:
    task = get_task(task_name)
    run = store.start_run(model, task.name, "generate", {"test": True})
    for i, v in enumerate(values):
        store.put_score(run, model, task, "generate", "h", f"s{i}", "x", Score(value=v), [])
    store.finish_run(run, 0, 0, 0)


@pytest.fixture
def published(data_dir):
    return (eci_rows(data_dir / "published/epoch-eci/epoch_capabilities_index.csv"),
            lmarena_rows(data_dir / "published/lmarena/lmarena_text.csv"))


def test_builtin_claims_on_published_data(published):
    verdicts = {v["id"]: v for v in check_claims(load_claims(), None, *published)}
    assert len(verdicts) >= 10 and all(v["verdict"] in {"supported", "contradicted", "inconclusive", "untested"}
                                       for v in verdicts.values())
    # Qwen2.5-72B vs GPT-4 Turbo: ECI +1.8 points (ahead) but LMArena a tie, -2 ± 4 Elo → not settled
    q = verdicts["qwen2.5-surpasses-gpt-4-turbo"]
    assert q["verdict"] == "inconclusive" and "1272.0 vs GPT-4-Turbo-2024-04-09 1274.0" in q["evidence"]
    # R1 vs o1: ECI says 3 points behind, LMArena 7 Elo ahead → the sources disagree
    assert verdicts["deepseek-r1-comparable-to-o1"]["verdict"] == "inconclusive"
    assert "disagree" in verdicts["deepseek-r1-comparable-to-o1"]["evidence"]
    # value claims never use published data, and vendor numbers are never evidence
    assert verdicts["deepseek-v3-mmlu"]["verdict"] == "untested"
    assert "gapbench run --model deepseek/deepseek-chat --task mmlu" in verdicts["deepseek-v3-mmlu"]["evidence"]


def test_own_runs_decide_before_published_data(tmp_path, published):
    store = Store(tmp_path / "g.db")
    fill(store, "local/qwen2.5-coder-0.5b", "humaneval", [1.0] * 6 + [0.0] * 14)  # 30%: far below 61.6
    fill(store, "local/smollm2-135m", "gsm8k", [0.0] * 40)  # 0%: consistent with 1.4 within the interval
    fill(store, "qwen/qwen2.5-72b-instruct", "mmlu", [1.0] * 180 + [0.0] * 20)
    fill(store, "openai/gpt-4-turbo", "mmlu", [1.0] * 120 + [0.0] * 80)
    verdicts = {v["id"]: v for v in check_claims(load_claims(), store, *published)}
    assert verdicts["qwen2.5-coder-0.5b-humaneval"]["verdict"] == "contradicted"
    assert "30.0 [" in verdicts["qwen2.5-coder-0.5b-humaneval"]["evidence"]
    assert verdicts["smollm2-135m-gsm8k"]["verdict"] == "supported"
    beats = verdicts["qwen2.5-surpasses-gpt-4-turbo"]
    assert beats["verdict"] == "supported" and beats["details"][0]["source"] == "own"
    assert beats["details"][0]["n_paired"] == 200 and beats["details"][0]["diff"] == pytest.approx(0.3)
    store.close()


def test_claims_file_mistakes_name_the_field(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("- id: x\n  claim: y\n  model: m\n  kind: surpasses\n  benchmark: b\n  source: s\n  date: 2024-01-01\n")
    with pytest.raises(GapbenchError, match=r"claim 1: field 'kind'"):
        load_claims(bad)


def test_claims_cli_json(tmp_path, data_dir):
    proc = gapbench_cli("claims", "--json", "--data-dir", str(data_dir), "--db", str(tmp_path / "none.db"))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["sources"] == {"db": None, "eci": True, "lmarena": True}
    assert {"claim", "model", "source", "date", "claimed", "verdict", "evidence"} <= set(out["claims"][0])
    proc = gapbench_cli("claims", "--file", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2 and "missing.yaml" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_value_inside_a_wide_interval_is_inconclusive(tmp_path):
    store = Store(tmp_path / "g.db")
    fill(store, "local/qwen2.5-coder-0.5b", "humaneval", [1.0] * 10 + [0.0] * 10)  # 50% [30, 70], n=20
    [v] = [c for c in check_claims(load_claims(), store) if c["id"] == "qwen2.5-coder-0.5b-humaneval"]
    assert v["verdict"] == "inconclusive" and "n=20" in v["evidence"]
    store.close()
