"""Needle-in-a-haystack records built from the real WMT22 sentences: placement, length, determinism, errors."""

from __future__ import annotations

import pytest

from gapbench.errors import GapbenchError
from gapbench.tasks.needle import CITIES, INSTRUCTIONS, MIN_LENGTH, estimate_tokens, needle_records

LANGS = ("en", "zh")


@pytest.fixture(scope="module")
def default_records(data_dir):
    return {lang: needle_records(data_dir, lang) for lang in LANGS}


def parts(rec: dict) -> tuple[str, str, str]:
    """(instruction, haystack with the needle, question) of a record's prompt."""
    pieces = rec["question"].split("\n\n")
    assert len(pieces) == 3
    return pieces[0], pieces[1], pieces[2]


def relative_position(rec: dict) -> float:
    _, hay, _ = parts(rec)
    return hay.index(rec["needle"]) / (len(hay) - len(rec["needle"]))


@pytest.mark.parametrize("lang", LANGS)
def test_grid_count_ids_and_fields(default_records, lang):
    recs = default_records[lang]
    assert len(recs) == 4 * 5 * 2
    assert len({r["id"] for r in recs}) == len(recs)
    assert "len4000-d0.50-r1" in {r["id"] for r in recs}
    for r in recs:
        assert {"id", "question", "answer", "length", "depth", "repeat", "approx_tokens"} <= set(r)
        assert r["id"] == f"len{r['length']}-d{r['depth']:.2f}-r{r['repeat']}"
        assert len(r["answer"]) == 6 and r["answer"].isdigit() and r["answer"][0] != "0"
        assert r["answer"] in r["needle"] and r["city"] in r["needle"]
        instruction, _, ask = parts(r)
        assert instruction == INSTRUCTIONS[lang]
        assert r["city"] in ask and r["answer"] not in ask
        assert ask.endswith("Answer with the passphrase only." if lang == "en" else "只回答口令。")


@pytest.mark.parametrize("lang", LANGS)
def test_needle_appears_exactly_once(default_records, lang):
    for r in default_records[lang]:
        assert r["question"].count(r["needle"]) == 1
        marker = "secret passphrase for the" if lang == "en" else "档案馆的秘密口令是"
        assert parts(r)[1].count(marker) == 1  # one needle, no decoys


@pytest.mark.parametrize("lang", LANGS)
def test_needle_position_follows_depth(default_records, lang):
    for r in default_records[lang]:
        pos = relative_position(r)
        if r["depth"] == 0.0:
            assert pos < 0.1 and parts(r)[1].startswith(r["needle"])
        elif r["depth"] == 1.0:
            assert pos > 0.9 and parts(r)[1].endswith(r["needle"])
        elif r["depth"] == 0.5:
            assert 0.4 <= pos <= 0.6
        assert abs(pos - r["depth"]) <= 0.1, (r["id"], pos)


@pytest.mark.parametrize("lang", LANGS)
def test_estimated_length_hits_target(default_records, lang):
    for r in default_records[lang]:
        assert r["approx_tokens"] == estimate_tokens(r["question"])
        assert abs(r["approx_tokens"] - r["length"]) <= 0.05 * r["length"], (r["id"], r["approx_tokens"])


def test_haystack_is_real_text_in_its_language(default_records):
    for r in default_records["zh"]:
        hay = parts(r)[1]
        cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in hay)
        assert cjk / len(hay) > 0.6
    for r in default_records["en"]:
        hay = parts(r)[1]
        assert sum(ch.isascii() for ch in hay) / len(hay) > 0.98
        assert " " in hay and not any("\u4e00" <= ch <= "\u9fff" for ch in hay)


def test_same_repeat_shares_one_haystack_across_depths(default_records):
    for lang in LANGS:
        by_key: dict = {}
        for r in default_records[lang]:
            hay = parts(r)[1].replace(r["needle"], "", 1)
            by_key.setdefault((r["length"], r["repeat"]), set()).add(hay.replace("  ", " ").strip())
        assert all(len(v) == 1 for v in by_key.values())


def test_codes_and_cities_distinct_and_paired_across_languages(default_records):
    en, zh = default_records["en"], default_records["zh"]
    assert len({r["answer"] for r in en}) == len(en)
    assert len({r["city"] for r in en[: len(CITIES)]}) == len(CITIES)
    assert [r["answer"] for r in en] == [r["answer"] for r in zh]
    names = dict(CITIES)
    assert [names[r["city"]] for r in en] == [r["city"] for r in zh]


def test_deterministic_and_seeded(data_dir, default_records):
    again = needle_records(data_dir, "zh")
    assert again == default_records["zh"]
    other = needle_records(data_dir, "zh", seed=1)
    assert [r["id"] for r in other] == [r["id"] for r in again]
    assert [r["answer"] for r in other] != [r["answer"] for r in again]
    assert sum(a["question"] != b["question"] for a, b in zip(other, again)) == len(again)


def test_custom_grid_and_wraparound(data_dir):
    # 60,000 estimated tokens of Chinese is more than the whole file (~50k): the haystack wraps around.
    recs = needle_records(data_dir, "zh", lengths=[MIN_LENGTH, 60000], depths=[0.5], repeats=1, seed=7)
    assert [r["id"] for r in recs] == [f"len{MIN_LENGTH}-d0.50-r0", "len60000-d0.50-r0"]
    for r in recs:
        assert r["question"].count(r["needle"]) == 1
        assert abs(r["approx_tokens"] - r["length"]) <= 0.05 * r["length"]
    assert recs[1]["haystack_sentences"] > 1875


def test_missing_data_dir_names_the_file(tmp_path):
    with pytest.raises(GapbenchError, match=r"generaltest2022\.en-zh\.src\.en\.txt"):
        needle_records(tmp_path / "nowhere", "en")


@pytest.mark.parametrize("kwargs", [
    {"depths": [1.5]}, {"depths": [-0.1]}, {"depths": [float("nan")]}, {"depths": []}, {"depths": ["0.5"]},
    {"lengths": [0]}, {"lengths": [-5]}, {"lengths": [MIN_LENGTH - 1]}, {"lengths": ["1000"]}, {"lengths": [True]},
    {"lengths": []}, {"repeats": 0}, {"seed": "x"}, {"language": "fr"}, {"depths": [0.5, 0.501]},
])
def test_bad_arguments_give_one_line_errors(data_dir, kwargs):
    args = {"language": "en", **kwargs}
    with pytest.raises(GapbenchError) as exc:
        needle_records(data_dir, args.pop("language"), **args)
    assert "\n" not in str(exc.value) and str(exc.value).startswith("needle: ")


def test_estimate_tokens():
    assert estimate_tokens("abcd" * 100) == 100
    assert estimate_tokens("中文" * 50) == 70
    assert estimate_tokens("") == 0
