"""The openai provider against a real OpenAI-compatible server on 127.0.0.1 (llama_cpp.server)."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from conftest import gapbench_cli

SECRET = "sk-gapbench-test-SECRET-9f8e7d"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(smollm2_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path), "--model_alias", "smollm2",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--verbose", "False"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"llama_cpp.server exited: {proc.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama_cpp.server did not start within 120 s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_openai_provider_runs_caches_and_keeps_the_key_secret(server, tmp_path):
    db = tmp_path / "g.db"
    args = ["run", "--model", "openai/smollm2", "--base-url", server, "--task", "demo_math_en,demo_knowledge_en",
            "--limit", "3", "--concurrency", "2", "--db", str(db), "--json"]
    first = gapbench_cli(*args, env={"OPENAI_API_KEY": SECRET})
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["errors"] == 0 and out["model_calls"] == 6
    assert {r["method"] for r in out["results"]} == {"generate"}  # chat APIs give no prompt log-probs
    assert all(r["n"] == 3 for r in out["results"])
    con = sqlite3.connect(db)
    texts = [t for (t,) in con.execute("SELECT text FROM responses")]
    tokens = [n for (n,) in con.execute("SELECT output_tokens FROM responses")]
    assert all(texts) and all(n > 0 for n in tokens)
    again = json.loads(gapbench_cli(*args, env={"OPENAI_API_KEY": SECRET}).stdout)
    assert again["model_calls"] == 0 and again["cache_hits"] == 6 and again["results"] == out["results"]
    assert SECRET not in first.stdout + first.stderr
    for f in tmp_path.glob("g.db*"):  # the database and its WAL file
        assert SECRET.encode() not in f.read_bytes()


def test_unreachable_server_is_an_error_per_item_not_a_crash(tmp_path):
    port = free_port()  # nothing listens here
    proc = gapbench_cli("run", "--model", "openai/none", "--base-url", f"http://127.0.0.1:{port}/v1",
                        "--task", "demo_math_en", "--limit", "2", "--retries", "1", "--timeout", "2",
                        "--db", str(tmp_path / "g.db"), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["errors"] == 2 and out["model_calls"] == 0 and out["results"][0]["n"] == 0
