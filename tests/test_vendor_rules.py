"""Every preset's request against a local stand-in of its vendor (tests/vendor_standins.py): the rules the
vendors document are enforced there, and gapbench's requests pass them; thinking models that burn the
budget give errors with the reason, never scores."""

from __future__ import annotations

import asyncio
import fnmatch
import json

import httpx
import pytest

from conftest import gapbench_cli
from test_contracts import write_task
from vendor_standins import VendorStandIn

from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.presets import load_presets
from gapbench.models.registry import ModelOptions, create_model
from gapbench.store.db import cache_key
from gapbench.types import Request

FAST = {"retry_base_delay": 0.01, "retry_max_delay": 0.05}
QUESTION = Request(kind="generate", messages=(("user", "What is 3 + 4?"),), max_tokens=32, stop=("\n\n",))

# (preset, model glob) -> the stand-in family whose documented rules that preset's requests must pass
FAMILY = [("openai", "gpt-6*", "openai_reasoning"), ("anthropic", "*", "anthropic"), ("deepseek", "*", "deepseek"),
          ("qwen", "*", "dashscope"), ("moonshot", "*", "kimi"), ("zhipu", "*", "glm"), ("minimax", "*", "minimax"),
          ("hunyuan", "deepseek-v4*", "deepseek"), ("openrouter", "*", "openrouter"),
          ("siliconflow", "*", "siliconflow"), ("doubao", "*", "ark"), ("ernie", "*", "qianfan"), ("spark", "*", "spark"),
          ("stepfun", "*", "stepfun"), ("sensenova", "*", "sensenova")]


def family_of(preset: str, model: str) -> str:
    return next((f for p, glob, f in FAMILY if p == preset and fnmatch.fnmatch(model, glob)), "generic")


def ask(name: str, url: str, request: Request = QUESTION, **opts):
    model = create_model(name, ModelOptions(base_url=url, max_retries=0, extra=FAST, **opts))

    async def go():
        try:
            return await model.generate(request)
        finally:
            await model.aclose()

    return asyncio.run(go())


@pytest.fixture
def standin():
    servers = []

    def make(family, **kw):
        servers.append(VendorStandIn(family, **kw))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


@pytest.mark.parametrize("preset, model", [(p["name"], m) for p in load_presets() for m in p["default_models"]])
def test_every_presets_request_passes_its_vendors_standin(standin, preset, model):
    srv = standin(family_of(preset, model), think_tokens=300)
    url = srv.url if preset == "anthropic" else srv.url + "/v1"
    resp = ask(f"{preset}/{model}", url)
    assert resp.text == "7", (preset, model, srv.requests[-1]["body"])
    assert len(srv.requests) == 1


# What a request written for the APIs of 2024 sends (temperature 0, top_p 1, seed, max_tokens, stop).
CLASSIC = {"messages": [{"role": "user", "content": "What is 3 + 4?"}], "max_tokens": 32, "temperature": 0.0,
           "top_p": 1.0, "seed": 1234, "stop": ["\n\n"]}


@pytest.mark.parametrize("family, model, needle", [
    ("minimax", "MiniMax-M2.7", "temperature must be in (0, 1]"),
    ("kimi", "kimi-k2.6", "only 1 is allowed"),
    ("openai_reasoning", "gpt-6-astra", "max_completion_tokens"),
    ("dashscope", "qwen-plus", "enable_thinking must be set to false"),
    ("glm", "glm-5.1", "must be in (0, 1)"),
    ("openrouter", "deepseek/deepseek-v4-flash", "require_parameters"),
    ("ark", "doubao-seed-2-0-lite-260215", "not supported by deep thinking models"),
    ("spark", "4.0Ultra", "temperature must be in (0, 1]"),
])
def test_standins_reject_the_classic_request_and_gapbench_sends_what_they_accept(standin, family, model, needle):
    srv = standin(family)
    r = httpx.post(srv.url + "/v1/chat/completions", json={"model": model, **CLASSIC}, timeout=5)
    assert r.status_code == 400 and needle in r.text
    preset = {"minimax": "minimax", "kimi": "moonshot", "openai_reasoning": "openai", "dashscope": "qwen",
              "glm": "zhipu", "openrouter": "openrouter", "ark": "doubao", "spark": "spark"}[family]
    assert ask(f"{preset}/{model}", srv.url + "/v1").text == "7"


