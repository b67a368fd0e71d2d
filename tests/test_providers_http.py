"""HTTP providers against real local servers speaking the OpenAI and Anthropic wire protocols."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from fakeserver import FakeServer, chat_body

from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.registry import ModelOptions, create_model
from gapbench.types import Request

SECRET = "sk-test-SECRET-0123456789abcdef"
FAST = {"retry_base_delay": 0.01, "retry_max_delay": 1.0}  # Retry-After cap = 4 x max_delay


@pytest.fixture
def server():
    srv = FakeServer()
    yield srv
    srv.close()


def openai_model(srv, **opts):
    extra = {**FAST, **opts.pop("extra", {})}
    options = ModelOptions(base_url=srv.url + "/v1", api_key=opts.pop("api_key", SECRET), extra=extra, **opts)
    return create_model("openai/test-model", options)


def generate(model, request=None):
    request = request or Request(kind="generate", messages=(("user", "Capital of France?"),))

    async def go():
        try:
            return await model.generate(request)
        finally:
            await model.aclose()

    return asyncio.run(go())


def test_normal_call_returns_text_and_tokens(server):
    model = openai_model(server)
    resp = generate(model, Request(kind="generate", messages=(("system", "Be brief."), ("user", "Capital?")),
                                   max_tokens=32, stop=("\n\n",)))
    assert resp.text == "Paris" and resp.reasoning == ""
    assert (resp.input_tokens, resp.output_tokens, resp.finish_reason) == (11, 3, "stop")
    assert resp.raw["id"] == "chatcmpl-1" and resp.latency_s > 0
    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["authorization"] == f"Bearer {SECRET}"
    body = req["body"]
    assert body["model"] == "test-model" and body["max_tokens"] == 32 and body["stop"] == ["\n\n"]
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital?"}]
    assert {"temperature", "top_p", "seed"} <= set(body)
    assert SECRET not in repr(model.info) and SECRET not in json.dumps(model.info.identity())


def test_prompt_only_sent_as_user_message_and_no_stop_no_key(server):
    model = openai_model(server, api_key=None)  # custom base URL: a local server needs no key
    generate(model, Request(kind="generate", prompt="2+2="))
    (req,) = server.requests
    assert req["body"]["messages"] == [{"role": "user", "content": "2+2="}]
    assert "stop" not in req["body"] and "authorization" not in req["headers"]


def test_reasoning_content_kept_apart(server):
    server.default = (200, {}, chat_body(content="42", reasoning="6 times 7 is 42."))
    resp = generate(openai_model(server))
    assert resp.text == "42" and resp.reasoning == "6 times 7 is 42."


def test_think_tags_split_from_content(server):
    server.default = (200, {}, chat_body(content="<think>\nLet me think: B fits.\n</think>\n\nThe answer is B."))
    resp = generate(openai_model(server))
    assert resp.text == "The answer is B." and resp.reasoning == "Let me think: B fits."


def test_429_retry_after_is_honoured(server):
    server.script = [(429, {"Retry-After": "1"}, {"error": {"message": "rate limited"}})]
    resp = generate(openai_model(server))
    assert resp.text == "Paris" and len(server.requests) == 2
    gap = server.requests[1]["t"] - server.requests[0]["t"]
    assert gap >= 0.9, gap  # backoff alone would wait at most 0.01 s here


def test_503_twice_then_200_succeeds(server):
    server.script = [(503, {}, {"error": "overloaded"}), (503, {}, {"error": "overloaded"})]
    resp = generate(openai_model(server))
    assert resp.text == "Paris" and len(server.requests) == 3


def test_400_fails_at_once(server):
    server.default = (400, {}, {"error": {"message": "bad request: unknown field"}})
    with pytest.raises(ModelCallError) as err:
        generate(openai_model(server))
    assert err.value.retryable is False and "HTTP 400" in str(err.value) and "unknown field" in str(err.value)
    assert len(server.requests) == 1


def test_retries_exhausted_message(server):
    server.default = (503, {}, "upstream down")
    with pytest.raises(ModelCallError) as err:
        generate(openai_model(server, max_retries=2))
    assert str(err.value) == "HTTP 503 after 3 attempts: upstream down"
    assert len(server.requests) == 3


def test_hung_server_times_out(server):
    server.default = "hang"
    t0 = time.monotonic()
    with pytest.raises(ModelCallError) as err:
        generate(openai_model(server, timeout_s=0.4, max_retries=1))
    assert "timed out" in str(err.value) and "2 attempts" in str(err.value)
    assert time.monotonic() - t0 < 5 and len(server.requests) == 2


@pytest.mark.parametrize("status", [401, 500])
def test_api_key_never_in_error_message(server, status):
    def echo(handler):
        auth = handler.headers.get("Authorization")
        return (status, {}, {"error": f"invalid key; you sent Authorization: {auth} (key={SECRET})"})

    server.default = echo
    with pytest.raises(ModelCallError) as err:
        generate(openai_model(server, max_retries=1))
    message = str(err.value)
    assert f"HTTP {status}" in message and "\n" not in message
    assert SECRET not in message and SECRET[:12] not in message and SECRET not in repr(err.value)
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"  # the key was sent


def test_preset_without_env_key_is_one_line_error(monkeypatch):
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    monkeypatch.delenv("DEEPSEEK_BASE_URL", raising=False)
    with pytest.raises(GapbenchError) as err:
        create_model("deepseek/deepseek-chat", ModelOptions())
    assert str(err.value) == "--model deepseek/deepseek-chat: set DEEPSEEK_API_KEY to call deepseek"


def test_preset_with_env_key_and_base_url_override(server, monkeypatch):
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-ds-env")
    model = create_model("deepseek/deepseek-reasoner", ModelOptions(base_url=server.url + "/v1", extra=FAST))
    assert model.info.provider == "deepseek" and model.info.name == "deepseek/deepseek-reasoner"
    generate(model)
    assert server.requests[0]["headers"]["authorization"] == "Bearer sk-ds-env"
    assert server.requests[0]["body"]["model"] == "deepseek-reasoner"


def test_openai_default_url_needs_key_and_loglikelihood_refused(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(GapbenchError, match="OPENAI_API_KEY"):
        create_model("openai/gpt-4o", ModelOptions())
    model = create_model("openai/gpt-4o", ModelOptions(api_key=SECRET))
    assert model.info.base_url == "https://api.openai.com/v1" and model.max_concurrency == 4
    with pytest.raises(ModelCallError, match="log-probabilities") as err:
        asyncio.run(model.loglikelihood(Request(kind="loglikelihood", prompt="a", continuation="b")))
    assert err.value.retryable is False


def test_presets_file_lists_all_providers():
    from gapbench.models.presets import load_presets

    presets = {p["name"]: p for p in load_presets()}
    for name in ("openai", "deepseek", "qwen", "moonshot", "zhipu", "baichuan", "yi", "minimax", "doubao",
                 "hunyuan", "ernie", "spark", "sensenova", "stepfun", "gemini", "anthropic"):
        p = presets[name]
        assert p["base_url"].startswith("https://") and p["api_key_env"].endswith("_KEY") and p["default_models"]
    assert presets["anthropic"]["protocol"] == "anthropic" and presets["qwen"]["api_key_env"] == "DASHSCOPE_API_KEY"


def test_anthropic_parses_text_and_thinking_and_sends_x_api_key(server):
    server.default = (200, {}, {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "thinking", "thinking": "Two plus two is four.", "signature": "sig"},
                    {"type": "text", "text": "4"}],
        "stop_reason": "end_turn", "usage": {"input_tokens": 20, "output_tokens": 9},
    })
    model = create_model("anthropic/claude-test", ModelOptions(base_url=server.url, api_key=SECRET, extra=FAST))
    resp = generate(model, Request(kind="generate", messages=(("system", "Answer with a number."),
                                                              ("user", "2+2?")), stop=("END",)))
    assert resp.text == "4" and resp.reasoning == "Two plus two is four."
    assert (resp.input_tokens, resp.output_tokens, resp.finish_reason) == (20, 9, "end_turn")
    (req,) = server.requests
    assert req["path"] == "/v1/messages"
    assert req["headers"]["x-api-key"] == SECRET and req["headers"]["anthropic-version"] == "2023-06-01"
    assert "authorization" not in req["headers"]
    body = req["body"]
    assert body["system"] == "Answer with a number." and body["messages"] == [{"role": "user", "content": "2+2?"}]
    assert body["stop_sequences"] == ["END"] and "top_p" not in body and body["max_tokens"] == 256


def test_anthropic_key_required_off_loopback(server, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with pytest.raises(GapbenchError, match="set ANTHROPIC_API_KEY"):
        create_model("anthropic/claude-sonnet-4-20250514", ModelOptions())
    server.default = (529, {}, {"type": "error", "error": {"type": "overloaded_error"}})
    model = create_model("anthropic/claude-test", ModelOptions(base_url=server.url, max_retries=1, extra=FAST))
    with pytest.raises(ModelCallError, match="HTTP 529 after 2 attempts"):
        generate(model)
    assert "x-api-key" not in server.requests[0]["headers"]


def test_call_with_retries_backoff_and_retry_after_date():
    from email.utils import format_datetime
    from datetime import datetime, timedelta, timezone

    from gapbench.models.retry import call_with_retries, parse_retry_after, redact

    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= parse_retry_after(when) <= 31 and parse_retry_after("2") == 2.0 and parse_retry_after("x") is None
    replies = [httpx.Response(500), httpx.Response(503, headers={"Retry-After": "999"}),
               httpx.Response(429, headers={"Retry-After": when}), httpx.ConnectError("refused"),
               httpx.Response(200, json={"ok": True})]
    sleeps: list[float] = []

    async def send():
        r = replies.pop(0)
        if isinstance(r, Exception):
            raise r
        return r

    async def fake_sleep(s):
        sleeps.append(s)

    resp = asyncio.run(call_with_retries(send, max_retries=5, base_delay=1.0, max_delay=10.0, sleep=fake_sleep))
    assert resp.status_code == 200
    assert 0 <= sleeps[0] <= 1.0 and sleeps[1] == 40.0 and 25 <= sleeps[2] <= 31 and 0 <= sleeps[3] <= 8.0
    assert redact("Authorization: Bearer abc.def-1", ()) == "Authorization: *** ***"
