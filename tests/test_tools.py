"""Tool calling (issue #11, item 2): the BFCL and ACEBench checkers on hand-made answers that satisfy and
violate each rule, the text-call parser, native tool calling against a local OpenAI-protocol server
(well-formed call, wrong argument type, extra call, no call; calls read back from the store), and prompt
mode end to end with a bundled local model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import REPO, gapbench_cli
from fakeserver import FakeServer, chat_body
from gapbench.scoring.tools_ace import check_normal, check_special
from gapbench.scoring.tools_bfcl import check_calls
from gapbench.scoring.tools_lang import java_value, js_value
from gapbench.scoring.tools_parse import NotACall, parse_text_calls
from gapbench.types import Request

# --- BFCL checker: one hand-made function exercising every parameter kind ------------------------------
DOC = {"name": "book.hotel", "description": "Book a hotel.", "parameters": {"type": "dict", "required": ["city", "nights"],
       "properties": {"city": {"type": "string"}, "nights": {"type": "integer"}, "budget": {"type": "float"},
                      "breakfast": {"type": "boolean"}, "guests": {"type": "array", "items": {"type": "string"}},
                      "filters": {"type": "dict", "properties": {"stars": {"type": "integer"}}}}}}
ANSWER = {"book.hotel": {"city": ["New York", "NYC"], "nights": [3], "budget": [150.0, ""], "breakfast": [True, ""],
                         "guests": [["Ann", "Bob"]], "filters": [{"stars": [4]}, ""]}}
GOOD = {"city": "new york", "nights": 3, "guests": ["Ann", "Bob"]}


def bfcl(args, name="book.hotel", answers=(ANSWER,), docs=(DOC,)):
    return check_calls(list(docs), [(name, args)], list(answers))


def test_bfcl_accepts_a_call_within_the_rules():
    assert bfcl(GOOD) is None
    assert bfcl({**GOOD, "city": "N.Y.C", "budget": 150}) is None  # standardised string; int accepted for float
    assert bfcl({**GOOD, "breakfast": True, "filters": {"stars": 4}}) is None


@pytest.mark.parametrize("args, name, reason", [
    (GOOD, "book_hotel", "wrong function"),
    ({"city": "NYC", "guests": ["Ann", "Bob"]}, "book.hotel", "missing required parameter 'nights'"),
    ({**GOOD, "pets": True}, "book.hotel", "unexpected parameter 'pets'"),
    ({**GOOD, "nights": "3"}, "book.hotel", "wrong type for 'nights'"),
    ({**GOOD, "breakfast": "yes"}, "book.hotel", "wrong type for 'breakfast'"),
    ({**GOOD, "nights": 4}, "book.hotel", "wrong value for 'nights'"),
    ({**GOOD, "city": "Boston"}, "book.hotel", "wrong value for 'city'"),
    ({**GOOD, "guests": ["Bob", "Ann"]}, "book.hotel", "wrong value for 'guests'"),
    ({**GOOD, "guests": ["Ann", 2]}, "book.hotel", "wrong type for 'guests'"),
    ({**GOOD, "filters": {"stars": 5}}, "book.hotel", "wrong value for 'filters'"),
])
def test_bfcl_rejects_each_broken_rule(args, name, reason):
    assert reason in (bfcl(args, name) or "")


def test_bfcl_optional_without_empty_marker_must_be_given():
    answer = {"book.hotel": {**ANSWER["book.hotel"], "budget": [150.0]}}
    assert "missing parameter 'budget'" in bfcl(GOOD, answers=(answer,))
    assert bfcl({**GOOD, "budget": 150.0}, answers=(answer,)) is None


def test_bfcl_parallel_is_order_free_and_counts_calls():
    docs = [{"name": "spotify.play", "parameters": {"type": "dict", "required": ["artist"],
             "properties": {"artist": {"type": "string"}, "duration": {"type": "integer"}}}}]
    answers = [{"spotify.play": {"artist": ["Taylor Swift"], "duration": [20]}},
               {"spotify.play": {"artist": ["Maroon 5"], "duration": [15]}}]
    a, b = ("spotify.play", {"artist": "Taylor Swift", "duration": 20}), ("spotify.play", {"artist": "Maroon 5", "duration": 15})
    assert check_calls(docs, [b, a], answers) is None
    assert "wrong number of calls" in check_calls(docs, [a, b, a], answers)
    assert "wrong number of calls" in check_calls(docs, [a], answers)
    assert "no call matches" in check_calls(docs, [a, ("spotify.play", {"artist": "Maroon 5", "duration": 20})], answers)


def test_bfcl_java_and_javascript_values_are_text_converted_by_type():
    assert java_value("5L", "long") == 5 and java_value("5", "long") == "5"  # BFCL: a Java long needs its L
    assert java_value("true", "boolean") is True and java_value("2.5f", "float") == 2.5
    assert java_value('new ArrayList<>(Arrays.asList("a", "b"))', "ArrayList", "String") == ["a", "b"]
    assert java_value('new HashMap<String, String>() {{ put("k", "v"); }}', "HashMap") == {"k": "v"}
    assert js_value("[1, 2]", "array") == [1, 2] and js_value("{limit: 5}", "dict") == {"limit": 5}
    doc = {"name": "f", "parameters": {"type": "dict", "required": ["n", "on"],
                                        "properties": {"n": {"type": "long"}, "on": {"type": "boolean"}}}}
    answer = [{"f": {"n": [5], "on": [True]}}]
    assert check_calls([doc], [("f", {"n": "5L", "on": "true"})], answer, "java") is None
    assert "must be given as text" in check_calls([doc], [("f", {"n": 5, "on": True})], answer, "java")
    assert "wrong type for 'n'" in check_calls([doc], [("f", {"n": "5", "on": "true"})], answer, "java")


# --- the text parser -----------------------------------------------------------------------------------
def test_parser_reads_calls_without_running_them():
    assert parse_text_calls("[f(a=1, b='x'), g.h(c=[1, -2], d={'k': None})]") == [
        ("f", {"a": 1, "b": "x"}), ("g.h", {"c": [1, -2], "d": {"k": None}})]
    assert parse_text_calls("```python\nf(a=2*3, b=true)\n```") == [("f", {"a": 6, "b": "true"})]
    assert parse_text_calls("[f(x=\"5L\", y=true)]", raw_values=True) == [("f", {"x": "5L", "y": "true"})]
    for text in ("I cannot help with that.", "", "[1, 2]", "f(**kw)"):
        with pytest.raises(NotACall):
            parse_text_calls(text)
    # read as text, never run: a call to something odd is just a call with that name
    assert parse_text_calls("__import__('os').system('x')") == [("__import__('os').system", {})]


# --- ACEBench checker: Chinese and English hand-made answers -------------------------------------------
ACE_DOCS = [{"name": "Weather_Query", "parameters": {"type": "object", "required": ["city"], "properties": {
    "city": {"type": "string"}, "days": {"type": "integer"}, "detail": {"type": "boolean"},
    "options": {"type": "object", "properties": {"unit": {"type": "string"}}}}}}]


@pytest.mark.parametrize("city, truth_city", [("北京市", "北京"), ("Beijing, China", "beijing")])
def test_acebench_normal_passes_and_fails(city, truth_city):
    truth = {"Weather_Query": {"city": truth_city, "days": 3, "options": {"unit": "C"}}}
    good = ("Weather_Query", {"city": city, "days": 3, "options": {"unit": "c"}})
    assert check_normal(ACE_DOCS, [good], truth) is None  # expected string contained, case-free
    assert check_normal(ACE_DOCS, [("Weather_Query", {"city": city})], truth) is None  # optional omitted: upstream allows
    assert "wrong value for 'days'" in check_normal(ACE_DOCS, [("Weather_Query", {"city": city, "days": 4})], truth)
    assert "wrong type for 'days'" in check_normal(ACE_DOCS, [("Weather_Query", {"city": city, "days": [3]})], truth)
    assert "extra parameter 'detail'" in check_normal(ACE_DOCS, [("Weather_Query", {"city": city, "detail": True})], truth)
    assert "missing required parameter 'city'" in check_normal(ACE_DOCS, [("Weather_Query", {"days": 3})], truth)
    assert "wrong number of calls" in check_normal(ACE_DOCS, [good, good], truth)
    assert "differ" in check_normal(ACE_DOCS, [("Other_Api", {"city": city})], truth)
    assert "wrong value for 'options'" in check_normal(
        ACE_DOCS, [("Weather_Query", {"city": city, "options": {"unit": "C", "x": 1}})], truth)
    twice = {"Weather_Query_1": {"city": truth_city}, "Weather_Query_2": {"city": "上海"}}
    assert check_normal(ACE_DOCS, [("Weather_Query", {"city": "上海"}), ("Weather_Query", {"city": city})], twice) is None
    assert check_normal(ACE_DOCS, [good], [{"Weather_Query": {"city": "x"}}, truth]) is None  # any ground truth


@pytest.mark.parametrize("category, truth, good, bad", [
    ("special_incomplete", {"auctionEventPlanner": ["schedule", "participants"]},
     '["Missing necessary parameters (schedule, participants) for the api (auctionEventPlanner)"]',
     '["Missing necessary parameters (schedule) for the api (auctionEventPlanner)"]'),
    ("special_error_param", {"time_range": ["10点到16点"]},
     '["There is incorrect value (10点到16点) for the parameters (time_range) in the conversation history."]',
     '好的，我来帮您查询。'),
    ("special_irrelevant", "Due to the limitations of the function, I cannot solve this problem.",
     '["Due to the limitations of the function, I cannot solve this problem."]', "[Weather_Query(city='Paris')]"),
])
def test_acebench_special_answers(category, truth, good, bad):
    assert check_special(category, good, truth) is None
    assert check_special(category, bad, truth) is not None


def test_request_without_tools_keeps_its_cache_shape():
    assert "tools" not in Request(kind="generate", messages=(("user", "hi"),)).to_json()
    assert Request(kind="generate", tools='[{"name": "f"}]').to_json()["tools"] == [{"name": "f"}]


# --- native tool calling against a local OpenAI-protocol server ----------------------------------------
def one_item_task(tmp_path: Path, builtin: str, item: str) -> Path:
    text = (REPO / "gapbench" / "tasks" / "builtin" / f"{builtin}.yaml").read_text(encoding="utf-8")
    text = text.replace(f'name: "{builtin}"', f'name: "{builtin}_{item}"')
    text = re.sub(r'include: \{id: "[^"]*"\}', f'include: {{id: "^{item}$"}}', text)
    category = item.rsplit("_", 1)[0]  # read only that category's files
    text = text.replace("BFCL_v4_*.json", f"BFCL_v4_{category}.json")
    path = tmp_path / f"{item}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def tool_reply(*calls, content=None):
    body = chat_body(content=content)
    if calls:
        body["choices"][0]["message"]["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, (n, a) in enumerate(calls)]
        body["choices"][0]["finish_reason"] = "tool_calls"
    return 200, {}, body


@pytest.fixture
def server():
    srv = FakeServer()
    yield srv
    srv.close()


def run_native(server, task, tmp_path, data_dir, method="tools"):
    proc = gapbench_cli("run", "--model", "openai/test-model", "--base-url", server.url + "/v1", "--task", str(task),
                        "--method", method, "--db", str(tmp_path / "g.db"), "--retries", "0", "--json",
                        "--data-dir", str(data_dir))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


TRIANGLE = ("calculate_triangle_area", {"base": 10, "height": 5})


@pytest.mark.parametrize("builtin, item, reply, expected", [
    ("bfcl", "simple_python_0", tool_reply(TRIANGLE), 1.0),
    ("bfcl", "simple_python_0", tool_reply(("calculate_triangle_area", {"base": "10", "height": 5})), 0.0),
    ("bfcl", "simple_python_0", tool_reply(TRIANGLE, TRIANGLE), 0.0),
    ("bfcl", "simple_python_0", tool_reply(content="The area is 25 square units."), 0.0),
    ("bfcl", "parallel_0", tool_reply(("spotify_play", {"artist": "Maroon 5", "duration": 15}),
                                      ("spotify_play", {"artist": "Taylor Swift", "duration": 20})), 1.0),
    ("bfcl_irrelevance", "irrelevance_0", tool_reply(content="None of the functions computes a triangle's area."), 1.0),
    ("bfcl_irrelevance", "irrelevance_0", tool_reply(("determine_body_mass_index", {"weight": 10.0, "height": 5.0})), 0.0),
])
def test_native_tool_calls_scored_and_read_back_from_the_store(server, tmp_path, data_dir, builtin, item, reply, expected):
    task = one_item_task(tmp_path, builtin, item)
    server.default = reply
    out = run_native(server, task, tmp_path, data_dir)
    assert out["results"][0]["method"] == "tools" and out["results"][0]["score"] == expected
    body = server.requests[0]["body"]
    tools = {t["function"]["name"]: t["function"] for t in body["tools"]}
    assert all(t["type"] == "function" for t in body["tools"]) and "." not in "".join(tools)
    params = next(iter(tools.values()))["parameters"]
    assert params["type"] == "object" and all(p["type"] != "dict" for p in params["properties"].values())
    assert not any(m["role"] == "system" for m in body["messages"])  # BFCL's native mode: no docs in a prompt
    again = run_native(server, task, tmp_path, data_dir)  # the calls come back from the stored raw payload
    assert again["model_calls"] == 0 and again["results"][0]["score"] == expected


def test_prompt_method_puts_the_docs_in_the_system_prompt(server, tmp_path, data_dir):
    task = one_item_task(tmp_path, "bfcl", "simple_python_1")
    server.default = (200, {}, chat_body(content="[math.factorial(number=5)]"))
    out = run_native(server, task, tmp_path, data_dir, method="prompt")
    assert out["results"][0]["score"] == 1.0
    body = server.requests[0]["body"]
    system = body["messages"][0]
    assert "tools" not in body and system["role"] == "system" and '"name": "math.factorial"' in system["content"]
    assert "Note that the provided function is in Python 3 syntax." in system["content"]


def test_a_provider_without_native_calling_says_so(tmp_path, data_dir, smollm2_path):
    proc = gapbench_cli("run", "--model", "local/smollm2-135m", "--task", "bfcl", "--method", "tools", "--limit", "1",
                        "--data-dir", str(data_dir), "--db", str(tmp_path / "g.db"))
    assert proc.returncode == 2
    assert "has no native function calling" in proc.stderr and "use --method prompt" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# --- prompt mode end to end with a bundled local model -------------------------------------------------
def test_prompt_mode_with_a_local_model(tmp_path, data_dir, smollm2_path):
    args = ("run", "--model", "local/smollm2-135m", "--task", "bfcl,acebench_zh", "--limit", "2",
            "--data-dir", str(data_dir), "--db", str(tmp_path / "g.db"), "--json")
    proc = gapbench_cli(*args, timeout=1800)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["errors"] == 0 and {r["task"] for r in out["results"]} == {"bfcl", "acebench_zh"}
    for r in out["results"]:  # a local model has no native calling: the prompt method is chosen
        assert r["method"] == "prompt" and r["n"] == 2 and 0.0 <= r["score"] <= 1.0
        assert r["breakdown"]["by"] == "category"
    again = json.loads(gapbench_cli(*args, timeout=1800).stdout)
    assert again["model_calls"] == 0 and [r["score"] for r in again["results"]] == [r["score"] for r in out["results"]]


def test_anthropic_native_tool_use(server, tmp_path, data_dir):
    task = one_item_task(tmp_path, "bfcl", "simple_python_1")
    server.default = (200, {}, {"id": "msg_1", "type": "message", "role": "assistant", "stop_reason": "tool_use",
                                "content": [{"type": "tool_use", "id": "tu_1", "name": "math_factorial",
                                             "input": {"number": 5}}],
                                "usage": {"input_tokens": 50, "output_tokens": 9}})
    proc = gapbench_cli("run", "--model", "anthropic/claude-haiku-5-5", "--base-url", server.url, "--task", str(task),
                        "--method", "tools", "--db", str(tmp_path / "g.db"), "--retries", "0", "--json",
                        "--data-dir", str(data_dir))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["score"] == 1.0
    body = server.requests[0]["body"]
    assert server.requests[0]["path"] == "/v1/messages"
    assert body["tools"][0]["name"] == "math_factorial" and body["tools"][0]["input_schema"]["type"] == "object"


def test_llamacpp_reads_hermes_tool_call_blocks():
    from gapbench.models.http import tool_calls_in
    from gapbench.models.llamacpp import _tool_call_blocks

    raw = {"choices": [{"message": {"content": "x"}}]}
    text = _tool_call_blocks(raw, 'Sure.\n<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n</tool_call>\n'
                                  '<tool_call>{"name": "g", "arguments": {}}')  # the last block cut off by EOS
    assert text == "Sure." and [(c.name, c.arguments) for c in tool_calls_in(raw)] == [("f", {"a": 1}), ("g", {})]
    untouched = {"choices": [{"message": {"content": "x"}}]}
    assert _tool_call_blocks(untouched, "<tool_call>not json</tool_call>") == "" and tool_calls_in(untouched) == ()
    assert _tool_call_blocks(untouched, "The area is 25.") == "The area is 25." and tool_calls_in(untouched) == ()
    assert _tool_call_blocks(untouched, '{"name": "f"}') == '{"name": "f"}' and tool_calls_in(untouched) == ()
    fenced = {"choices": [{"message": {"content": "x"}}]}  # Qwen2.5-Coder-0.5B answers this way
    assert _tool_call_blocks(fenced, '```json\n{"name": "f", "arguments": {"base": 10}}\n```') == ""
    assert [(c.name, c.arguments) for c in tool_calls_in(fenced)] == [("f", {"base": 10})]


def test_native_tools_with_a_local_model_whose_template_takes_tools(tmp_path, data_dir, qwen_path):
    task = one_item_task(tmp_path, "bfcl", "simple_python_0")
    proc = gapbench_cli("run", "--model", "local/qwen2.5-coder-0.5b", "--task", str(task), "--method", "tools",
                        "--data-dir", str(data_dir), "--db", str(tmp_path / "g.db"), "--json", timeout=1800)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    assert result["method"] == "tools" and result["n"] == 1
    from gapbench.store.db import Store

    with Store(tmp_path / "g.db") as store:
        row = store.scores()[0]
        request = store.responses(row.cache_keys)[row.cache_keys[0]].request
        raw = store.get_response(row.cache_keys[0]).raw
    assert request["tools"][0]["name"] == "calculate_triangle_area"
    assert row.details["calls"] == len(raw["choices"][0]["message"].get("tool_calls") or [])
