"""Contracts that used to exist only on paper: a task file that cannot run is rejected when read, permanent
failures are not re-sent on every run, every setting that changes a response is in the cache key, and --seed
reaches the requests whose sampling uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import gapbench_cli
from fakeserver import FakeServer, chat_body
from test_cli import assert_one_line_error

TASK = """name: "{name}"
version: 1
capability: "maths"
language: "en"
dataset:
  path: "{data}"
  id: "{{id}}"
  question: "{{question}}"
  answer: "{{answer}}"
prompt:
  template: "{{question}}"
scorer: "{scorer}"
methods: {methods}
{more}
"""


def write_task(tmp_path: Path, name="sums", scorer="numeric", methods='["generate"]', more="", n=2) -> Path:
    data = tmp_path / f"{name}.jsonl"
    data.write_text("".join(json.dumps({"id": f"q{i}", "question": f"What is {i} + {i}?", "answer": str(2 * i)}) + "\n"
                            for i in range(n)), encoding="utf-8")
    path = tmp_path / f"{name}.yaml"
    path.write_text(TASK.format(name=name, data=data, scorer=scorer, methods=methods, more=more), encoding="utf-8")
    return path


@pytest.fixture
def server():
    srv = FakeServer()
    yield srv
    srv.close()


def run(server: FakeServer, task: Path, tmp_path: Path, *extra: str):
    proc = gapbench_cli("run", "--model", "openai/test-model", "--base-url", server.url + "/v1", "--task", str(task),
                        "--db", str(tmp_path / "g.db"), "--retries", "0", "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("scorer, methods, more, fragments", [
    ("numeric", '["loglikelihood"]', "", ["field 'methods'", "scorer 'numeric' does not support 'loglikelihood'"]),
    ("choice", '["generate"]', 'metric: "acc_norm"', ["field 'metric'", "reports accuracy, not 'acc_norm'"]),
    ("numeric", '["generate"]', 'metric: "chrF"', ["field 'metric'", "not 'chrF'"]),
    ("telepathy", '["generate"]', "", ["field 'scorer'", "unknown scorer 'telepathy'"]),
])
def test_a_task_the_scorer_cannot_run_is_rejected_when_read(tmp_path, scorer, methods, more, fragments):
    task = write_task(tmp_path, scorer=scorer, methods=methods, more=more)
    # the model named does not exist: the file is rejected before any model is created
    proc = gapbench_cli("run", "--model", "local/no-such-model", "--task", str(task), "--db", str(tmp_path / "g.db"))
    assert_one_line_error(proc, f"task file {task}", *fragments)


def test_acc_norm_can_be_a_tasks_headline_for_loglikelihood(tmp_path):
    from gapbench.tasks.registry import get_task

    task = write_task(tmp_path, scorer="choice", methods='["loglikelihood"]', more='metric: "acc_norm"')
    assert get_task(str(task)).metric == "acc_norm"


def test_permanent_failures_are_stored_and_not_resent_unless_asked(server, tmp_path):
    task = write_task(tmp_path)
    server.default = (400, {}, {"error": {"message": "Unsupported parameter: 'seed'"}})
    first = run(server, task, tmp_path)
    assert first["errors"] == 2 and len(server.requests) == 2 and first["results"][0]["n"] == 0
    again = run(server, task, tmp_path)
    assert again["errors"] == 2 and len(server.requests) == 2  # nothing re-sent
    assert all("stored permanent failure" in n and "Unsupported parameter" in n for n in again["notes"])
    server.default = (200, {}, chat_body("The answer is 4."))
    fixed = run(server, task, tmp_path, "--retry-errors")
    assert fixed["errors"] == 0 and len(server.requests) == 4 and fixed["results"][0]["n"] == 2


def test_transient_failures_are_asked_again_on_the_next_run(server, tmp_path):
    task = write_task(tmp_path)
    server.default = (503, {}, {"error": "overloaded"})
    assert run(server, task, tmp_path)["errors"] == 2 and len(server.requests) == 2
    server.default = (200, {}, chat_body("The answer is 2."))
    second = run(server, task, tmp_path)
    assert second["errors"] == 0 and len(server.requests) == 4 and second["cache_hits"] == 0


def test_seed_reaches_sampled_requests_and_greedy_ones_do_not_depend_on_it(server, tmp_path):
    greedy = write_task(tmp_path, name="greedy")
    sampled = write_task(tmp_path, name="sampled", more="generation:\n  temperature: 0.7")
    run(server, greedy, tmp_path, "--seed", "7")
    run(server, sampled, tmp_path, "--seed", "7")
    bodies = [r["body"] for r in server.requests]
    assert [(b["temperature"], b["seed"]) for b in bodies] == [(0.0, 1234)] * 2 + [(0.7, 7)] * 2
    again = run(server, greedy, tmp_path, "--seed", "8")  # greedy requests are the same requests: cached
    assert again["cache_hits"] == 2 and again["model_calls"] == 0
    other = run(server, sampled, tmp_path, "--seed", "8")  # another seed is another sample
    assert other["model_calls"] == 2 and server.requests[-1]["body"]["seed"] == 8


def test_the_context_size_of_a_local_model_is_in_the_cache_key(smollm2_path):
    from gapbench.models.llamacpp import LlamaCppModel
    from gapbench.models.registry import ModelOptions
    from gapbench.store.db import cache_key
    from gapbench.types import Request

    request = Request(kind="generate", messages=(("user", "hi"),))
    keys = {cache_key(LlamaCppModel("local/x", smollm2_path, ModelOptions(n_ctx=n)).info, request) for n in (512, 2048)}
    assert len(keys) == 2
    same = {cache_key(LlamaCppModel(f"local/{n}", smollm2_path, ModelOptions(n_ctx=512)).info, request) for n in "ab"}
    assert len(same) == 1  # the name is not part of the identity: the weights' sha256 is
