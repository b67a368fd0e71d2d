"""Judged chat: parsing what judges really write, single-answer grading and pairwise judging against a local
server that speaks the OpenAI protocol, and one end-to-end run with a bundled local model as the judge."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from conftest import gapbench_cli
from fakeserver import FakeServer, chat_body
from gapbench.judging.agreement import cohen_kappa
from gapbench.judging.parse import parse_dimensions, parse_rating, parse_verdict
from gapbench.schema.outputs import json_schema

DIMS = "{'事实正确性': 7, '满足用户需求': 6, '清晰度': 8, '完备性': 5, '综合得分': 6}"


@pytest.mark.parametrize("text, expected", [
    ("The answer is helpful and correct.\n\nRating: [[8]]", 8.0),
    ("Rating: [[7.5]]", 7.5),
    ("Explanation… I would rate it [6].", 6.0),
    ("Overall this deserves a solid score. Rating: 9", 9.0),
    ("总体来说还不错，评分：7/10", 7.0),
    ("<think>maybe [[2]]</think>Final: [[9]]", 9.0),  # the answer, not the reasoning
    ("The response is fine.", None),  # no rating at all
    ("I'm sorry, but I can't evaluate this response.", None),  # a refusal to judge
    ("Rating: [[11]]", None),  # off the scale
])
def test_ratings_in_every_format(text, expected):
    assert parse_rating(text) == expected


def test_alignbench_dimensions_and_verdicts():
    parsed = parse_dimensions(f"逐点比较：回答基本正确，但不够完整。\n{DIMS}\n以上。")
    assert parsed == {"事实正确性": 7, "满足用户需求": 6, "清晰度": 8, "完备性": 5, "综合得分": 6}
    assert parse_dimensions('{"事实正确性": 7, "综合得分": 6}')["综合得分"] == 6
    assert parse_dimensions("{'事实正确性': 7}") is None  # no overall rating
    assert parse_dimensions("综合得分：6") is None  # no dict
    assert parse_dimensions("{'事实正确性': 70, '综合得分': 6}") is None  # off the scale
    assert [parse_verdict(t) for t in ("A is better. [[A]]", "[[C]]", "Tie.", "[[B]]")] == ["A", "tie", None, "B"]
    assert cohen_kappa(["a", "b", "a", "tie"], ["a", "b", "a", "tie"]) == 1.0
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "a", "b"]) == 0.0


class Servers:
    """One local server answers as two chat models (strong, weak) and as judges that write in given formats."""

    def __init__(self):
        self.server = FakeServer()
        self.judged = 0
        self.server.default = self.reply

    def reply(self, handler):
        body = self.server.requests[-1]["body"]
        text = body["messages"][-1]["content"]
        model = body["model"]
        if model in ("strong", "weak") and text.startswith("What is"):  # a maths task: weak is right on even n
            n = int(text.split()[2])
            return 200, {}, chat_body(f"The answer is {2 * n if model == 'strong' or n % 2 == 0 else 2 * n + 1}.")
        if model in ("strong", "weak"):
            return 200, {}, chat_body(f"{model.upper()} ANSWER to: {text[:40]}")
        self.judged += 1
        if model == "first-judge":  # always prefers whatever is shown first
            return 200, {}, chat_body("Assistant A is better. [[A]]")
        prompt = " ".join(m["content"] for m in body["messages"])
        if "[[C]]" in prompt:  # pairwise: the better answer is the strong model's, wherever it stands
            a_part = re.split(r"\[助手 B 的回答开始\]|\[The Start of Assistant B's Answer\]|### Assistant B", text)[0]
            return 200, {}, chat_body("[[A]]" if "STRONG ANSWER" in a_part else "[[B]]")
        strong = "STRONG ANSWER" in text.split("[The End of Reference Answer]")[-1]
        if "综合得分" in text:  # AlignBench
            rating = 8 if "STRONG ANSWER" in text else 4
            return 200, {}, chat_body(f"分析……\n{{'事实正确性': {rating}, '满足用户需求': {rating}, '综合得分': {rating}}}")
        if "unreadable" in body["messages"][0]["content"] or (model == "flaky-judge" and body.get("temperature") == 0):
            return 200, {}, chat_body("I think this answer is fine.")  # no rating: re-asked at another seed
        return 200, {}, chat_body(f"Good. Rating: [[{9 if strong else 3}]]" if model != "plain-judge"
                                  else f"Rating: {8 if strong else 2}")

    def close(self):
        self.server.close()


@pytest.fixture(scope="module")
def judged_store(tmp_path_factory, data_dir):
    servers = Servers()
    db = tmp_path_factory.mktemp("judge") / "g.db"
    url = servers.server.url + "/v1"
    for model in ("strong", "weak"):
        proc = gapbench_cli("run", "--model", f"openai/{model}", "--base-url", url, "--task", "mt_bench,alignbench",
                            "--limit", "6", "--db", str(db), "--data-dir", str(data_dir), "--json")
        assert proc.returncode == 0, proc.stderr
    yield servers, db, url
    servers.close()


def judge(db, url, data_dir, *args):
    proc = gapbench_cli("judge", "--base-url", url, "--db", str(db), "--data-dir", str(data_dir), "--json", *args)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    jsonschema.validate(out, json_schema()["outputs"]["judge"])  # the documented shape
    return out


def test_single_answer_grading_stores_judged_scores_and_reruns_free(judged_store, data_dir):
    servers, db, url = judged_store
    out = judge(db, url, data_dir, "--judge", "openai/sharp-judge")
    results = {(r["model"], r["task"]): r for r in out["results"]}
    mt = results[("openai/strong", "mt_bench@openai_sharp-judge.fastchat-single-v1")]
    assert mt["score"] == 9.0 and mt["scale"] == "1-10" and mt["n"] == 6 and mt["metrics"]["turn2"] == 9.0
    assert results[("openai/weak", "mt_bench@openai_sharp-judge.fastchat-single-v1")]["score"] == 3.0
    align = results[("openai/strong", "alignbench@openai_sharp-judge.gapbench-alignbench-v1")]
    assert align["score"] == 8.0 and "总分" in align["metrics"] and align["breakdown"]["by"] == "category"
    calls = out["model_calls"]
    assert calls == 2 * (6 * 2 + 6)  # two models: MT-Bench judged per turn, AlignBench once per answer
    again = judge(db, url, data_dir, "--judge", "openai/sharp-judge")
    assert again["model_calls"] == 0 and again["cache_hits"] == calls
    # the judged scores are compared like any score; the unjudged placeholder is not
    proc = gapbench_cli("compare", "--a", "openai/strong", "--b", "openai/weak", "--db", str(db), "--json")
    tasks = {t["task"]: t for t in json.loads(proc.stdout)["tasks"]}
    assert tasks["mt_bench@openai_sharp-judge.fastchat-single-v1"]["diff"] == 6.0 and "mt_bench" not in tasks
    results = json.loads(gapbench_cli("results", "--db", str(db), "--json").stdout)["results"]
    placeholder = next(r for r in results if r["task"] == "mt_bench")
    assert placeholder["score"] is None and placeholder["note"].startswith("not judged")


def test_reference_guided_prompts_for_maths_and_the_judge_identity(judged_store, data_dir):
    servers, db, url = judged_store
    judge(db, url, data_dir, "--judge", "openai/sharp-judge")
    bodies = [r["body"] for r in servers.server.requests if r["body"]["model"] == "sharp-judge"]
    texts = [b["messages"][-1]["content"] for b in bodies]
    assert any("### User:" in t and "Assistant A's Conversation" in t for t in texts)  # turn 2: whole conversation
    assert all(b["temperature"] == 0.0 for b in bodies)


def test_unreadable_judgments_are_retried_then_errors_never_scores(judged_store, data_dir):
    servers, db, url = judged_store
    flaky = judge(db, url, data_dir, "--judge", "openai/flaky-judge", "--task", "mt_bench")
    stats = {s["model"]: s for s in flaky["judges"]}
    assert stats["openai/strong"]["judged"] == 6 and stats["openai/strong"]["unparseable"] == 0
    retried = [r for r in servers.server.requests if r["body"]["model"] == "flaky-judge"]
    assert {r["body"]["temperature"] for r in retried} == {0.0, 0.7}  # re-asked at another seed, sampled
    plain = judge(db, url, data_dir, "--judge", "openai/plain-judge", "--task", "mt_bench")
    assert {s["judged"] for s in plain["judges"]} == {6}  # "Rating: 8" without brackets is read
    ratings = [a for a in plain["agreement"] if a["kind"] == "ratings" and "plain-judge" in a["judge_2"] + a["judge_1"]]
    assert ratings and all(a["value"] == pytest.approx(1.0) for a in ratings if "sharp" in a["judge_1"] + a["judge_2"])


def test_a_judge_that_never_rates_gives_errors_and_no_score(tmp_path, data_dir):
    servers = Servers()
    try:
        servers.server.default = lambda h: (200, {}, chat_body("I'm sorry, I can't judge that."
                                                              if servers.server.requests[-1]["body"]["model"] == "mute"
                                                              else "An answer."))
        db, url = tmp_path / "g.db", servers.server.url + "/v1"
        assert gapbench_cli("run", "--model", "openai/x", "--base-url", url, "--task", "mt_bench", "--limit", "2",
                            "--db", str(db), "--data-dir", str(data_dir)).returncode == 0
        out = judge(db, url, data_dir, "--judge", "openai/mute", "--task", "mt_bench", "--judge-attempts", "2")
        assert out["results"] == [] and out["judges"][0]["unparseable"] == 2
        assert out["judges"][0]["unparseable_rate"] == 1.0 and out["model_calls"] == 2 * 2  # 2 attempts, turn 1 each
        errors = json.loads(gapbench_cli("results", "--db", str(db), "--json").stdout)
        assert all(r["task"] == "mt_bench" for r in errors["results"])  # no judged score was made up
    finally:
        servers.close()


def test_pairwise_applies_the_position_swap(judged_store, data_dir):
    servers, db, url = judged_store
    out = judge(db, url, data_dir, "--judge", "openai/first-judge", "--pairwise", "--a", "openai/strong",
                "--b", "openai/weak", "--task", "mt_bench")
    pw = out["pairwise"]
    assert pw["position_bias"] == {"openai_first-judge.fastchat-single-v1": 1.0}
    task = next(w for w in pw["win_rates"] if w["scope"] == "task")
    assert task["win_rate"] == 0.5 and task["n_prompts"] == 6  # every verdict flips with the order: a tie
    fair = judge(db, url, data_dir, "--judge", "openai/sharp-judge", "--pairwise", "--a", "openai/strong",
                 "--b", "openai/weak", "--task", "alignbench")
    task = next(w for w in fair["pairwise"]["win_rates"] if w["scope"] == "task")
    assert task["win_rate"] == 1.0 and task["position_bias"] == 0.0 and task["ci_low"] < 1.0


def test_a_bundled_local_model_as_the_judge(tmp_path, data_dir):
    db = tmp_path / "g.db"
    proc = gapbench_cli("run", "--model", "local/smollm2-135m", "--task", "mt_bench,alignbench", "--limit", "1",
                        "--max-tokens", "24", "--db", str(db), "--data-dir", str(data_dir), "--n-ctx", "2048",
                        "--judge", "local/qwen2.5-coder-0.5b", "--judge-max-tokens", "24", "--judge-attempts", "1",
                        "--json")
    assert proc.returncode == 0, proc.stderr
    judged = json.loads(proc.stdout)["judged"]
    assert judged["model_calls"] == 3  # MT-Bench turns 1 and 2, one AlignBench answer
    for s in judged["judges"]:  # a tiny judge often writes no rating in 24 tokens: then an error, never a score
        assert s["judged"] + s["unparseable"] + s["errors"] == 1
    for r in judged["results"]:
        assert 1.0 <= r["score"] <= 10.0 and re.match(r"(mt_bench|alignbench)\.max24@local_qwen", r["task"])
    again = gapbench_cli("judge", "--judge", "local/qwen2.5-coder-0.5b", "--task", "mt_bench.max24,alignbench.max24",
                         "--judge-max-tokens", "24", "--judge-attempts", "1", "--db", str(db), "--data-dir",
                         str(data_dir), "--n-ctx", "2048", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["model_calls"] == 0  # the same judge (its context size is part of it): cached


def test_maths_reasoning_and_coding_are_judged_against_the_reference(data_dir):
    from gapbench.judging.recipes import Item, mt_bench_references, mt_bench_single

    refs = mt_bench_references(data_dir)
    item = Item(sample_id="111", category="math", turns=["Q1", "Q2"], answers=["A1", "A2"])
    t1, t2 = mt_bench_single(item, data_dir)
    assert refs["111"][0] in t1.messages[1][1] and "Reference Answer" in t1.messages[1][1]
    assert refs["111"][1] in t2.messages[1][1] and "A1" in t2.messages[1][1] and "A2" in t2.messages[1][1]
    writing = mt_bench_single(Item(sample_id="81", category="writing", turns=["Q1"], answers=["A1"]), data_dir)
    assert len(writing) == 1 and "Reference" not in writing[0].messages[1][1] and "[[rating]]" in writing[0].messages[1][1]


def test_a_claim_about_chinese_dialogue_is_checked_on_judged_alignbench(judged_store, data_dir, tmp_path):
    servers, db, url = judged_store
    judge(db, url, data_dir, "--judge", "openai/sharp-judge", "--task", "alignbench")
    claims = tmp_path / "claims.yaml"
    claims.write_text('- id: dialogue\n  claim: "weak matches strong in Chinese dialogue"\n  model: "weak"\n'
                      '  versus: "strong"\n  kind: not_inferior\n  benchmark: "alignbench"\n  source: "test"\n'
                      '  date: 2024-05-09\n  own: {model: "openai/weak", versus: "openai/strong", tasks: ["alignbench@*"]}\n',
                      encoding="utf-8")
    proc = gapbench_cli("claims", "--file", str(claims), "--db", str(db), "--data-dir", str(data_dir), "--json")
    assert proc.returncode == 0, proc.stderr
    [verdict] = json.loads(proc.stdout)["claims"]
    # 4 vs 8 out of 10 on every answer, but six prompts cannot rule out that other prompts differ
    assert verdict["verdict"] == "inconclusive" and verdict["details"][0]["ci_low"] < -0.44 < verdict["details"][0]["ci_high"]
    assert "alignbench@openai_sharp-judge.gapbench-alignbench-v1" in verdict["evidence"]
    assert verdict["details"][0]["diff"] == pytest.approx(-4 / 9)


def test_a_refusal_judge_beside_the_rules(tmp_path, data_dir):
    servers = Servers()
    try:
        def reply(handler):
            body = servers.server.requests[-1]["body"]
            if body["model"] == "answerer":  # refuses every other prompt
                q = body["messages"][-1]["content"]
                return 200, {}, chat_body("I'm sorry, but I can't help with that." if len(q) % 2 else "Sure: here is how.")
            answer = body["messages"][-1]["content"]
            return 200, {}, chat_body("Verdict: [[full_refusal]]" if "I'm sorry" in answer else "[[full_compliance]]")

        servers.server.default = reply
        db, url = tmp_path / "g.db", servers.server.url + "/v1"
        proc = gapbench_cli("run", "--model", "openai/answerer", "--base-url", url, "--task", "xstest", "--limit", "12",
                            "--refusal-judge", "openai/classifier", "--db", str(db), "--data-dir", str(data_dir), "--json")
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        rules = next(r for r in out["results"] if r["task"] == "xstest")
        [judged] = out["judged"]["results"]
        assert judged["task"] == "xstest@openai_classifier.refusal-judge-1" and judged["metric"] == "refusal_rate"
        assert judged["score"] == rules["score"] and 0 < judged["score"] < 1  # the same answers, two classifiers
        [agree] = [a for a in out["judged"]["agreement"] if a["kind"].startswith("rules vs judge")]
        assert agree["n"] == 12 and agree["exact_agreement"] == 1.0 and agree["value"] == pytest.approx(1.0)
    finally:
        servers.close()


def test_the_report_shows_the_refusal_profile(tmp_path, data_dir):
    servers = Servers()
    try:
        servers.server.default = lambda h: (200, {}, chat_body(
            "I'm sorry, but I can't help with that." if len(servers.server.requests[-1]["body"]["messages"][-1]["content"]) % 2
            else "Sure: here is how."))
        db, url = tmp_path / "g.db", servers.server.url + "/v1"
        assert gapbench_cli("run", "--model", "openai/x", "--base-url", url, "--task", "xstest", "--limit", "20",
                            "--db", str(db), "--data-dir", str(data_dir)).returncode == 0
        out = tmp_path / "r.html"
        proc = gapbench_cli("report", "--db", str(db), "--out", str(out), "--data-dir", str(data_dir))
        assert proc.returncode == 0, proc.stderr
        page = out.read_text(encoding="utf-8")
        assert "Refusal profile" in page and re.search(r"safe 0\.\d\d \(n=\d+\); unsafe 0\.\d\d \(n=\d+\)", page)
    finally:
        servers.close()
