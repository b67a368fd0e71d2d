"""The model catalog (facts, lookups, groups) and the published-data loaders, against the real exports."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from gapbench.catalog import CatalogModel, find, load_catalog, resolve_group
from gapbench.catalog.catalog import _norm
from gapbench.catalog.published import (
    PublishedScore,
    detect_source,
    load_epoch_eci,
    load_llm_stats,
    load_lmarena,
    load_published,
    snapshot_date,
)
from gapbench.errors import GapbenchError

US, CN = "United States of America", "China"
CHINESE_DEVELOPERS = {"Alibaba", "Baidu", "DeepSeek", "Moonshot AI", "Zhipu AI", "01.AI", "Tencent", "ByteDance",
                      "Baichuan", "SenseTime", "MiniMax", "iFlytek", "StepFun"}


@pytest.fixture(scope="module")
def catalog() -> list[CatalogModel]:
    return load_catalog()


@pytest.fixture(scope="module")
def epoch_csv(data_dir) -> Path:
    return data_dir / "published" / "epoch-eci" / "epoch_capabilities_index.csv"


# ------------------------------------------------------------------------------------- the catalog


def test_builtin_catalog_is_large_unique_and_well_formed(catalog):
    assert len(catalog) >= 90
    ids = [m.id for m in catalog]
    assert len(ids) == len(set(ids))
    for m in catalog:
        assert m.country in {US, CN, "France", "Canada", "United Arab Emirates"}, m.id
        if m.developer in CHINESE_DEVELOPERS:
            assert m.country == CN, m.id
        if m.developer in {"OpenAI", "Anthropic", "Google", "Meta", "xAI", "Microsoft", "Hugging Face"}:
            assert m.country == US, m.id
        if m.release_date is not None:
            assert dt.date(2019, 1, 1) <= m.release_date <= dt.date(2026, 12, 31), m.id
            if m.date_precision == "month":
                assert m.release_date.day == 1, m.id
        if m.price_in_per_mtok is not None:
            assert m.price_out_per_mtok is not None and m.price_out_per_mtok >= m.price_in_per_mtok, m.id


def test_no_name_belongs_to_two_entries(catalog):
    """find() must be unambiguous: no alias (exact or loosely normalised) is shared by two entries."""
    owner: dict[str, str] = {}
    for m in catalog:
        for n in set(m.names()):
            for key in (n.casefold(), "~" + _norm(n)):
                assert owner.setdefault(key, m.id) == m.id, f"{n!r}: {owner[key]} and {m.id}"


def test_every_named_family_is_present(catalog):
    for name in ["GPT-3.5", "GPT-4", "GPT-4 Turbo", "GPT-4o", "GPT-4o mini", "o1", "o1-mini", "o3", "o3-mini",
                 "o4-mini", "GPT-4.1", "GPT-4.5", "GPT-5", "Claude 2", "Claude 3 Opus", "Claude 3 Sonnet",
                 "Claude 3 Haiku", "Claude 3.5 Sonnet", "Claude 3.7 Sonnet", "Claude 4 Sonnet", "Claude 4 Opus",
                 "Gemini 1.0 Pro", "Gemini 1.0 Ultra", "Gemini 1.5 Pro", "Gemini 1.5 Flash", "Gemini 2.0 Flash",
                 "Gemini 2.5 Pro", "Gemini 2.5 Flash", "Llama 2 70B", "Llama 3 70B", "Llama 3 8B",
                 "Llama 3.1 405B", "Llama 3.1 70B", "Llama 3.1 8B", "Llama 3.3 70B", "Llama 4 Maverick",
                 "Llama 4 Scout", "Mistral Large", "ERNIE 3.5", "ERNIE 4.0", "ERNIE 4.5", "ERNIE X1",
                 "Qwen1.5-72B", "Qwen2-72B", "Qwen2.5-72B", "Qwen2.5-Max", "QwQ-32B", "Qwen3-235B-A22B",
                 "Hunyuan", "moonshot-v1-8k", "Kimi k1.5", "Kimi K2", "Yi-34B", "Yi-Large", "Yi-Lightning",
                 "Doubao 1.5 Pro", "GLM-4", "GLM-4.5", "Baichuan 2", "Baichuan3", "Baichuan4", "SenseNova 5.0",
                 "abab6.5", "MiniMax-Text-01", "MiniMax-M1", "Spark 3.5", "Spark 4.0", "DeepSeek LLM 67B",
                 "DeepSeek-V2", "DeepSeek-V2.5", "DeepSeek-V3", "DeepSeek-R1"]:
        assert find(name, catalog) is not None, name


def test_local_models_match_the_bundled_assets(catalog):
    from gapbench.models.local_assets import LOCAL_MODELS

    for alias, local in LOCAL_MODELS.items():
        m = find(f"local/{alias}", catalog)
        assert m is not None and m.provider == f"local/{alias}", alias
        assert m.developer == local.developer
        assert m.country == {"US": US}.get(local.country, local.country)
        assert m.open_weights is True
    assert find("local/qwen2.5-coder-0.5b").release_date == dt.date(2024, 11, 12)
    assert find("local/gemma3-270m").release_date == dt.date(2025, 8, 14)
    smol = find("local/smollm2-135m")
    assert smol.country == US and smol.parameters_b == 0.135 and smol.date_precision == "month"


def test_providers_name_real_presets(catalog):
    from gapbench.models.presets import load_presets

    presets = {p["name"] for p in load_presets()} | {"local"}
    for m in catalog:
        if m.provider:
            assert m.provider.split("/", 1)[0] in presets, m.provider


def test_openai_flagship_ladder(catalog):
    flags = sorted((m for m in catalog if m.flagship_openai), key=lambda m: m.release_date)
    assert [m.name for m in flags] == ["GPT-3.5", "GPT-4", "GPT-4 Turbo", "GPT-4o", "o1", "o3", "GPT-5"]
    assert all(m.developer == "OpenAI" for m in flags)


def test_catalog_agrees_with_the_epoch_export(catalog, epoch_csv):
    """Countries always; release dates: never more than a week after Epoch's earliest row for that model."""
    later_than_epoch_ok = {  # (catalog id): why our date is later than an Epoch row mapped to it
        "glm-4.5-air": "launched with GLM-4.5 on 2025-07-28; Epoch says 2025-07-20",
        "local-qwen2.5-coder-0.5b": "0.5B came in the 2024-11-12 batch; Epoch has a bare row dated 2024-09-18",
    }
    earliest: dict[str, dt.date] = {}
    with epoch_csv.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            m = find(row["Model version"], catalog) or find(row["Model name"].strip(), catalog)
            if m is None:
                continue
            if row["Country"]:
                assert row["Country"] == m.country, (row["Model version"], m.id)
            if row["Release date"]:
                d = dt.date.fromisoformat(row["Release date"])
                earliest[m.id] = min(d, earliest.get(m.id, d))
    assert len(earliest) >= 80
    for cid, d in earliest.items():
        m = next(x for x in catalog if x.id == cid)
        if m.release_date is None or cid in later_than_epoch_ok:
            continue
        slack = 31 if m.date_precision == "month" else 7
        assert (m.release_date - d).days <= slack, (cid, m.release_date, d)


