"""vllm/ provider and replicas, against the vLLM-protocol stand-in on 127.0.0.1 (tests/vllm_standin.py).
The real engine on CPU is tested in tests/test_vllm_engine.py."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import pytest

from conftest import gapbench_cli
from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.registry import ModelOptions, create_model
from gapbench.models.replicas import ReplicaPool, parse_base_urls
from gapbench.runner.run import run_eval
from gapbench.store.db import Store, cache_key
from gapbench.tasks.registry import get_task
from gapbench.types import Request
from vllm_standin import VLLMStandIn, expected_logprob

SECRET = "vllm-key-SECRET-4d3c2b1a"
FAST = {"retry_base_delay": 0.01, "retry_max_delay": 0.05, "cooldown_s": 0.2}


@pytest.fixture
def standins():
    made: list[VLLMStandIn] = []

    def make(**kw) -> VLLMStandIn:
        made.append(VLLMStandIn(**kw))
        return made[-1]

    yield make
    for s in made:
        s.close()


def options(*servers, **kw) -> ModelOptions:
    return ModelOptions(base_url=",".join(s.url if hasattr(s, "url") else s for s in servers), timeout_s=5,
                        extra={**FAST, **kw.pop("extra", {})}, **kw)


def ll(context: str, continuation: str) -> Request:
    return Request(kind="loglikelihood", prompt=context, continuation=continuation, max_tokens=1)


def test_parse_base_urls():
    assert parse_base_urls("http://a:8000/v1/, http://b:8000?cap=16,http://a:8000") == [
        ("http://a:8000", None), ("http://b:8000", 16)]
    with pytest.raises(GapbenchError, match="not an http"):
        parse_base_urls("a:8000")
    with pytest.raises(GapbenchError, match=r"\?cap=N"):
        parse_base_urls("http://a:8000?cap=0")


def test_loglikelihood_splits_like_the_local_path_and_sends_token_ids(standins):
    server = standins()
    model = create_model("vllm/standin/tiny", options(server))

    async def go():
        try:
            same = await model.loglikelihood(ll("Question: capital of France?\nAnswer:", " Paris"))
            fallback = await model.loglikelihood(ll("Answer: ", "Paris is big"))  # boundary moves: tokenised alone
            return same, fallback
        finally:
            await model.aclose()

    same, fallback = asyncio.run(go())
    for response, (ctx, cont) in ((same, ("Question: capital of France?\nAnswer:", " Paris")),
                                  (fallback, ("Answer: ", "Paris is big"))):
        want, greedy = expected_logprob(ctx, cont)
        assert response.logprob == pytest.approx(want, abs=1e-9)
        assert response.is_greedy == greedy
        assert response.raw["replica"] == server.url
    assert same.n_continuation_tokens == 1 and fallback.n_continuation_tokens == 3
    sent = [e["body"]["prompt"] for e in server.log if e["path"] == "/v1/completions"]
    assert sent and all(isinstance(p, list) and all(isinstance(t, int) for t in p[0]) for p in sent)


def test_identity_has_tokenizer_and_revision_not_urls(standins):
    a, b = standins(), standins()
    one = create_model("vllm/standin/tiny", options(a))
    two = create_model("vllm/standin/tiny", options(b, a))
    pinned = create_model("vllm/standin/tiny@abc123", options(a))
    request = ll("x", " y")
    assert cache_key(one.info, request) == cache_key(two.info, request)  # any replica, same answer
    assert one.info.settings["revision"] == "/models/standin/tiny" and pinned.info.settings["revision"] == "abc123"
    assert cache_key(pinned.info, request) != cache_key(one.info, request)
    assert len(one.info.settings["tokenizer"]) == 16 and one.info.base_url == ""
    assert [r["url"] for r in two.info.extra["replicas"]] == [b.url, a.url]
    assert two.max_concurrency == 128


def test_replicas_that_differ_or_serve_another_model_are_refused(standins):
    a, other_vocab, other_model = standins(), standins(id_offset=7), standins(model="other")
    with pytest.raises(GapbenchError, match="do not serve the same model"):
        create_model("vllm/standin/tiny", options(a, other_vocab))
    with pytest.raises(GapbenchError, match="serves other"):
        create_model("vllm/standin/tiny", options(other_model))
    with pytest.raises(GapbenchError, match="--base-url"):
        create_model("vllm/standin/tiny", ModelOptions())


def test_no_replica_reachable_is_a_user_error_without_the_key(standins):
    dead = standins()
    dead.kill()
    with pytest.raises(GapbenchError, match="no replica answered") as err:
        create_model("vllm/standin/tiny", options(dead, api_key=SECRET))
    assert SECRET not in str(err.value)


def test_pinning_keeps_an_item_on_one_replica_and_spreads_items(standins):
    a, b = standins(), standins()
    model = create_model("vllm/standin/tiny", options(a, b))
    homes: dict[str, set[str]] = {}

    async def item(i: int) -> None:
        context = f"Question {i}: which?\nAnswer:"
        for choice in (" red", " green", " blue", " black"):
            response = await model.loglikelihood(ll(context, choice))
            homes.setdefault(context, set()).add(response.raw["replica"])

    async def go():
        try:
            await asyncio.gather(*(item(i) for i in range(40)))
        finally:
            await model.aclose()

    asyncio.run(go())
    assert all(len(urls) == 1 for urls in homes.values())  # every choice of a question on one replica
    share = sum(next(iter(u)) == a.url for u in homes.values())
    # healthy replicas: each question goes to its rendezvous home, and both get a fair part of 40 items
    assert model.pool.failovers == 0
    assert share == sum(model.pool.order(c)[0].url == a.url for c in homes)
    assert 8 <= share <= 32
    pool = ReplicaPool([(a.url, None), (b.url, None)], cap=4)
    assert [r.url for r in pool.order("Question 3")] == [r.url for r in pool.order("Question 3")]


def test_batches_several_prompts_per_call_within_the_cap(standins):
    server = standins(delay_s=0.05)
    model = create_model("vllm/standin/tiny", options(f"{server.url}?cap=8", extra={"batch": 4}))

    async def go():
        try:
            return await asyncio.gather(*(model.loglikelihood(ll(f"Item {i} says", " yes")) for i in range(24)))
        finally:
            await model.aclose()

    responses = asyncio.run(go())
    sizes = [len(e["body"]["prompt"]) for e in server.log if e["path"] == "/v1/completions"]
    assert sum(sizes) == 24 and 1 < max(sizes) <= 4  # batches form (how big depends on timing)
    assert 1 < server.peak_prompts <= 8  # the cap holds
    for i, r in enumerate(responses):
        assert r.logprob == pytest.approx(expected_logprob(f"Item {i} says", " yes")[0])


def test_drained_replica_fails_over_and_is_counted(standins):
    a, b = standins(), standins()
    model = create_model("vllm/standin/tiny", options(a, b))
    contexts = [f"Item {i}:" for i in range(12)]

    async def go():
        try:
            a.drained = True  # every answer from a is now 503
            return await asyncio.gather(*(model.loglikelihood(ll(c, " ok")) for c in contexts))
        finally:
            await model.aclose()

    responses = asyncio.run(go())
    assert {r.raw["replica"] for r in responses} == {b.url}
    counts = {c["url"]: c for c in model.replica_counts()["replicas"]}
    assert counts[a.url]["failed"] >= 1 and counts[a.url]["ok"] == 0 and counts[b.url]["ok"] >= 12
    assert "r1" in model.progress_note() and "✗" in model.progress_note()


def test_every_replica_down_is_a_retryable_error(standins):
    a = standins()
    model = create_model("vllm/standin/tiny", options(a))
    a.drained = True

    async def go():
        try:
            await model.loglikelihood(ll("Hello", " world"))
        finally:
            await model.aclose()

    with pytest.raises(ModelCallError, match="every replica failed") as err:
        asyncio.run(go())
    assert err.value.retryable


def test_bad_request_is_permanent_and_does_not_poison_its_batch(standins):
    server = standins(max_model_len=64, delay_s=0.05)
    model = create_model("vllm/standin/tiny", options(server, extra={"batch": 8}))
    long_continuation = " word" * 80  # longer than max_model_len on its own: cannot be cut to fit

    async def go():
        try:
            return await asyncio.gather(*(model.loglikelihood(ll(f"Item {i}:", " ok")) for i in range(6)),
                                        model.loglikelihood(ll("Item x:", long_continuation)),
                                        return_exceptions=True)
        finally:
            await model.aclose()

    *good, bad = asyncio.run(go())
    assert all(r.logprob is not None for r in good)
    assert isinstance(bad, ModelCallError) and not bad.retryable


def test_generation_by_chat_or_by_completion_without_a_chat_template(standins):
    chat, base = standins(), standins(chat_template=False)
    chat_model = create_model("vllm/standin/tiny", options(chat))
    base_model = create_model("vllm/standin/tiny", options(base))
    assert chat_model.info.chat and not base_model.info.chat

    async def go():
        try:
            said = await chat_model.generate(Request(kind="generate", messages=(("user", "Say hi"),), max_tokens=8))
            wrote = await base_model.generate(Request(kind="generate", prompt="Once upon", max_tokens=8))
            return said, wrote
        finally:
            await chat_model.aclose()
            await base_model.aclose()

    said, wrote = asyncio.run(go())
    assert said.text == "echo: Say hi" and wrote.text == " the"
    assert [e["path"] for e in chat.log][-1] == "/v1/chat/completions"
    assert [e["path"] for e in base.log][-1] == "/v1/completions" and base.log[-1]["body"]["prompt"] == "Once upon"


def test_run_with_a_replica_killed_midway_loses_nothing_and_asks_nothing_twice(standins, tmp_path):
    a, b = standins(delay_s=0.02), standins(delay_s=0.02)
    store = Store(tmp_path / "g.db")
    task = get_task("demo_knowledge_en")
    opts = options(a, b, concurrency=8)

    def watch():  # kill a once it has answered a few calls: some of its calls are then in flight
        while len(a.answered_prompts) < 10:
            threading.Event().wait(0.005)
        a.kill()

    killer = threading.Thread(target=watch, daemon=True)
    killer.start()
    report = asyncio.run(run_eval(["vllm/standin/tiny"], [task], store=store, data_dir=tmp_path, options=opts,
                                  method="loglikelihood", show_progress=False))
    killer.join(5)
    assert a.killed.is_set()
    n = report.results[0].n
    assert report.counters.errors == 0 and n >= 20 and report.counters.model_calls == n * 4
    answered = a.answered_prompts + b.answered_prompts
    assert len(answered) == len(set(answered)) == n * 4  # each prompt answered once, by one replica
    assert b.answered_prompts and len(a.answered_prompts) >= 10
    again = asyncio.run(run_eval(["vllm/standin/tiny"], [task], store=store, data_dir=tmp_path,
                                 options=options(b), method="loglikelihood", show_progress=False))
    assert again.counters.model_calls == 0 and again.results[0].score == report.results[0].score
    store.close()


def test_cli_two_replicas_loglikelihood_and_key_kept_secret(standins, tmp_path):
    a, b = standins(), standins()
    db = tmp_path / "g.db"
    args = ["run", "--model", "vllm/standin/tiny", "--base-url", f"{a.url},{b.url}/v1", "--task",
            "demo_knowledge_en", "--limit", "24", "--method", "loglikelihood", "--concurrency", "4", "--db", str(db),
            "--json"]
    proc = gapbench_cli(*args, env={"VLLM_API_KEY": SECRET})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["errors"] == 0 and out["results"][0]["n"] == 24 and out["results"][0]["method"] == "loglikelihood"
    # items are pinned by a hash of their context and the replica's URL (random ports): with 6 items both
    # replicas went unused by one side in ~3% of runs; with 24 the chance is 2 in 2^24
    assert a.answered_prompts and b.answered_prompts
    assert SECRET not in proc.stdout + proc.stderr
    for f in tmp_path.glob("g.db*"):
        assert SECRET.encode() not in f.read_bytes()
    manifest = json.loads(sqlite3.connect(db).execute("SELECT manifest FROM runs").fetchone()[0])
    assert manifest["model"]["provider"] == "vllm" and len(manifest["model"]["replicas"]) == 2
    assert manifest["model"]["settings"]["tokenizer"]
    # per-replica counts, known only at the end, are added to the manifest: every prompt answered once
    counts = manifest["replica_counts"]["replicas"]
    assert [c["ok"] > 0 for c in counts] == [True, True] and manifest["replica_counts"]["failovers"] == 0
    # payloads include tokenize calls beside the 24 × 4 log-likelihood prompts; none failed
    assert sum(c["ok"] for c in counts) == sum(c["sent"] for c in counts) >= 24 * 4
    assert sum(c["failed"] for c in counts) == 0


def test_cooldown_doubles_per_incident_not_per_call_in_flight():
    pool = ReplicaPool([("http://127.0.0.1:9", None), ("http://127.0.0.1:10", None)], cap=4, cooldown_s=1.0)
    dead = pool.replicas[0]
    for _ in range(5):  # five calls in flight fail at once: one incident
        pool.mark_failed(dead, ModelCallError("connection error (ConnectError)"), 1)
    assert dead.cooldown_s == 1.0 and dead.failed == 5
    dead.down_until = 0.0  # the cool-down is over; it fails again: a second incident
    pool.mark_failed(dead, ModelCallError("connection error (ConnectError)"), 1)
    assert dead.cooldown_s == 2.0
    busy = pool.replicas[1]
    pool.mark_failed(busy, ModelCallError("http://x/v1/completions: HTTP 503 after 1 attempt"), 1)
    assert busy.limit == 2.0 and busy.down_until == 0.0  # overloaded: fewer in flight, still up
    pool.mark_ok(busy, 1)
    assert busy.limit == 2.5
