"""A user's own task file on their own data runs with no code change (YAML and TOML)."""

from __future__ import annotations

import json

from conftest import gapbench_cli

ITEMS = [
    {"qid": "c1", "q": "What is the capital of France?", "opts": ["Berlin", "Paris", "Rome"], "gold": "Paris"},
    {"qid": "c2", "q": "Which animal barks?", "opts": ["cat", "cow", "dog"], "gold": "dog"},
    {"qid": "c3", "q": "What colour is the sky on a clear day?", "opts": ["blue", "green", "red"], "gold": "blue"},
]

YAML_TASK = """\
name: "my_quiz"
version: "2026-11"
capability: "knowledge"
language: "en"
dataset:
  path: "mine/quiz.jsonl"
  id: "{qid}"
  question: "{q}"
  choices: "{opts}"
  answer: "{gold}"
  answer_map: {"Berlin": "A", "Paris": "B", "Rome": "C", "cat": "A", "cow": "B", "dog": "C", "blue": "A",
               "green": "B", "red": "C"}
prompt:
  template: |-
    {question}
    {choices}
    Answer:
scorer: "choice"
methods: ["loglikelihood", "generate"]
"""

TOML_TASK = """\
name = "my_words"
version = 1
capability = "knowledge"
language = "en"
scorer = "regex"
answer_pattern = "(?i)paris"

[dataset]
path = "mine/quiz.jsonl"
id = "{qid}"
question = "{q}"
answer = "{gold}"

[prompt]
template = "Answer in one word. {question}"

[generation]
max_tokens = 8
"""


def test_custom_yaml_and_toml_tasks_run_on_new_data(tmp_path, smollm2_path):
    data = tmp_path / "data"
    (data / "mine").mkdir(parents=True)
    (data / "mine/quiz.jsonl").write_text("\n".join(json.dumps(i) for i in ITEMS) + "\n")
    (tmp_path / "quiz.yaml").write_text(YAML_TASK)
    (tmp_path / "words.toml").write_text(TOML_TASK)
    proc = gapbench_cli("run", "--model", f"llamacpp/{smollm2_path}", "--task",
                        f"{tmp_path / 'quiz.yaml'},{tmp_path / 'words.toml'}", "--data-dir", str(data),
                        "--db", str(tmp_path / "g.db"), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    results = {r["task"]: r for r in out["results"]}
    assert set(results) == {"my_quiz", "my_words"} and out["errors"] == 0
    assert results["my_quiz"]["method"] == "loglikelihood" and results["my_quiz"]["n"] == 3
    assert results["my_words"]["n"] == 3
    stored = json.loads(gapbench_cli("results", "--db", str(tmp_path / "g.db"), "--json").stdout)["results"]
    assert {r["task"] for r in stored} == {"my_quiz", "my_words"}


def test_custom_task_mistakes_name_the_field(tmp_path):
    data = tmp_path / "data"
    (data / "mine").mkdir(parents=True)
    (data / "mine/quiz.jsonl").write_text("\n".join(json.dumps(i) for i in ITEMS) + "\n")
    cases = {
        "capability: \"knowledge\"": ("capability: \"wisdom\"", "field 'capability'"),
        "  answer: \"{gold}\"\n": ("  answer: \"{golden}\"\n", "record has no field 'golden'"),
        "scorer: \"choice\"": ("scorer: \"choise\"", "field 'scorer'"),
        "  path: \"mine/quiz.jsonl\"": ("  path: \"mine/missing.jsonl\"", "data file not found"),
        "  id: \"{qid}\"": ("  id: \"{qid}\"\n  shuffle: true", "field 'dataset.shuffle'"),
    }
    for old, (new, fragment) in cases.items():
        f = tmp_path / "bad.yaml"
        f.write_text(YAML_TASK.replace(old, new))
        proc = gapbench_cli("run", "--model", "local/smollm2-135m", "--task", str(f), "--data-dir", str(data),
                            "--db", str(tmp_path / "bad.db"))
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and fragment in lines[0], (new, proc.stderr)
