"""FollowBench's rule-checkable items: which are taken, each source's rules on hand-made answers (English and
Chinese, following and breaking them, hard and soft satisfaction), and the scorer end to end on a local model."""

from __future__ import annotations

import json

import pytest

from conftest import gapbench_cli
from gapbench.scoring.instructions.followbench import constraints
from gapbench.tasks.loader import load_samples
from gapbench.tasks.registry import get_task


@pytest.fixture(scope="module")
def items(data_dir) -> dict[str, dict[tuple[str, int, int], dict]]:
    """The rule-checkable records of each language by (source, example_id, level)."""
    out = {}
    for lang in ("en", "zh"):
        samples = load_samples(get_task(f"followbench_{lang}"), data_dir)
        out[lang] = {(s.metadata["source"], int(s.metadata["example_id"]), int(s.metadata["level"])): s.metadata
                     for s in samples}
    return out


def find(items, lang, source, level, example_id=None) -> dict:
    """A record of that source and level outside the example category (whose sources reuse these names)."""
    return next(r for (s, e, lv), r in items[lang].items() if s == source and lv == level
                and r["category"] != "example" and (example_id is None or e == example_id))


def test_the_rule_checkable_part_is_taken_and_nothing_else(items):
    for lang, total in (("en", 350), ("zh", 330)):
        records = list(items[lang].values())
        assert len(records) == total
        assert sum(r["category"] == "example" for r in records) == 200
        assert {r["level"] for r in records} == {1, 2, 3, 4, 5}
        assert not any(r["category"] == "style" for r in records)
        format_items = {r["example_id"] for r in records if r["category"] == "format" and r["source"] == "helpful_base"
                        or r["source"] == "koala"}
        assert format_items == ({22, 30} if lang == "en" else {22})


@pytest.mark.parametrize("lang, source, level, good, bad", [
    ("en", "E2E", 1, "name[The Phoenix], eatType[pub]", "name[The Phoenix], eatType[restaurant]"),
    ("zh", "E2E", 1, "名字[The Phoenix]，类型[酒吧]", "名字: The Phoenix，类型: 酒吧"),
    ("en", "CONLL2003", 5, "Bonn", "Germany"),
    ("zh", "CONLL2003", 5, "波恩", "德国"),
    ("en", "BBH_logical", 1, "Reasoning... so the answer is (A)", "(A) looks tempting but it is (B)"),
    ("zh", "BBH_logical", 2, "所以答案是 (B)", "答案：B"),
    ("en", "BBH_time", 1, "The date is 12/29/1937.", "The date is 12/30/1937."),
    ("zh", "BBH_time", 2, "01/09/1938", "1938年1月9日"),
    ("en", "self_made_space", 1, "He is on the 20th floor.", "He is on floor 20."),
    ("zh", "self_made_space", 1, "他现在在20楼。", "他现在在二十楼。"),
    ("en", "gsm_8k", 1, "12 + 2 = 14, so she earned $14", "She earned 14 dollars"),
    ("zh", "gsm_8k", 1, "她一共赚了14美元。", "她一共赚了$14。"),
    ("zh", "text_editing", 1, "小明爱吃苹果", "小明爱吃苹果。"),
])
def test_sources_checked_as_a_whole(items, lang, source, level, good, bad):
    record = find(items, lang, source, level)
    assert constraints(record, good, lang) == [True]
    assert constraints(record, bad, lang) == [False]


def test_wikievents_lines_must_be_target_events(items):
    record = find(items, "en", "WIKIEVENTS", 2)
    first, second = record["target"].split("\n")[:2]
    assert constraints(record, f"{first}\n\n{second}\n", "en") == [True]
    assert constraints(record, f"{first}\nsomething else died", "en") == [False]


EN_SUMMARIES = {  # source: (an answer meeting all five constraints, the constraints a breaking answer meets)
    "cnn_dailymail": ("Radcliffe plays Harry Potter. The actor stays modest. He has signed more films.",
                      "Radcliffe plays Harry Potter. The lavish actor says he will not spend a great deal of his "
                      "money on very many fast cars. He signed films.", [True, False, True, False, False]),
    "xsum": ("Crews are running a repair operation across flooded Scottish towns.",
             "Newton Stewart flooded badly and many roads remained closed after heavy rain there.",
             [True, True, False, False, False]),
    "samsum": ("Kim plans to do her stuff tomorrow.", "Kim was procrastinating, so she did no stuff today!",
               [True, True, True, False, False]),
    "gigaword": ("bomb attack kills two in southern philippines today", "Bus bombing kills two people in the southern Philippines",
                 [False, True, False, True, True]),
    "arxiv": ("We locate factual associations in mid-layer activations and edit them directly.",
              "Transformers store facts. We edit them.", [False, True, False, False, True]),
}