def test_anthropic_rejects_temperature_on_current_models_and_gapbench_omits_it(standin):
    srv = standin("anthropic", think_tokens=100)
    body = {"model": "claude-opus-4-7", "max_tokens": 32, "temperature": 0.0,
            "messages": [{"role": "user", "content": "What is 3 + 4?"}]}
    r = httpx.post(srv.url + "/v1/messages", json=body, timeout=5)
    assert r.status_code == 400 and "deprecated for this model" in r.text
    assert ask("anthropic/claude-opus-4-7", srv.url).text == "7"
    sent = srv.requests[-1]["body"]
    assert "temperature" not in sent and "thinking" not in sent and sent["max_tokens"] == 32
    resp = ask("anthropic/claude-sonnet-4-20250514+think", srv.url)  # budget thinking on older models
    sent = srv.requests[-1]["body"]
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 16384} and sent["max_tokens"] == 16384 + 32
    assert "temperature" not in sent and resp.text == "7" and resp.reasoning.startswith("step")
    resp = ask("anthropic/claude-opus-5-5", srv.url)  # always thinks: the answer's budget plus a reasoning budget
    assert resp.text == "7" and srv.requests[-1]["body"]["max_tokens"] == 16384 + 32
    with pytest.raises(GapbenchError, match="no way to switch thinking off"):
        create_model("anthropic/claude-opus-5-5+nothink", ModelOptions(base_url=srv.url))


def test_thinking_model_that_burns_the_budget_is_a_truncation_error_retried_once(standin):
    srv = standin("deepseek", think_tokens=100_000)  # more than budget x retry factor
    with pytest.raises(ModelCallError) as err:
        ask("deepseek/deepseek-v4-flash+think", srv.url + "/v1")
    message = str(err.value)
    assert message.startswith("truncated: finish_reason=length with 0 answer characters after 32800 reasoning")
    assert "budget 32 answer + 16384 reasoning tokens; asked again with 32768" in message
    assert err.value.retryable is False
    bodies = [r["body"] for r in srv.requests]
    assert [b["max_tokens"] for b in bodies] == [32 + 16384, 32 + 32768]
    assert all(b["thinking"] == {"type": "enabled"} and "temperature" not in b for b in bodies)


def test_the_retry_with_a_larger_budget_can_succeed_and_reasoning_is_kept_apart(standin):
    srv = standin("deepseek", think_tokens=20_000)  # over 16384, under 32768
    resp = ask("deepseek/deepseek-v4-flash+think", srv.url + "/v1")
    assert resp.text == "7" and resp.reasoning.startswith("step") and len(srv.requests) == 2


def test_thinking_off_answers_within_a_32_token_budget(standin):
    srv = standin("deepseek", think_tokens=100_000)
    resp = ask("deepseek/deepseek-v4-flash", srv.url + "/v1")
    body = srv.requests[-1]["body"]
    assert resp.text == "7" and resp.reasoning == "" and body["thinking"] == {"type": "disabled"}
    assert body["max_tokens"] == 32 and body["temperature"] == 0.0


def test_a_generic_server_that_thinks_into_the_budget_is_caught_too(standin):
    srv = standin("deepseek", think_tokens=500)  # a thinking model behind a plain openai/ URL
    with pytest.raises(ModelCallError, match=r"^truncated: .* \(budget 32 answer \+ 0 reasoning tokens\)$"):
        ask("openai/some-thinking-model", srv.url + "/v1")
    assert len(srv.requests) == 1  # no thinking rules: nothing larger to ask with


def test_key_of_the_wrong_region_is_a_401_without_the_key(standin):
    srv = standin("kimi", key_prefix="sk-cn-")
    secret = "sk-intl-0123456789SECRET"
    with pytest.raises(ModelCallError) as err:
        ask("moonshot/kimi-k2.6", srv.url + "/v1", api_key=secret)
    assert "HTTP 401" in str(err.value) and "another region" in str(err.value)
    assert err.value.retryable is False and secret not in str(err.value)
    assert ask("moonshot/kimi-k2.6", srv.url + "/v1", api_key="sk-cn-abc").text == "7"


