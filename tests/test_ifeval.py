"""IFEval's 25 instruction types and their Chinese-aware counterparts, each on hand-made responses that follow
and break it; loose mode; the ifeval scorer end to end with the bundled local models; ifeval_zh's data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import gapbench_cli
from gapbench.errors import GapbenchError
from gapbench.scoring.instructions import CHECKERS, check, check_loose, loose_variants
from gapbench.scoring.instructions.text import count_chars_zh, count_sentences_en, sentences_zh

ESSAY = ("The river bends twice before it reaches the town. Its banks are lined with willows. "
         "Fishermen arrive before dawn, and they leave when the market opens.")

# (instruction id, kwargs, a response that follows it, a response that breaks it)
CASES = [
    ("keywords:existence", {"keywords": ["willow", "dawn"]}, "Willows sway at dawn.", "Willows sway at dusk."),
    ("keywords:frequency", {"keyword": "river", "frequency": 3, "relation": "at least"},
     "River, river, RIVER.", "A river and another river."),
    ("keywords:frequency", {"keyword": "river", "frequency": 2, "relation": "less than"},
     "One river only.", "A river and another river."),
    ("keywords:forbidden_words", {"forbidden_words": ["bank", "money"]},
     "Riverbanks and moneylenders are fine as parts of words.", "I went to the Bank."),
    ("keywords:letter_frequency", {"letter": "z", "let_frequency": 3, "let_relation": "at least"},
     "Zebras zigzag lazily.", "Zebras sleep."),
    ("keywords:letter_frequency", {"letter": "e", "let_frequency": 3, "let_relation": "less than"},
     "A cat sat on a mat.", "Eleven trees."),
    ("language:response_language", {"language": "de"},
     "Der Fluss fließt langsam durch die kleine Stadt, und die Fischer kommen früh am Morgen.",
     "The river flows slowly through the small town, and the fishermen come early in the morning."),
    ("language:response_language", {"language": "zh"}, "这条河慢慢地流过小镇，渔夫们一大早就来了。",
     "The river flows slowly through the small town."),
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "at least"}, ESSAY, "One sentence only."),
    ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "less than"},
     "Dr. Smith arrived at 5 p.m. on time.", "First one. Second one."),
    ("length_constraints:number_words", {"num_words": 20, "relation": "at least"}, ESSAY, "Too short."),
    ("length_constraints:number_words", {"num_words": 5, "relation": "less than"}, "Four words are here.",
     "Here are five whole words."),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 3}, "One.\n***\nTwo.\n***\nThree.",
     "One.\n***\n\n***\nTwo.\n***\nThree."),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "rivers"},
     "Intro here.\n\n\"Rivers, as ever, flow.", "Intro here.\n\nStreams flow."),
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "Dear [name], meet me at [address].",
     "Dear [name], meet me at the station."),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "See you.\n\np. s. bring the map",
     "See you.\n\nPS bring the map"),
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"}, "See you.\nP.S. one\nP.P.S two",
     "See you.\nP.S. one"),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "Intro\n* one\n- two", "* one\n* two\n* three"),
    ("detectable_format:constrained_response", {}, "I thought about it. My answer is maybe.", "My answer is perhaps."),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*first* and **second**",
     "*first* and ** **"),
    ("detectable_format:multiple_sections", {"section_spliter": "SECTION", "num_sections": 2},
     "SECTION 1\nhello\nSECTION 2\nbye", "SECTION 1\nhello\nSECTION two\nbye"),
    ("detectable_format:json_format", {}, "```json\n{\"a\": [1, 2]}\n```", "Here it is: {\"a\": 1}"),
    ("detectable_format:title", {}, "<<Ode to a River>>\nFlow on.", "<< >>\nFlow on."),
    ("combination:two_responses", {}, "First answer.\n******\nSecond answer.", "Same.\n******\nSame."),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Write a poem about rivers."},
     "write a poem about rivers. Rivers run...", "Sure! Write a poem about rivers. Rivers run..."),
    ("startend:end_checker", {"end_phrase": "Any other questions?"}, "Done. Any other questions?\"",
     "Any other questions? Thanks."),
    ("startend:quotation", {}, "  \"All of it is quoted.\"  ", "\"Only the start is quoted."),
    ("change_case:english_capital", {}, "THE RIVER IS WIDE AND DEEP TODAY.", "THE RIVER IS wide AND DEEP TODAY."),
    ("change_case:english_lowercase", {}, "the river is wide and deep today.", "The river is wide and deep today."),
    ("change_case:capital_word_frequency", {"capital_frequency": 3, "capital_relation": "at least"},
     "The U.S. has WELL-KNOWN rivers, DON'T forget.", "The US has rivers."),
    ("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "less than"},
     "Only ONE capital word.", "TWO CAPITAL words."),
    ("punctuation:no_comma", {}, "No commas at all here.", "One comma, here."),
    # Chinese-aware counterparts (ifeval_zh)
    ("length_constraints:number_characters", {"num_chars": 10, "relation": "at least"},
     "长江是中国最长的河流。", "长江很长。"),
    ("length_constraints:number_characters", {"num_chars": 8, "relation": "less than"},
     "我用 Python 3.12 写。", "长江是中国最长的河流。"),
    ("length_constraints:number_sentences_zh", {"num_sentences": 3, "relation": "at least"},
     "春天来了。花开了！你看见了吗？", "春天来了，花开了。"),
    ("length_constraints:number_sentences_zh", {"num_sentences": 2, "relation": "less than"},
     "春天来了，花开了。", "春天来了。“花开了！”他说。"),
    ("length_constraints:nth_paragraph_first_word_zh", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "其次"},
     "首先，准备材料。\n\n**其次**，开始制作。", "首先，准备材料。\n\n然后，其次开始制作。"),
    ("keywords:forbidden_words_zh", {"forbidden_words": ["苹果", "Apple"]}, "我喜欢吃香蕉。", "我喜欢吃红苹果。"),
    ("keywords:forbidden_words_zh", {"forbidden_words": ["苹果", "Apple"]}, "我用安卓手机。", "我用 APPLE 手机。"),
    ("punctuation:no_comma_zh", {}, "春天来了。花开了、草绿了。", "春天来了，花开了。"),
    ("punctuation:no_comma_zh", {}, "春天来了。", "春天来了, 花开了。"),
    ("punctuation:fullwidth_punctuation_zh", {}, "价格是 3.5 元，网址是 example.com。Hello, world.",
     "价格是三元, 很便宜."),
    ("detectable_format:constrained_response_zh", {}, "想了想。我的答案是否定的。", "我的答案是：不。"),
    ("detectable_format:multiple_sections_zh", {"section_unit": "部分", "num_sections": 3},
     "第1部分\n甲\n第二部分\n乙\n第 3 部分\n丙", "第1部分\n甲\n第二部分\n乙"),
    ("startend:quotation_zh", {}, "“全部都在引号里。”", "“只有开头有引号。"),
    ("startend:quotation_zh", {}, "\"全部都在引号里。\"", "全部都不在引号里。"),
    # language-independent IFEval checkers on Chinese responses
    ("keywords:existence", {"keywords": ["长江", "黄河"]}, "长江和黄河都很长。", "长江很长。"),
    ("keywords:frequency", {"keyword": "春天", "frequency": 2, "relation": "at least"}, "春天来了，春天真美。", "春天来了。"),
    ("keywords:letter_frequency", {"letter": "的", "let_frequency": 3, "let_relation": "less than"},
     "我的书。", "我的书的封面的颜色。"),
    ("detectable_content:postscript", {"postscript_marker": "附言："}, "祝好！\n\n附言：记得带伞。", "祝好！记得带伞。"),
    ("startend:end_checker", {"end_phrase": "还有其他问题吗？"}, "就是这样。还有其他问题吗？", "还有其他问题吗？谢谢。"),
]


def test_every_ifeval_type_and_every_chinese_checker_has_cases():
    covered = {case[0] for case in CASES}
    assert set(CHECKERS) <= covered, sorted(set(CHECKERS) - covered)
    assert len([c for c in CHECKERS if not c.endswith("_zh") and c != "length_constraints:number_characters"]) == 25


def test_the_25_types_are_those_of_the_ifeval_data(data_dir):
    used = {i for line in (data_dir / "ifeval" / "input_data.jsonl").read_text().splitlines()
            for i in json.loads(line)["instruction_id_list"]}
    assert len(used) == 25 and used <= set(CHECKERS)


@pytest.mark.parametrize("instruction, kwargs, good, bad", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_checker_accepts_a_following_response_and_rejects_a_breaking_one(instruction, kwargs, good, bad):
    assert check(instruction, kwargs, good) is True
    assert check(instruction, kwargs, bad) is False


def test_empty_response_follows_nothing():
    assert not check("punctuation:no_comma", {}, "   ") and not check_loose("punctuation:no_comma", {}, "")


def test_counting_rules():
    assert count_sentences_en("Mr. Smith went to Washington. He arrived at 5 p.m. yesterday!") == 2
    assert sentences_zh("他说：“走吧！”然后离开了……最后一句没有句号") == ["他说：“走吧！”", "然后离开了……", "最后一句没有句号"]
    assert count_chars_zh("我用 Python 3.12 写代码，共 2 行。") == 7 + 3  # 7 Han characters, Python, 3.12, 2
    assert count_chars_zh("汉字") == 2 and count_chars_zh("hello world") == 2 and count_chars_zh("，。！") == 0


def test_loose_accepts_a_response_once_markdown_or_an_opening_line_is_removed():
    assert len(loose_variants("a\nb\nc")) == 8
    wrapped = "Sure, here is my answer:\nNo commas at all here."
    assert not check("punctuation:no_comma", {}, wrapped) and check_loose("punctuation:no_comma", {}, wrapped)
    bold = "**The river is wide.**"
    assert not check("startend:end_checker", {"end_phrase": "wide."}, bold)
    assert check_loose("startend:end_checker", {"end_phrase": "wide."}, bold)
    assert not check_loose("punctuation:no_comma", {}, "First, line\nmiddle, line\nlast, line")


def test_unknown_instructions_and_missing_arguments_are_user_errors():
    with pytest.raises(GapbenchError, match="unknown instruction id 'keywords:telepathy'"):
        check("keywords:telepathy", {}, "text")
    with pytest.raises(GapbenchError, match="kwargs lack num_words"):
        check("length_constraints:number_words", {"relation": "at least"}, "text")
    with pytest.raises(GapbenchError, match="relation 'at most'"):
        check("length_constraints:number_words", {"relation": "at most", "num_words": 3}, "text")


# --- ifeval_zh: gapbench's own data ---------------------------------------------------------------------

ZH_DATA = Path(__file__).resolve().parents[1] / "gapbench" / "data" / "ifeval_zh.jsonl"


def _zh_records() -> list[dict]:
    return [json.loads(line) for line in ZH_DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_ifeval_zh_has_at_least_150_chinese_prompts_with_known_checkers():
    records = _zh_records()
    assert len(records) >= 150 and len({r["key"] for r in records}) == len(records)
    for r in records:
        assert sum("\u4e00" <= ch <= "\u9fff" for ch in r["prompt"]) >= 8, r["key"]
        assert len(r["instruction_id_list"]) == len(r["kwargs"]) >= 1
        assert len(set(r["instruction_id_list"])) == len(r["instruction_id_list"]), r["key"]
        for i, k in zip(r["instruction_id_list"], r["kwargs"]):
            checker = CHECKERS[i]
            assert set(k) == set(checker.args), (r["key"], i)
            check(i, k, "示例回答。")  # every argument is usable: no GapbenchError


def test_ifeval_zh_prompts_state_their_parameters():
    """Each keyword, phrase and number a checker uses is written in the prompt the model reads."""
    for r in _zh_records():
        for i, k in zip(r["instruction_id_list"], r["kwargs"]):
            for name, value in k.items():
                values = value if isinstance(value, list) else [value]
                for v in values:
                    if name in ("relation", "let_relation", "capital_relation", "language"):
                        continue
                    assert str(v) in r["prompt"], (r["key"], i, name, v)


def test_ifeval_zh_covers_the_ifeval_groups_and_the_chinese_checkers():
    ids = [i for r in _zh_records() for i in r["instruction_id_list"]]
    groups = {i.split(":")[0] for i in ids}
    assert groups >= {"keywords", "language", "length_constraints", "detectable_content", "detectable_format",
                      "combination", "startend", "change_case", "punctuation"}
    zh_only = {c for c in CHECKERS if c.endswith("_zh")} | {"length_constraints:number_characters"}
    assert zh_only <= set(ids)
    for english_only in ("length_constraints:number_words", "length_constraints:number_sentences",
                         "punctuation:no_comma", "keywords:forbidden_words", "detectable_format:constrained_response"):
        assert english_only not in ids  # their English definitions do not carry over to Chinese


# --- end to end with the bundled local models ------------------------------------------------------------


@pytest.mark.parametrize("model, task", [("local/qwen2.5-coder-0.5b", "ifeval"), ("local/smollm2-135m", "ifeval_zh")])
def test_ifeval_scorer_end_to_end_with_a_local_model(tmp_path, data_dir, model, task):
    proc = gapbench_cli("run", "--model", model, "--task", task, "--limit", "3", "--max-tokens", "96",
                        "--data-dir", str(data_dir), "--db", str(tmp_path / "g.db"), "--json", timeout=900)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    assert result["n"] == 3 and result["metric"] == "prompt_strict" and result["errors"] == 0
    metrics = result["metrics"]
    assert set(metrics) == {"prompt_loose", "inst_strict", "inst_loose", "inst_strict_micro", "inst_loose_micro"}
    assert result["score"] <= metrics["prompt_loose"] and metrics["inst_strict"] <= metrics["inst_loose"]
    assert result["score"] <= metrics["inst_strict"] and 0 <= metrics["inst_strict_micro"] <= 1
    assert result["breakdown"]["by"] == "n_instructions"


REFERENCE_ANSWERS = {  # hand-written answers that follow every instruction of their ifeval_zh prompt
    1006: "一只小猫在雨夜里迷了路。它躲在屋檐下，想念家里温暖的垫子。\n\n后来，这只猫闻到了熟悉的鱼香味。"
          "它跟着香味穿过小巷，看到了自家的窗户。\n\n主人打开门，小猫扑进怀里。从那以后，这只猫再也不乱跑了，邻居的猫也常来找它玩。",
    1010: "光合作用是植物利用光能制造养分的过程。叶绿体吸收阳光，把二氧化碳和水变成葡萄糖。这个过程同时放出氧气。",
    1012: "```json\n{\"产品\": \"无线耳机\", \"特点\": [\"主动降噪\", \"续航30小时\"], \"价格\": \"299元\"}\n```",
    1013: "“表弟，高考只是人生的一站。放松心态，相信自己，你一定能行！”",
    1014: "表弟你好！高考就在眼前。只要每天认真复习就一定会有收获。相信自己！加油！",
    1026: "“寻物启事：本人于周三下午在图书馆三楼丢失一把蓝色雨伞。拾到者请联系[电话]。万分感谢！”",
    1028: "A BLOCKCHAIN IS A SHARED RECORD BOOK. MANY COMPUTERS KEEP THE SAME COPY, SO NOBODY CAN SECRETLY CHANGE IT.",
    1035: "从前有一只小兔子，它最爱在月光下散步。一天晚上，它遇到了一只迷路的小刺猬。小兔子带着小刺猬找到了回家的路。"
          "小刺猬的家人送给小兔子一颗红苹果。小兔子开开心心地回家睡觉了。晚安，小朋友。",
    1039: "早起能让我们有更多时间吃早餐。早上的空气也特别清新。我们可以一起去操场跑步。坚持一个月你一定会感谢我！",
    1051: "我的答案是否定的。",
    1061: "第1天\n上午参观故宫，下午去景山公园。\n第2天\n游览八达岭长城。\n第3天\n逛胡同，品尝北京小吃。",
    1117: "王阿姨：\n\n谢谢您在我出差期间帮我浇花。我的绿萝和月季都长得很好。\n\n小李\n\n附言：我给您带了一盒家乡的茶叶。",
}


def test_hand_written_answers_follow_every_instruction_of_their_prompt():
    records = {r["key"]: r for r in _zh_records()}
    repeat = records[1020]
    REFERENCE_ANSWERS[1020] = repeat["kwargs"][1]["prompt_to_repeat"] + "\n\n甲：大家好！乙：今天我们给大家说一段新相声。"
    for key, answer in REFERENCE_ANSWERS.items():
        r = records[key]
        for i, k in zip(r["instruction_id_list"], r["kwargs"]):
            assert check(i, k, answer), (key, i)
