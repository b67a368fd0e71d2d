"""The CLI contract: listings as JSON, and one-line errors with exit status 2 and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import gapbench_cli


def assert_one_line_error(proc, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_tasks_json_lists_builtin_tasks_with_counts(data_dir):
    proc = gapbench_cli("tasks", "--json", "--data-dir", str(data_dir))
    assert proc.returncode == 0, proc.stderr
    tasks = {t["name"]: t for t in json.loads(proc.stdout)["tasks"]}
    for name in ("mmlu", "cmmlu", "ceval", "gsm8k", "mgsm_en", "mgsm_zh", "cluewsc", "wsc273"):
        assert name in tasks
    assert tasks["ceval"]["n_items"] == 1346 and tasks["ceval"]["language"] == "zh"
    assert tasks["wsc273"]["capability"] == "reasoning" and tasks["gsm8k"]["scorer"] == "numeric"
    assert {t["language"] for t in tasks.values()} == {"zh", "en"}
    for t in tasks.values():
        assert {"name", "capability", "language", "n_items", "version", "scorer"} <= set(t)
        assert t["n_items"] and t["n_items"] > 0, t["name"]  # every built-in task finds its data
    cells = {(t["capability"], t["language"]) for t in tasks.values()}
    for capability in ("knowledge", "reasoning", "maths", "code", "chat", "long_input", "translation", "refusals",
                       "truthfulness"):
        assert {(capability, "zh"), (capability, "en")} <= cells, capability
    assert tasks["needle_zh"]["n_items"] == 40 and tasks["humaneval_zh"]["n_items"] == 164


def test_models_json_lists_local_models_and_presets():
    proc = gapbench_cli("models", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    names = {m["name"] for m in out["local"]}
    assert {"local/qwen2.5-coder-0.5b", "local/smollm2-135m", "local/gemma3-270m"} <= names
    presets = {p["provider"] for p in out["presets"]}
    assert {"openai", "deepseek", "qwen", "moonshot", "zhipu", "anthropic", "gemini", "ernie"} <= presets


@pytest.mark.parametrize("args,fragments", [
    (["run", "--model", "nosuch/model", "--task", "demo_math_en"], ["unknown provider 'nosuch'"]),
    (["run", "--model", "local/qwen2.5-coder-0.5b", "--task", "nosuch"], ["unknown task 'nosuch'"]),
    (["run", "--model", "local/smollm2-135m", "--task", "mmlu", "--data-dir", "/nonexistent"], ["data file not found", "/nonexistent/mmlu"]),
    (["run", "--model", "local/smollm2-135m", "--task", "demo_math_en", "--bogus"], ["--bogus"]),
    (["run", "--model", "local/smollm2-135m", "--task", "demo_math_en", "--limit", "zero"], ["--limit"]),
    (["run", "--model", "deepseek/deepseek-chat", "--task", "demo_math_en"], ["DEEPSEEK_API_KEY"]),
    (["results", "--db", "/nonexistent/x.db"], ["no such store"]),
])
def test_input_errors_are_one_line(args, fragments, tmp_path):
    if args[0] == "run":
        args = [*args, "--db", str(tmp_path / "g.db")]
    assert_one_line_error(gapbench_cli(*args, env={"DEEPSEEK_API_KEY": ""}), *fragments)


def test_bad_task_file_and_malformed_data_are_one_line(tmp_path):
    data = tmp_path / "items.jsonl"
    data.write_text('{"question": "1+1?", "answer": "2"}\n{"question": broken\n', encoding="utf-8")
    task = tmp_path / "mine.yaml"
    task.write_text(f'name: "mine"\nversion: 1\ncapability: "maths"\nlanguage: "en"\n'
                    f'dataset: {{path: "{data}"}}\nprompt: {{template: "{{question}}"}}\nscorer: "numeric"\n')
    proc = gapbench_cli("run", "--model", "local/smollm2-135m", "--task", str(task), "--db", str(tmp_path / "g.db"))
    assert_one_line_error(proc, "items.jsonl:2", "malformed JSON")
    task.write_text(task.read_text().replace('scorer: "numeric"', 'scorer: "numeric"\nmax_tokenz: 3'))
    proc = gapbench_cli("run", "--model", "local/smollm2-135m", "--task", str(task))
    assert_one_line_error(proc, "mine.yaml", "max_tokenz")
    task.write_text("name: [unclosed\n")
    assert_one_line_error(gapbench_cli("run", "--model", "local/smollm2-135m", "--task", str(task)), "mine.yaml")