def test_minimax_thinks_in_tags_within_its_2048_cap(standin):
    srv = standin("minimax", think_tokens=300)
    resp = ask("minimax/MiniMax-M2.7", srv.url + "/v1")
    body = srv.requests[-1]["body"]
    assert resp.text == "7" and resp.reasoning.startswith("step")
    assert body["max_completion_tokens"] == 2048 and body["temperature"] == 0.01 and "seed" not in body


@pytest.mark.parametrize("family, name, sent, absent, thought", [
    # Doubao Seed: thinking off by the switch, no stop/seed; 2.0 Pro/Lite fix temperature/top_p (not sent)
    ("ark", "doubao/doubao-seed-2-0-pro-260215", {"thinking": {"type": "disabled"}, "max_tokens": 32},
     ["stop", "seed", "temperature", "top_p"], False),
    ("ark", "doubao/doubao-seed-2-1-pro-260628+think", {"thinking": {"type": "enabled"}, "max_tokens": 32,
                                                        "temperature": 0.0}, ["stop", "seed"], True),
    ("ark", "doubao/doubao-1-5-pro-32k-250115", {"stop": ["\n\n"], "temperature": 0.0}, ["thinking", "seed"], False),
    # ERNIE: thinking models always think and do not apply sampling; hybrids switched by enable_thinking
    ("qianfan", "ernie/ernie-5.0-thinking-latest", {"max_tokens": 32 + 16384}, ["temperature", "top_p"], True),
    ("qianfan", "ernie/qwen3-32b", {"enable_thinking": False, "temperature": 0.0}, [], False),
    ("qianfan", "ernie/ernie-4.5-turbo-128k", {"temperature": 0.0, "seed": 1234}, ["enable_thinking"], False),
    # Spark: temperature in (0, 1], no seed; X1 always thinks within its 32768 cap
    ("spark", "spark/4.0Ultra", {"temperature": 0.01, "max_tokens": 32}, ["seed"], False),
    ("spark", "spark/x1", {"max_tokens": 32 + 16384}, ["seed"], True),
    # StepFun / SenseNova: always reason, reasoning in message.reasoning; retired step-2 does not think
    ("stepfun", "stepfun/step-3.7-flash", {"max_tokens": 32 + 16384, "temperature": 0.0}, ["thinking"], True),
    ("stepfun", "stepfun/step-2-16k", {"max_tokens": 32}, [], False),
    ("sensenova", "sensenova/sensenova-6.7-flash-lite", {"max_tokens": 32 + 16384}, ["thinking", "enable_thinking"],
     True),
])
def test_rechecked_presets_send_what_their_pages_document(standin, family, name, sent, absent, thought):
    srv = standin(family, think_tokens=300)
    resp = ask(name, srv.url + "/v1")
    body = srv.requests[-1]["body"]
    assert resp.text == "7" and bool(resp.reasoning) == thought, body
    assert {k: body.get(k) for k in sent} == sent and not [k for k in absent if k in body], body


def test_models_without_a_documented_off_switch_refuse_nothink():
    for name in ("stepfun/step-3.7-flash+nothink", "sensenova/sensenova-6.7-flash-lite+nothink", "spark/x1+nothink",
                 "ernie/ernie-5.0-thinking-latest+nothink"):
        with pytest.raises(GapbenchError, match="no way to switch thinking off"):
            create_model(name, ModelOptions(base_url="http://127.0.0.1:9/v1"))


def test_rules_are_in_the_cache_key_and_the_manifest():
    opts = ModelOptions(base_url="http://127.0.0.1:9/v1")
    off, on = create_model("deepseek/deepseek-v4-flash", opts), create_model("deepseek/deepseek-v4-flash+think", opts)
    assert off.info.name == "deepseek/deepseek-v4-flash" and on.info.name == "deepseek/deepseek-v4-flash+think"
    assert off.info.model == on.info.model == "deepseek-v4-flash"
    assert off.info.settings["request_rules"]["thinking_mode"] == "off"
    assert on.info.settings["request_rules"]["thinking_mode"] == "on"
    assert cache_key(off.info, QUESTION) != cache_key(on.info, QUESTION)
    assert on.info.extra["thinking"] == "on" and on.info.extra["reasoning_budget"] == 16384
    assert "greedy" in off.info.extra["sampling"] and "not greedy" in on.info.extra["sampling"]
    plain = create_model("openai/test-model", opts)  # the classic request keeps its old cache keys
    assert plain.info.settings == {} and plain.info.extra["thinking"] == "none"