# ------------------------------------------------------------------------------------------ find()


def test_find_is_case_insensitive_and_knows_aliases_and_providers(catalog):
    assert find("GPT-4O", catalog).id == "gpt-4o"
    assert find("gpt-4o-2024-08-06", catalog).id == "gpt-4o"
    assert find("openai/gpt-4o", catalog).id == "gpt-4o"
    assert find("deepseek/deepseek-chat", catalog).country == CN
    assert find("qwen/qwen-max", catalog).id == "qwen2.5-max"
    assert find("GPT-4 (Mar 2023)", catalog).id == "gpt-4"  # Epoch's model name
    assert find("Meta-Llama-3.1-405B-Instruct-fp8", catalog).id == "llama-3.1-405b"  # LMArena's
    assert find("Claude 3.5 Sonnet (20241022)", catalog).id == "claude-3.5-sonnet-2024-10"
    assert find("claude 3.7 sonnet", catalog).id == "claude-3.7-sonnet"
    assert find("no-such-model", catalog) is None
    assert find("", catalog) is None


# ------------------------------------------------------------------------------------ user catalogs


def test_user_catalog_file_and_dir(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text("models:\n  - {id: m1, name: My Model, developer: Lab, country: CN, release_date: 2024-06,"
                 " aliases: [my-model, 4.0]}\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text("- {id: m2, name: Other, developer: Lab2, country: US}\n", encoding="utf-8")
    one = load_catalog(f)
    assert len(one) == 1 and one[0].country == CN and one[0].release_date == dt.date(2024, 6, 1)
    assert one[0].date_precision == "month" and "4.0" in one[0].aliases
    both = load_catalog(tmp_path)
    assert [m.id for m in both] == ["m1", "m2"] and both[1].country == US
    assert find("MY-MODEL", both).id == "m1"


@pytest.mark.parametrize("text, needle", [
    ("models:\n  - {id: x, name: X, developer: D, country: China, release_date: June}\n", "field 'release_date'"),
    ("models:\n  - {id: x, name: X, developer: D}\n", "field 'country'"),
    ("models:\n  - {id: x, name: X, developer: D, country: China, colour: red}\n", "field 'colour'"),
    ("models:\n  - {id: x, name: X, developer: D, country: China, parameters_b: -1}\n", "field 'parameters_b'"),
    ("- {id: x, name: X, developer: D, country: China}\n- {id: x, name: Y, developer: D, country: China}\n",
     "duplicate id 'x'"),
    ("modelz: []\n", "field 'models' missing"),
    ("models: [\n", "not valid YAML"),
])
def test_user_catalog_errors_name_file_and_field(tmp_path, text, needle):
    f = tmp_path / "bad.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(GapbenchError) as e:
        load_catalog(f)
    msg = str(e.value)
    assert needle in msg and str(f) in msg and "\n" not in msg


def test_missing_catalog_path(tmp_path):
    with pytest.raises(GapbenchError, match="not found"):
        load_catalog(tmp_path / "nope.yaml")
    with pytest.raises(GapbenchError, match="no \\*.yaml"):
        load_catalog(tmp_path)


# ----------------------------------------------------------------------------------- resolve_group

STORED = ["openai/gpt-4o", "deepseek/deepseek-chat", "local/qwen2.5-coder-0.5b", "local/smollm2-135m",
          "qwen/qwen3-coder-plus", "anthropic/claude-sonnet-4-20250514"]


def test_resolve_group_by_catalog_fields():
    assert resolve_group("country=China", STORED) == ["deepseek/deepseek-chat", "local/qwen2.5-coder-0.5b",
                                                      "qwen/qwen3-coder-plus"]  # the last via its preset's country
    assert resolve_group("country=US", STORED) == ["openai/gpt-4o", "local/smollm2-135m",
                                                   "anthropic/claude-sonnet-4-20250514"]
    assert resolve_group("country=United States of America", STORED) == resolve_group("country=us", STORED)
    assert resolve_group("developer=openai", STORED) == ["openai/gpt-4o"]
    assert resolve_group("open_weights=true", STORED) == ["local/qwen2.5-coder-0.5b", "local/smollm2-135m"]
    assert resolve_group("country=China,open_weights=true", STORED) == ["local/qwen2.5-coder-0.5b"]
    assert resolve_group("country=China & developer=DeepSeek", STORED) == ["deepseek/deepseek-chat"]


def test_resolve_group_lists_and_errors():
    assert resolve_group("OpenAI/GPT-4o, local/smollm2-135m", STORED) == ["openai/gpt-4o", "local/smollm2-135m"]
    assert resolve_group("openai/gpt-4o", STORED) == ["openai/gpt-4o"]
    assert resolve_group("a,b", []) == ["a", "b"]
    with pytest.raises(GapbenchError, match="unknown field 'colour'"):
        resolve_group("colour=red", STORED)
    with pytest.raises(GapbenchError, match="none of the stored models"):
        resolve_group("country=France", STORED)
    with pytest.raises(GapbenchError, match="no stored results"):
        resolve_group("openai/gpt-5", STORED)
    with pytest.raises(GapbenchError, match="empty"):
        resolve_group(" ", STORED)


# ------------------------------------------------------------------------------ published loaders


def test_load_epoch_eci(epoch_csv):
    rows = load_epoch_eci(epoch_csv)
    assert len(rows) >= 250 and all(isinstance(r, PublishedScore) and r.metric == "eci" for r in rows)
    gpt4 = next(r for r in rows if r.model == "gpt-4-0314")
    assert gpt4.catalog_id == "gpt-4" and gpt4.country == US and gpt4.release_date == dt.date(2023, 3, 14)
    assert 120 < gpt4.value < 130 and gpt4.ci_low is None and gpt4.extra["confidence"] == "Likely"
    v3 = next(r for r in rows if r.model == "DeepSeek-V3")
    assert v3.catalog_id == "deepseek-v3" and v3.country == CN and v3.developer == "DeepSeek"
    assert sum(r.country == CN for r in rows) >= 50 and sum(r.country == US for r in rows) >= 150


def test_load_llm_stats(data_dir):
    rows = load_llm_stats(data_dir / "published" / "llm-stats")
    assert len(rows) > 1000
    gpqa = next(r for r in rows if r.model == "gpt-4o-2024-05-13" and r.metric == "gpqa")
    assert gpqa.value == pytest.approx(0.536) and gpqa.country == US and gpqa.catalog_id == "gpt-4o"
    assert gpqa.release_date == dt.date(2024, 5, 13) and gpqa.extra["self_reported"] is True
    assert {r.country for r in rows if r.developer and r.developer.startswith("DeepSeek")} == {CN}
    assert all(r.country for r in rows)  # organisations without a country get their home country
    # the repo root (holding data/) works too
    assert len(load_llm_stats(data_dir / "published" / "llm-stats" / "data")) == len(rows)


def test_load_lmarena(data_dir):
    rows = load_lmarena(data_dir / "published" / "lmarena" / "lmarena_text.csv")
    assert len(rows) > 200 and all(r.metric == "lmarena_text" for r in rows)
    top = rows[0]
    assert top.model == "Gemini-2.5-Pro" and top.ci_low == top.value - 5 and top.ci_high == top.value + 5
    assert top.country == US and top.release_date == dt.date(2025, 3, 25)
    by = {r.model: r for r in rows}
    assert by["GPT-4o-2024-08-06"].release_date == dt.date(2024, 8, 6)  # snapshot date in the name
    assert by["GPT-4-0613"].release_date == dt.date(2023, 6, 13)
    assert by["GLM-4.5"].country == CN and by["Qwen3-235B-A22B"].country == CN
    assert sum(r.release_date is not None for r in rows) >= 100


def test_snapshot_date():
    fam = dt.date(2022, 11, 30)
    assert snapshot_date("GPT-3.5-Turbo-0125", fam) == fam  # year not written and not in the family's year
    assert snapshot_date("GPT-4-0613", dt.date(2023, 3, 14)) == dt.date(2023, 6, 13)
    assert snapshot_date("Claude 3.5 Sonnet (20241022)", None) == dt.date(2024, 10, 22)
    assert snapshot_date("Mistral-Large-2407", dt.date(2024, 7, 24)) == dt.date(2024, 7, 24)  # YYMM, not MMDD
    assert snapshot_date("Some-Model", None) is None


def test_detect_and_load_by_shape(data_dir, epoch_csv, tmp_path):
    pub = data_dir / "published"
    assert detect_source(epoch_csv) == "epoch-eci"
    assert detect_source(pub / "llm-stats") == "llm-stats"
    assert detect_source(pub / "lmarena" / "lmarena_text.csv") == "lmarena"
    assert {r.metric for r in load_published(epoch_csv)} == {"eci"}
    other = tmp_path / "x.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(GapbenchError, match="unknown shape"):
        detect_source(other)


def test_loader_errors_name_file_and_column(tmp_path):
    f = tmp_path / "eci.csv"
    f.write_text("Model version,ECI Score,Release date,Organization\nm,120,2024-01-01,Lab\n", encoding="utf-8")
    with pytest.raises(GapbenchError) as e:
        load_epoch_eci(f)
    assert "column 'Country' missing" in str(e.value) and str(f) in str(e.value)
    f.write_text("Model version,ECI Score,Release date,Organization,Country\nm,high,2024-01-01,Lab,China\n",
                 encoding="utf-8")
    with pytest.raises(GapbenchError, match=r"eci.csv:2: column 'ECI Score': not a number"):
        load_epoch_eci(f)
    f.write_text("Model version,ECI Score,Release date,Organization,Country\nm,120,Jan 2024,Lab,China\n",
                 encoding="utf-8")
    with pytest.raises(GapbenchError, match="column 'Release date'"):
        load_epoch_eci(f)
    g = tmp_path / "arena.csv"
    g.write_text("model,score\nx,1\n", encoding="utf-8")
    with pytest.raises(GapbenchError, match="column 'arena_score' missing"):
        load_lmarena(g)
    with pytest.raises(GapbenchError, match="folder 'organizations' missing"):
        load_llm_stats(tmp_path)
    with pytest.raises(GapbenchError, match="file not found"):
        load_epoch_eci(tmp_path / "nope.csv")
