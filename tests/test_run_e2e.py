"""End to end on real tiny GGUF models: every built-in task, cache reruns, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import REPO, gapbench_cli
from gapbench.tasks.registry import builtin_tasks

REAL_TASKS = ["mmlu", "cmmlu", "ceval", "gsm8k", "mgsm_en", "mgsm_zh", "cluewsc", "wsc273"]


def run_json(*args: str, env: dict | None = None) -> dict:
    proc = gapbench_cli("run", *args, "--json", env=env, timeout=1800)  # every built-in task: minutes on 2 cores
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_every_builtin_task_on_a_real_tiny_model(tmp_path, data_dir, smollm2_path):
    db = tmp_path / "g.db"
    from gapbench.tasks.registry import get_task as spec_of

    # long-input tasks (needles, long documents) are exercised in their own tests: their items exceed this window
    tasks = sorted(t for t in builtin_tasks() if spec_of(t).capability != "long_input")
    assert set(REAL_TASKS) <= set(tasks)
    out = run_json("--model", f"llamacpp/{smollm2_path}", "--task", ",".join(tasks), "--limit", "2",
                   "--fewshot", "1", "--max-tokens", "32", "--db", str(db), "--data-dir", str(data_dir),
                   "--n-ctx", "4096")
    assert out["errors"] == 0 and out["cache_hits"] == 0 and out["model_calls"] > len(tasks)
    results = {r["task"]: r for r in out["results"]}
    from gapbench.sandbox import available_languages
    from gapbench.tasks.registry import get_task

    missing = {f"humaneval_x_{lang}" for lang, why in available_languages().items() if why} & set(tasks)
    # other setups are other tasks: --fewshot 1 and --max-tokens 32 rename what they change
    renamed = set()
    for t in set(tasks) - missing:
        spec = get_task(t)
        name = t if spec.generation.max_tokens <= 32 else f"{t}.max32"
        renamed.add(name if spec.fewshot is None or spec.fewshot.k == 1 else f"{name}.1shot")
    assert set(results) == renamed
    for name in missing:  # no toolchain: skipped with a note, never scored as failures
        assert any(n.split(":")[0].split(".")[0] == name and ": skipped: " in n for n in out["notes"]), out["notes"]
    for r in results.values():
        too_long = any(n.startswith(f"{r['task']}: ") and "longer than the context window" in n for n in out["notes"])
        assert r["n"] == 2 or (too_long and r["n"] == 1), (r, out["notes"])  # an over-long item is skipped, said so
        if r["score"] is None:  # chat answers wait for a judge: "not judged", never a score
            assert r["capability"] == "chat" and r["note"].startswith("not judged")
        else:
            assert 0 <= r["ci_low"] <= r["score"] <= r["ci_high"] <= 1
        assert set(r) >= {"model", "task", "language", "capability", "n", "score", "ci_low", "ci_high"}
    # every stored score points at stored raw responses; MT-Bench asked both turns
    con = sqlite3.connect(db)
    keys = {k for (ks,) in con.execute("SELECT cache_keys FROM scores") for k in json.loads(ks)}
    stored = {k for (k,) in con.execute("SELECT cache_key FROM responses")}
    assert keys and keys <= stored
    turns = [len(json.loads(ks)) for (ks,) in con.execute("SELECT cache_keys FROM scores WHERE task='mt_bench.max32'")]
    assert turns == [2, 2]
    second = [json.loads(r)["messages"] for (r,) in con.execute(
        "SELECT request FROM responses WHERE request LIKE '%\"assistant\"%'")]
    assert second and all(m[-2][0] == "assistant" and m[-1][0] == "user" for m in second)
    # both methods of a multiple-choice task, on the Chinese model
    both = run_json("--model", "local/qwen2.5-coder-0.5b", "--task", "ceval,cluewsc", "--limit", "2",
                    "--fewshot", "0", "--method", "loglikelihood", "--db", str(db), "--data-dir", str(data_dir))
    assert {r["method"] for r in both["results"]} == {"loglikelihood"} and both["errors"] == 0


def test_needles_longer_than_the_context_are_skipped_not_failed(tmp_path, data_dir, smollm2_path):
    task = tmp_path / "needle_small.yaml"
    base = (REPO / "gapbench/tasks/builtin/needle_en.yaml").read_text()
    task.write_text(base.replace('name: "needle_en"', 'name: "needle_small"')
                    .replace("lengths: [1000, 4000, 16000, 32000]", "lengths: [1000, 4000]")
                    .replace("depths: [0.0, 0.25, 0.5, 0.75, 1.0]", "depths: [0.0, 1.0]")
                    .replace("repeats: 2", "repeats: 1"))
    out = run_json("--model", f"llamacpp/{smollm2_path}", "--task", str(task), "--max-tokens", "16",
                   "--db", str(tmp_path / "n.db"), "--data-dir", str(data_dir), "--n-ctx", "2048")
    [r] = out["results"]
    assert out["errors"] == 0 and r["errors"] == 0
    assert r["n"] == 2 and out["skipped"] == 2  # only the ≈1k-token haystacks fit in 2,048 tokens
    assert any("2 items longer than the context window" in n for n in out["notes"])


def test_rerun_makes_zero_model_calls_and_same_results(tmp_path):
    args = ["--model", "local/smollm2-135m", "--task", "demo_knowledge_en,demo_math_en", "--limit", "3",
            "--db", str(tmp_path / "g.db")]
    first = run_json(*args)
    again = run_json(*args)
    assert first["model_calls"] > 0 and again["model_calls"] == 0
    assert again["cache_hits"] == first["model_calls"] + first["cache_hits"]
    assert again["results"] == first["results"]
    stored = json.loads(gapbench_cli("results", "--db", str(tmp_path / "g.db"), "--json").stdout)["results"]
    assert sorted((r["task"], r["score"], r["n"]) for r in stored) == sorted((r["task"], r["score"], r["n"]) for r in first["results"])


def _responses(db) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_kill_9_then_resume_matches_an_uninterrupted_run(tmp_path):
    common = ["run", "--model", "local/qwen2.5-coder-0.5b", "--task", "demo_math_en,demo_knowledge_zh",
              "--limit", "6", "--json", "--quiet"]
    killed_db, clean_db = tmp_path / "killed.db", tmp_path / "clean.db"
    proc = subprocess.Popen([sys.executable, "-m", "gapbench.cli.main", *common, "--db", str(killed_db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while _responses(killed_db) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = _responses(killed_db)
    assert done_before >= 3
    resumed = json.loads(gapbench_cli(*common, "--db", str(killed_db)).stdout)
    assert resumed["cache_hits"] >= done_before and resumed["errors"] == 0
    clean = json.loads(gapbench_cli(*common, "--db", str(clean_db)).stdout)
    assert resumed["results"] == clean["results"]
    assert resumed["model_calls"] + resumed["cache_hits"] == clean["model_calls"]


def test_demo_on_a_fresh_machine_uses_the_shipped_set(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("GAPBENCH_DATA", "GAPBENCH_DB")}
    proc = subprocess.run([sys.executable, "-m", "gapbench.cli.main", "demo", "--limit", "3", "--json"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert "shipped with gapbench" in out["data"]
    assert {r["model"] for r in out["results"]} == {"local/qwen2.5-coder-0.5b", "local/smollm2-135m"}
    assert {r["language"] for r in out["results"]} == {"zh", "en"} and out["errors"] == 0
    assert {g["language"] for g in out["gaps"]} == {"zh", "en"} and all(g["n_paired"] == 9 for g in out["gaps"])
    assert (tmp_path / "gapbench.db").exists()