def test_a_bad_rule_in_presets_yaml_names_the_file_and_field(tmp_path, monkeypatch):
    from gapbench.models import presets

    bad = tmp_path / "presets.yaml"
    bad.write_text("presets:\n  - {name: x, base_url: 'https://x', api_key_env: X_KEY, protocol: openai,\n"
                   "     default_models: [m], country: CN, notes: n,\n"
                   "     rules: {temperature: {min: 0, min_exclusive: true, max: 1}}}\n", encoding="utf-8")
    monkeypatch.setattr(presets, "PRESETS_FILE", bad)
    presets.read_presets.cache_clear()
    try:
        with pytest.raises(GapbenchError) as err:
            presets.read_presets()
    finally:
        presets.read_presets.cache_clear()
    assert str(bad) in str(err.value) and "rules.temperature" in str(err.value) and "greedy" in str(err.value)


def run(srv, task, tmp_path, model):
    proc = gapbench_cli("run", "--model", model, "--base-url", srv.url + "/v1", "--task", str(task),
                        "--db", str(tmp_path / "g.db"), "--retries", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_run_against_the_thinking_standin_gives_errors_with_the_reason_never_zero_scores(standin, tmp_path):
    srv = standin("deepseek", think_tokens=100_000)
    task = write_task(tmp_path, more="generation:\n  max_tokens: 32", n=3)
    out = run(srv, task, tmp_path, "deepseek/deepseek-v4-flash+think")
    (result,) = out["results"]
    assert out["errors"] == 3 and result["n"] == 0 and result["score"] is None
    assert all("truncated: finish_reason=length with 0 answer characters" in note for note in out["notes"])
    off = run(srv, task, tmp_path, "deepseek/deepseek-v4-flash")  # thinking off: right answers, scored
    (result,) = off["results"]
    assert off["errors"] == 0 and result["n"] == 3 and result["score"] == 1.0
    assert result["model"] == "deepseek/deepseek-v4-flash"


def test_models_check_reports_auth_model_and_parameters_in_one_line_each(standin, tmp_path):
    from fakeserver import FakeServer

    deepseek, minimax, glm = standin("deepseek"), standin("minimax", key_prefix="sk-cn-"), standin("glm")
    missing = FakeServer()
    missing.default = (404, {}, {"error": {"message": "The model `kimi-k3` does not exist"}})
    env = {p["api_key_env"]: "" for p in load_presets()} | {f"{p['name'].upper()}_BASE_URL": "" for p in load_presets()}
    env |= {"DEEPSEEK_BASE_URL": deepseek.url + "/v1",
            "MINIMAX_BASE_URL": minimax.url + "/v1", "MINIMAX_API_KEY": "sk-intl-SECRET-KEY-123",
            "ZHIPU_BASE_URL": glm.url + "/v1", "MOONSHOT_BASE_URL": glm.url + "/v1",
            "OPENAI_BASE_URL": missing.url + "/v1", "OPENAI_API_KEY": "sk-local"}
    try:
        proc = gapbench_cli("models", "--check", "--model",
                            "deepseek/deepseek-v4-flash,deepseek/deepseek-v4-flash+think,minimax/MiniMax-M2.7,"
                            "zhipu/glm-5.1,moonshot/kimi-k2.6,openai/gpt-6-luna,qwen/qwen3-max", env=env, cwd=tmp_path)
    finally:
        missing.close()
    assert proc.returncode == 0, proc.stderr
    lines = {tuple(line.split()[:3]) for line in proc.stdout.splitlines()}
    assert {("deepseek", "deepseek-v4-flash", "ok"), ("deepseek", "deepseek-v4-flash+think", "ok"),
            ("minimax", "MiniMax-M2.7", "auth"), ("zhipu", "glm-5.1", "ok"), ("moonshot", "kimi-k2.6", "parameters"),
            ("openai", "gpt-6-luna", "model"), ("qwen", "qwen3-max", "skipped")} == lines, proc.stdout
    assert "sk-intl-SECRET" not in proc.stdout + proc.stderr
    assert len(proc.stdout.splitlines()) == 7 and list(tmp_path.iterdir()) == []  # nothing stored
    think = [r["body"] for r in deepseek.requests if r["body"].get("thinking", {}).get("type") == "enabled"]
    assert think[0]["max_tokens"] == 16 + 256  # the check's small reasoning budget