@pytest.mark.parametrize("source", sorted(EN_SUMMARIES))
def test_english_summaries_are_checked_constraint_by_constraint(items, source):
    good, bad, verdicts = EN_SUMMARIES[source]
    record = find(items, "en", source, 5)
    assert constraints(record, good, "en") == [True] * 5
    assert constraints(record, bad, "en") == verdicts
    assert constraints(find(items, "en", source, 2), bad, "en") == verdicts[:2]  # level 2: its first two only


ZH_SUMMARIES = {
    "cnn_dailymail": ("波特年满十八岁。演员不会乱花钱。他拍了新电影。", "他年满十八岁。演员生活很奢侈。电影。",
                      [True, True, False, False, False]),
    "xsum": ("抢修操作正在进行。", "牛顿斯图尔特遭遇洪水，损失仍在评估。", [True, True, False, True, False]),
    "samsum": ("金打算明天做琐碎的事。", "金拖拖拉拉，没做琐碎的事情，心情很差，打算明天再说", [True, False, True, True, False]),
    "gigaword": ("菲客车遇袭两人死", "菲律宾南部2人在公交车遇袭", [False, True, False, False, False]),
    "arxiv": ("我们发现中间层激活存储事实。", "本文分析transformer如何存储事实关联并加以编辑。", [True, False, False, False, False]),
}


@pytest.mark.parametrize("source", sorted(ZH_SUMMARIES))
def test_chinese_summaries_are_checked_constraint_by_constraint(items, source):
    good, bad, verdicts = ZH_SUMMARIES[source]
    record = find(items, "zh", source, 5)
    assert constraints(record, good, "zh") == [True] * 5
    assert constraints(record, bad, "zh") == verdicts


def test_format_22_paragraphs_sentences_and_closing_words(items):
    long = "Wipe the wooden table with a soft dry cloth every single day so that the dust never settles into its grain"
    good = "\n\n".join(f"{i}. {long}." for i in (1, 2, 3)) + "\n\n4. " + long + " and Those are suggestions"
    record = find(items, "en", "helpful_base", 5, 22)
    assert constraints(record, good, "en") == [True] * 5
    assert constraints(record, "Dust it.\n\nOil it.\n\nDone.", "en") == [False, True, False, False, False]
    zh_long = "请每天用柔软的干布擦拭木桌表面并避免热水杯直接放在桌面上"
    zh_good = "\n\n".join(f"{i}. {zh_long}。" for i in (1, 2, 3)) + "\n\n4. " + zh_long + "这些是建议"
    assert constraints(find(items, "zh", "helpful_base", 5, 22), zh_good, "zh") == [True] * 5
    assert constraints(find(items, "zh", "helpful_base", 1, 22), "只有一段。", "zh") == [False]


def test_format_30_follows_the_order_the_levels_add_constraints(items):
    speech = "\n".join(f"**{i}. Growth:** Innovation creates new jobs for workers in every Australian state." for i in range(1, 6))
    assert constraints(find(items, "en", "koala", 5, 30), speech, "en") == [True] * 5
    plain = "Innovation is truly great for the economy."
    assert constraints(find(items, "en", "koala", 4, 30), plain, "en") == [False, True, False, False]


def test_example_templates_are_matched_literally_around_the_answer(items):
    en = next(r for r in items["en"].values() if r["category"] == "example" and r["target"].endswith("'{answer}'}}"))
    key = en["target"].split("{{'")[1].split("'")[0]
    assert constraints(en, "{'" + key + "': 'Legal Anywhere.com'}", "en") == [True]
    assert constraints(en, "{\"" + key + "\": \"Legal Anywhere.com\"}", "en") == [False]
    zh = next(r for r in items["zh"].values() if r["category"] == "example" and r["target"] == "{instruction}\n答案: {answer}")
    assert constraints(zh, "答案: Rogas活动", "zh") == [True]
    assert constraints(zh, "答案：Rogas活动", "zh") == [False]  # a full-width colon is another template
    assert constraints(zh, "答案: 第一行\n第二行", "zh") == [False]  # the answer is one line


@pytest.mark.parametrize("model, task", [("local/smollm2-135m", "followbench_en"), ("local/qwen2.5-coder-0.5b", "followbench_zh")])
def test_followbench_scorer_end_to_end_with_a_local_model(tmp_path, data_dir, model, task):
    proc = gapbench_cli("run", "--model", model, "--task", task, "--limit", "3", "--max-tokens", "64",
                        "--data-dir", str(data_dir), "--db", str(tmp_path / "g.db"), "--json", timeout=900)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    result = report["results"][0]
    # the seeded three include a NarrativeQA example item longer than the 4,096-token window: skipped, not scored
    assert result["n"] >= 2 and result["n"] + report["skipped"] == 3 and result["errors"] == 0
    assert result["metric"] == "hsr" and result["score"] <= result["metrics"]["ssr"]
    groups = result["breakdown"]["groups"]
    assert result["breakdown"]["by"] == "level" and set(groups) <= {"1", "2", "3", "4", "5"}
    assert sum(g["n"] for g in groups.values()) == result["n"]
