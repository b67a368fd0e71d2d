"""`gapbench run --precision H` and the API throughput wiring, end to end through the real command against an
OpenAI-protocol stand-in on 127.0.0.1 that serves two 'models' of different accuracy (and, on demand, answers
429 above a concurrency threshold)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler

import pytest

from conftest import gapbench_cli
from fakeserver import ThreadingHTTPServer, chat_body
from test_cli import assert_one_line_error
from test_contracts import write_task

ACCURACY = {"good": 90, "bad": 25}  # percent of items each stand-in model gets right


def right(model: str, i: int) -> bool:
    return int(hashlib.sha256(f"{model}:{i}".encode()).hexdigest(), 16) % 100 < ACCURACY[model]


class TwoModels:
    """Chat completions for `What is i + i?`: the right sum where `right(model, i)`, else a wrong one. Above
    `threshold` requests in flight it answers 429 with Retry-After; it records every request it served."""

    def __init__(self, threshold: int | None = None, service_s: float = 0.0):
        self.threshold, self.service_s = threshold, service_s
        self.lock = threading.Lock()
        self.in_flight = self.peak = self.throttled = 0
        self.served: list[tuple[str, int, float, float]] = []  # (model, item, start, end)
        me = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                model = body["model"]
                i = int(re.search(r"What is (\d+) \+", body["messages"][-1]["content"]).group(1))
                with me.lock:
                    me.in_flight += 1
                    over = me.threshold is not None and me.in_flight > me.threshold
                    if not over:
                        me.peak = max(me.peak, me.in_flight)
                start = time.monotonic()
                try:
                    if over:
                        status, headers, reply = 429, {"Retry-After": "0.05"}, {"error": {"message": "slow down"}}
                    else:
                        time.sleep(me.service_s)
                        answer = 2 * i if right(model, i) else 2 * i + 1
                        status, headers, reply = 200, {}, chat_body(f"The answer is {answer}.")
                finally:
                    with me.lock:
                        me.in_flight -= 1
                        if over:
                            me.throttled += 1
                        else:
                            me.served.append((model, i, start, time.monotonic()))
                data = json.dumps(reply).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", "Content-Length": str(len(data)), **headers}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def make_server():
    servers = []

    def make(**kwargs):
        servers.append(TwoModels(**kwargs))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def run(server: TwoModels, task, db, *extra: str, models: str = "openai/good,openai/bad", as_json: bool = True):
    proc = gapbench_cli("run", "--model", models, "--base-url", server.url, "--task", str(task), "--db", str(db),
                        "--retries", "20", *(["--json"] if as_json else ["--quiet"]), *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if as_json else proc.stdout


def test_precision_stops_early_with_an_anytime_valid_interval_and_a_rerun_continues_from_the_cache(
        tmp_path, make_server):
    n = 200
    server = make_server()
    task, db = write_task(tmp_path, n=n), tmp_path / "g.db"
    full_gap = sum(right("good", i) - right("bad", i) for i in range(n)) / n

    out = run(server, task, db, "--precision", "0.15", "--concurrency", "8")
    [p] = out["precision"]
    assert p["task"] == "sums" and p["target"] == 0.15 and p["reached"]
    asked = p["items_asked"]
    assert asked % 8 == 0 and asked <= n // 2, p  # rounds of max(8, --concurrency) items; stopped early
    assert p["items_used"] == asked and p["items_dropped"] == 0 and p["items_saved"] == n - asked
    assert p["calls_saved"] == 2 * (n - asked)  # one call per item per model
    [gap] = p["estimands"]
    assert gap["models"] == ["openai/good", "openai/bad"] and gap["n"] == asked
    assert gap["half_width"] < 0.15 and gap["low"] <= full_gap <= gap["high"]
    served = Counter((m, i) for m, i, _, _ in server.served)
    assert len(served) == 2 * asked and max(served.values()) == 1 and out["model_calls"] == 2 * asked
    items = {i for _, i, _, _ in server.served}
    assert abs(gap["estimate"] - sum(right("good", i) - right("bad", i) for i in items) / asked) < 1e-9
    assert {r["model"]: r["n"] for r in out["results"]} == {"openai/good": asked, "openai/bad": asked}

    # the same command again: every item from the cache, the same stop
    again = run(server, task, db, "--precision", "0.15", "--concurrency", "8")
    assert again["model_calls"] == 0 and again["cache_hits"] == 2 * asked
    assert again["precision"][0]["items_asked"] == asked and len(server.served) == 2 * asked

    # a smaller H continues the same order: only items never asked are sent
    finer = run(server, task, db, "--precision", "0.1", "--concurrency", "8")
    [q] = finer["precision"]
    assert q["reached"] and asked < q["items_asked"] < n and q["estimands"][0]["half_width"] < 0.1
    assert finer["model_calls"] == 2 * (q["items_asked"] - asked) and finer["cache_hits"] == 2 * asked
    served = Counter((m, i) for m, i, _, _ in server.served)
    assert max(served.values()) == 1 and len(served) == 2 * q["items_asked"]
    lo, hi = q["estimands"][0]["low"], q["estimands"][0]["high"]
    assert lo <= full_gap <= hi

    text = run(server, task, db, "--precision", "0.1", "--concurrency", "8", as_json=False)
    assert f"precision sums: ±0.1 reached · items used {q['items_asked']} of {n}" in text
    assert "openai/good − openai/bad:" in text and "anytime-valid 95%" in text


def test_precision_on_one_model_watches_its_score(tmp_path, make_server):
    server = make_server()
    task, db = write_task(tmp_path, n=120), tmp_path / "g.db"
    out = run(server, task, db, "--precision", "0.2", models="openai/good")
    [p] = out["precision"]
    [score] = p["estimands"]
    assert score["models"] == ["openai/good"] and p["reached"] and p["items_asked"] < 120
    assert 0 <= score["low"] <= score["estimate"] <= score["high"] <= 1 and score["half_width"] < 0.2
    assert out["model_calls"] == p["items_asked"]


def test_precision_asks_every_item_when_it_must_and_the_interval_is_then_the_full_run_value(tmp_path, make_server):
    server = make_server()
    task, db = write_task(tmp_path, n=10), tmp_path / "g.db"
    [p] = run(server, task, db, "--precision", "0.01")["precision"]
    assert p["items_asked"] == 10 and p["items_saved"] == 0 and p["calls_saved"] == 0
    gap = p["estimands"][0]
    full_gap = sum(right("good", i) - right("bad", i) for i in range(10)) / 10
    assert gap["low"] == gap["high"] == pytest.approx(full_gap) and p["reached"]  # every item seen: known exactly


def test_precision_needs_scores_in_the_unit_interval(tmp_path):
    task = write_task(tmp_path, scorer="chrf", more='metric: "bleu"')
    proc = gapbench_cli("run", "--model", "openai/x", "--base-url", "http://127.0.0.1:9/v1", "--task", str(task),
                        "--db", str(tmp_path / "g.db"), "--precision", "0.1")
    assert_one_line_error(proc, "--precision: task sums", "its bleu is on a 0-100 scale")
    proc = gapbench_cli("run", "--model", "openai/x", "--task", str(task), "--precision", "0")
    assert proc.returncode == 2 and "--precision" in proc.stderr


def test_a_throttling_endpoint_loses_no_item_and_models_run_together(tmp_path, make_server):
    """429 above 6 requests in flight: the adaptive limiter (shared by both models of the endpoint) settles
    below it, every item of both models is scored, and the two models' requests overlap in time."""
    server = make_server(threshold=6, service_s=0.05)
    task, db = write_task(tmp_path, n=150), tmp_path / "g.db"
    out = run(server, task, db, "--concurrency", "64")
    assert out["errors"] == 0 and out["model_calls"] == 300
    assert {r["model"]: r["n"] for r in out["results"]} == {"openai/good": 150, "openai/bad": 150}
    assert len(server.served) == 300 and len({(m, i) for m, i, _, _ in server.served}) == 300
    assert server.peak <= 6 and server.throttled < 0.25 * 300, server.throttled
    spans = {m: (min(s for mm, _, s, _ in server.served if mm == m), max(e for mm, _, _, e in server.served if mm == m))
             for m in ("good", "bad")}
    assert spans["good"][0] < spans["bad"][1] and spans["bad"][0] < spans["good"][1]  # concurrently, not in turn
