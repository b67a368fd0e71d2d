"""`gapbench report`: a real SQLite store in, one self-contained HTML / Markdown / JSON report out.

No model is loaded: responses and scores are written through the Store API as the runner writes them.
The headless-browser test renders the HTML in Chromium (skipped only when no Chromium binary is installed).
"""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from gapbench.cli.report import report_cmd
from gapbench.errors import GapbenchError
from gapbench.models.base import ModelInfo
from gapbench.report import SECTIONS, build_report, render_report as render
from gapbench.store.db import Store, cache_key
from gapbench.tasks.registry import get_task, task_hash
from gapbench.types import Request, Response, Score

US = ModelInfo(name="openai/gpt-4o", provider="openai", model="gpt-4o", base_url="https://api.openai.com/v1")
CN = ModelInfo(name="deepseek/deepseek-chat", provider="deepseek", model="deepseek-chat",
               base_url="https://api.deepseek.com/v1")
LOCAL = ModelInfo(name="local/qwen2.5-coder-0.5b", provider="llamacpp", model="qwen.gguf", file_sha256="ab" * 32)
HOSTILE = "<script>alert(1)</script>"
N_ITEMS = 12
TOKENS_IN, TOKENS_OUT = 100, 20


def _put(store: Store, run_id: int, info: ModelInfo, task, sid: str, value: float, text: str, question: str,
         target: str = "B") -> None:
    req = Request(kind="generate", messages=(("user", question),), max_tokens=32)
    key = cache_key(info, req)
    store.put_response(key, info.name, info, req, Response(text=text, input_tokens=TOKENS_IN, output_tokens=TOKENS_OUT))
    store.put_score(run_id, info.name, task, "generate", task_hash(task), sid, target,
                    Score(value, extracted=text[-1:] if text else None), [key])


def _put_ll(store: Store, run_id: int, info: ModelInfo, task, sid: str, chosen: int) -> None:
    keys = []
    for i, choice in enumerate(("北京", "上海", "广州")):
        req = Request(kind="loglikelihood", prompt=f"问题：中国的首都是哪里？{sid}\n答案：", continuation=choice)
        key = cache_key(info, req)
        store.put_response(key, info.name, info, req, Response(logprob=-1.0 if i == chosen else -3.0 - i,
                                                               input_tokens=30, output_tokens=0))
        keys.append(key)
    store.put_score(run_id, info.name, task, "loglikelihood", task_hash(task), sid, "A",
                    Score(1.0 if chosen == 0 else 0.0, extracted="ABC"[chosen]), keys)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "gapbench.db"
    store = Store(path)
    # a (US) is right on 10/12 items of every task, b (CN) on 6/12 (zh) or 4/12 (en); items differ by pattern
    for info, rate in ((US, {"zh": 10, "en": 10}), (CN, {"zh": 6, "en": 4})):
        for name in ("mmlu", "cmmlu", "gsm8k", "cmath"):
            task = get_task(name)
            run_id = store.start_run(info.name, name, "generate", {"task": {"name": name, "task_hash": task_hash(task)},
                                                                  "model": {"name": info.name}, "seed": 1234})
            for i in range(N_ITEMS):
                right = i < rate[task.language]
                question = (f"中国的首都是哪里？（{name} 第 {i} 题）\nA. 上海\nB. 北京" if task.language == "zh"
                            else f"{name} question {i}: 2 + 2 = ?\nA. 3\nB. 4")
                text = ("答案是 B：北京" if task.language == "zh" else "The answer is B") if right else "A"
                if info is CN and name == "cmmlu" and i == 9:
                    text = f"{HOSTILE} | 我不知道 A"
                _put(store, run_id, info, task, f"{name}-{i}", 1.0 if right else 0.0, text, question)
            store.finish_run(run_id, N_ITEMS, 0, 0)
    demo = get_task("demo_knowledge_zh")
    for info, chosen in ((US, (0, 0, 0, 0)), (CN, (0, 1, 0, 2))):
        run_id = store.start_run(info.name, demo.name, "loglikelihood", {"task": {"name": demo.name}})
        for i, c in enumerate(chosen):
            _put_ll(store, run_id, info, demo, f"demo-{i}", c)
        store.finish_run(run_id, 12, 0, 0)
    # a local model on one task only: fewer shared items, cost $0
    mmlu = get_task("mmlu")
    run_id = store.start_run(LOCAL.name, "mmlu", "generate", {"task": {"name": "mmlu"}})
    for i in range(N_ITEMS):
        _put(store, run_id, LOCAL, mmlu, f"mmlu-{i}", float(i % 2), "B" if i % 2 else "A", f"Question {i}: 2 + 2 = ?")
    store.finish_run(run_id, N_ITEMS, 0, 0)
    store.close()
    return path


def _extra() -> dict:
    """Sections computed from published data (lag, generations, claims), made by the real functions on small
    hand-made points, so every chart is drawn and the report's schema is checked against real shapes."""
    import datetime as dt

    from gapbench.gap.generations import Rung, generation_of
    from gapbench.gap.lag import lag_series

    points = [{"model": m, "country": c, "release_date": d, "value": v, "metric": "MMLU"} for m, c, d, v in (
        ("gpt-4", "US", "2023-03-14", 86.4), ("gpt-4o", "US", "2024-05-13", 88.7),
        ("qwen-72b", "CN", "2023-11-01", 79.0), ("qwen2-72b", "CN", "2024-06-07", 86.0),
        ("deepseek-v3", "CN", "2024-12-26", 88.5))]
    lag = lag_series(points, leader="US", follower="CN", threshold=0.0)
    lag["frontiers"] = {g: [{"date": p["release_date"], "value": p["value"], "model": p["model"]} for p in points
                            if p["country"] == g] for g in ("US", "CN")}
    ladder = [Rung("GPT-4", "gpt-4", dt.date(2023, 3, 14), 86.4), Rung("GPT-4o", "gpt-4o", dt.date(2024, 5, 13), 88.7)]
    claims = [{"id": f"c-{v}", "claim": "matches GPT-4o on CMMLU", "model": CN.name, "versus": "openai/gpt-4o",
               "kind": "not_inferior", "benchmark": "cmmlu", "claimed": 90.0, "source": "vendor blog",
               "date": "2024-12-26", "verdict": v, "evidence": "own paired runs: +33.0 points [+5.0, +60.0] (n=12)",
               "details": [] if v == "untested" else [{"source": "own", "verdict": v, "text": "own paired runs",
                                                       "diff": 0.33, "ci_low": 0.05, "ci_high": 0.6, "n_paired": 12}]}
              for v in ("supported", "contradicted", "inconclusive", "untested")]
    return {"lag": lag, "generations": [{"model": CN.name, **generation_of(86.0, ladder)}], "claims": claims}


@pytest.fixture(scope="module")
def report(store_path) -> dict:
    store = Store(store_path)
    try:
        return build_report(store, extra=_extra())
    finally:
        store.close()


@pytest.fixture(scope="module")
def plain_report(store_path) -> dict:
    store = Store(store_path)
    try:
        return build_report(store)
    finally:
        store.close()


# ------------------------------------------------------------------------------------------- the report model
def test_build_traces_to_stored_rows(plain_report):
    r = plain_report
    meta = r["meta"]
    assert {"title", "generated_at", "db", "gapbench_version"} <= set(meta)
    assert meta["a"] == US.name and meta["b"] == CN.name  # most shared items; the US model is a
    lb = {(x["model"], x["task"]): x for x in r["leaderboard"]}
    row = lb[(US.name, "cmmlu")]
    assert row["n"] == N_ITEMS and row["score"] == pytest.approx(10 / 12)
    assert row["ci_low"] < row["score"] < row["ci_high"] and row["run_ids"] and row["language"] == "zh"
    assert "CMMLU" in row["description"]  # the Chinese task description comes along
    assert lb[(US.name, "mmlu")]["country"] in ("US", "United States of America") and lb[(CN.name, "mmlu")]["country"] in ("CN", "China")
    for key in ("model", "country", "task", "language", "capability", "metric", "n", "score", "ci_low", "ci_high"):
        assert key in row
    # disagreements: same task/method/sample id, different value, raw answers from the responses table
    dis = r["disagreements"]
    assert meta["disagreements_total"] == len(dis) == 4 + 4 + 6 + 6 + 2  # zh: items 6-9, en: 4-9, ll: 2
    hostile = [d for d in dis if d["task"] == "cmmlu" and d["sample_id"] == "cmmlu-9"]
    assert hostile and hostile[0]["b_answer"] == f"{HOSTILE} | 我不知道 A"
    by_task = {}
    for d in dis:
        by_task.setdefault(d["task"], []).append(d)
    assert len(by_task["cmmlu"]) == 4 and len(by_task["mmlu"]) == 6 and len(by_task["demo_knowledge_zh"]) == 2
    d = by_task["cmmlu"][0]
    assert d["a_answer"] == "答案是 B：北京" and d["b_answer"] == "A" and "中国的首都" in d["question"]
    assert d["a_run_id"] and d["b_run_id"] and d["a_cache_keys"]
    ll = by_task["demo_knowledge_zh"][0]
    assert "log-likelihood per choice" in ll["b_answer"] and "上海" in ll["b_answer"]
    # cost: tokens summed over the responses behind the scores; local models cost 0
    cost = {(c["model"], c["task"], c["method"]): c for c in r["cost"]}
    c = cost[(US.name, "mmlu", "generate")]
    assert c["input_tokens"] == N_ITEMS * TOKENS_IN and c["output_tokens"] == N_ITEMS * TOKENS_OUT
    assert c["n_responses"] == N_ITEMS
    local = cost[(LOCAL.name, "mmlu", "generate")]
    assert local["cost_usd"] == 0 and local["pricing"] == "local"
    assert cost[(US.name, "demo_knowledge_zh", "loglikelihood")]["input_tokens"] == 4 * 3 * 30
    # manifests: every run, with its parsed manifest
    assert len(r["manifests"]) == 2 * 4 + 2 + 1
    assert r["manifests"][0]["manifest"]["seed"] == 1234
    # sections computed elsewhere and not supplied say why they are missing
    for s in ("lag", "generations", "claims"):
        assert s not in r and meta["unavailable"][s]
    gap = r["gap_matrix"]  # the paired comparison of a and b, in the shape the heatmap reads
    assert (gap["a"], gap["b"]) == (US.name, CN.name)
    cells = {(c["capability"], c["language"]): c for c in gap["cells"]}
    assert set(cells) == {("knowledge", "zh"), ("knowledge", "en"), ("maths", "zh"), ("maths", "en")}
    assert cells[("maths", "en")]["diff"] == pytest.approx(0.5) and cells[("maths", "en")]["n_tasks"] == 1
    assert {t["task"] for t in gap["tasks"]} == {"mmlu", "cmmlu", "gsm8k", "cmath", "demo_knowledge_zh"}


def test_cost_uses_catalog_prices(plain_report):
    from gapbench.catalog import find

    entry = find(US.name)
    assert entry is not None and entry.price_in_per_mtok is not None and entry.price_out_per_mtok is not None
    c = next(c for c in plain_report["cost"] if (c["model"], c["task"]) == (US.name, "mmlu"))
    want = N_ITEMS * TOKENS_IN / 1e6 * entry.price_in_per_mtok + N_ITEMS * TOKENS_OUT / 1e6 * entry.price_out_per_mtok
    assert c["cost_usd"] == pytest.approx(want) and c["pricing"].startswith("catalog")
    assert c["score_per_dollar"] == pytest.approx(c["score"] / want)


def test_pair_given_or_picked(store_path):
    store = Store(store_path)
    try:
        r = build_report(store, a=LOCAL.name, b=CN.name)
        assert r["meta"]["a"] == LOCAL.name
        with pytest.raises(GapbenchError, match="--a: model 'nope/x'"):
            build_report(store, a="nope/x")
        only_b = build_report(store, b=CN.name)
        assert only_b["meta"]["b"] == CN.name and only_b["meta"]["a"] == US.name
    finally:
        store.close()
    assert any(d["sample_id"] == "mmlu-0" for d in r["disagreements"])


def test_json_is_the_dict(report):
    text = render(report, "json")
    data = json.loads(text)
    assert set(SECTIONS) <= set(data) and "meta" in data
    assert data["gap_matrix"]["cells"][0].keys() >= {"capability", "language", "diff", "ci_low", "ci_high", "p_holm", "n_tasks"}
    assert data["lag"].keys() >= {"metric", "leader", "follower", "mean_months", "series", "frontiers"}
    assert data["disagreements"][0].keys() >= {"task", "sample_id", "question", "target", "a_answer", "b_answer",
                                               "a_score", "b_score"}
    assert data["manifests"][0].keys() >= {"run_id", "model", "task", "method", "manifest"}
    assert data["cost"][0].keys() >= {"model", "task", "input_tokens", "output_tokens", "cost_usd", "score",
                                      "score_per_dollar"}
    assert any(HOSTILE in d["b_answer"] for d in data["disagreements"])  # JSON keeps the raw text
    assert data["meta"]["unavailable"] == {}


RESOURCE_LOADS = [
    r"<script[^>]*\bsrc\s*=", r"<link\b", r"@import", r"url\(\s*['\"]?\s*(https?:)?//",
    r"\b(src|href|xlink:href|action|poster|data)\s*=\s*['\"]?\s*(https?:)?//", r"<iframe\b", r"<img\b", r"<object\b",
]


def test_html_self_contained_and_escaped(report):
    page = render(report, "html")
    assert page.startswith("<!doctype html>")
    for s in SECTIONS:
        assert f'id="{s}"' in page
    assert "not available" not in page
    # hostile model text is escaped, never executable
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert len(re.findall(r"<script\b", page)) == 1  # only the item browser's own inline script
    for pattern in RESOURCE_LOADS:
        assert not re.search(pattern, page, re.I), pattern
    # charts: inline SVG, heatmap labels and n.s. marking, verdict badges, Chinese text kept
    assert page.count("<svg") == 4
    cell = report["gap_matrix"]["cells"][0]
    assert f"{cell['diff']:+.2f} [{cell['ci_low']:+.2f}, {cell['ci_high']:+.2f}]" in page
    crossing = [c for c in report["gap_matrix"]["cells"] if c["ci_low"] <= 0 <= c["ci_high"]]
    assert ('class="cell ns"' in page) == bool(crossing)
    for v in ("supported", "contradicted", "inconclusive", "untested"):
        assert f'class="badge {v}"' in page
    assert "中国的首都是哪里" in page and "CMMLU 测试集" in page
    assert f"mean {report['lag']['mean_months']:.1f} months" in page
    assert "$0 (local)" in page


def test_html_without_extra_says_not_available(plain_report):
    page = render(plain_report, "html")
    for s in ("lag", "generations", "claims"):
        assert re.search(rf'id="{s}">.*?not available: ', page, re.S)
    assert page.count("<svg") == (3 if "gap_matrix" in plain_report else 2)  # leaderboard, [heatmap,] cost


def test_markdown_tables(report, plain_report):
    md = render(report, "md")
    assert md.startswith("# gapbench report")
    for title in ("## Leaderboard", "## Gap: capability × language", "## Time lag", "## Generations behind",
                  "## Claims checked", "## Cost vs quality", "## Item browser: disagreements", "## Run manifests"):
        assert title in md
    assert "| model | country | task |" in md
    assert HOSTILE not in md and "&lt;script&gt;alert(1)&lt;/script&gt; \\| 我不知道 A" in md
    tables, block = [], []
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            block.append(len(re.findall(r"(?<!\\)\|", line)))  # unescaped pipes: cells of the row
        elif block:
            tables.append(block)
            block = []
    assert len(tables) >= 9 and all(len(set(t)) == 1 for t in tables), tables  # no row breaks its table
    assert "_not available: " in render(plain_report, "md")


def test_cli_writes_each_format(store_path, tmp_path):
    runner = CliRunner()
    out = tmp_path / "r.html"
    res = runner.invoke(report_cmd, ["--db", str(store_path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and out.read_text(encoding="utf-8").startswith("<!doctype html>")
    res = runner.invoke(report_cmd, ["--db", str(store_path), "--format", "json", "--out", "-"])
    assert res.exit_code == 0 and json.loads(res.output)["meta"]["a"] == US.name
    res = runner.invoke(report_cmd, ["--db", str(store_path), "--format", "md", "--out", str(tmp_path / "r.md"),
                                     "--a", CN.name, "--b", LOCAL.name])
    assert res.exit_code == 0 and "a = deepseek/deepseek-chat" in (tmp_path / "r.md").read_text(encoding="utf-8")
    res = runner.invoke(report_cmd, ["--db", str(tmp_path / "missing.db")])
    assert isinstance(res.exception, GapbenchError) and "no such store" in str(res.exception)


# ------------------------------------------------------------------------------------------- headless browser
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


PROBE_HEAD = """<script>
window.__errs = [];
window.onerror = function (m) { window.__errs.push("onerror: " + m); };
window.addEventListener("error", function (e) { window.__errs.push("error: " + (e.message || e.type)); }, true);
(function () { var ce = console.error; console.error = function () {
  window.__errs.push("console.error: " + Array.prototype.join.call(arguments, " ")); ce.apply(console, arguments); }; })();
window.alert = function (m) { window.__errs.push("ALERT " + m); };
</script>"""
PROBE_TAIL = """<script>
window.addEventListener("load", function () {
  var items = document.querySelectorAll("#dis-list details.item"), q = document.getElementById("dis-q");
  q.value = "alert(1)"; q.dispatchEvent(new Event("input"));
  var shown = document.querySelectorAll("#dis-list details.item:not(.hidden)").length;
  var svgs = Array.prototype.map.call(document.querySelectorAll("svg.chart"), function (s) {
    var b = s.getBoundingClientRect(); return Math.round(b.width) + "x" + Math.round(b.height); });
  document.body.setAttribute("data-probe", JSON.stringify({errors: window.__errs, total: items.length,
    shown: shown, count: document.getElementById("dis-count").textContent, svgs: svgs}));
});
</script>"""


def _png_rows(path: Path, max_rows: int) -> tuple[int, int, list[bytes]]:
    """A tiny PNG reader (8-bit RGB/RGBA, non-interlaced): the first max_rows rows, unfiltered."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
        elif kind == b"IDAT":
            idat.append(chunk)
        pos += 12 + length
    bpp = 4 if colour == 6 else 3
    stride = width * bpp
    rows_wanted = min(height, max_rows)
    raw = zlib.decompressobj().decompress(b"".join(idat), rows_wanted * (stride + 1))
    rows, prev = [], bytearray(stride)
    for y in range(rows_wanted):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        f, cur = line[0], bytearray(line[1:])
        if f == 1:
            for i in range(bpp, stride):
                cur[i] = (cur[i] + cur[i - bpp]) & 255
        elif f == 2:
            cur = bytearray((c + p) & 255 for c, p in zip(cur, prev))
        elif f == 3:
            for i in range(stride):
                cur[i] = (cur[i] + ((cur[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(cur))
        prev = cur
    return width, bpp, rows


def test_html_in_headless_chromium(report, tmp_path):
    chromium = _chromium()
    if chromium is None:
        pytest.skip("no Chromium binary on PATH (Debian: apt-get install chromium); the browser check needs one")
    page = render(report, "html")
    page_file = tmp_path / "report.html"
    page_file.write_text(page, encoding="utf-8")
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("<head>", "<head>" + PROBE_HEAD, 1).replace("</body>", PROBE_TAIL + "</body>", 1),
                      encoding="utf-8")
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--disable-extensions", "--window-size=1280,2000", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--dump-dom",
                                  probed.as_uri()], capture_output=True, text=True, timeout=60)
    assert dom.returncode == 0, dom.stderr[-2000:]
    m = re.search(r'data-probe="([^"]*)"', dom.stdout)
    assert m, "the probe did not run: " + dom.stderr[-2000:]
    probe = json.loads(htmllib.unescape(m.group(1)))
    assert probe["errors"] == [], probe["errors"]  # no JS error, no console.error, and the hostile alert() never ran
    assert "Uncaught" not in dom.stderr
    assert probe["total"] >= 1 and probe["shown"] == 1 and probe["count"] == f"1 of {probe['total']} shown"
    assert len(probe["svgs"]) == 4 and all(int(s.split("x")[1]) > 100 for s in probe["svgs"]), probe["svgs"]

    shot = tmp_path / "shot.png"
    res = subprocess.run(flags + [f"--screenshot={shot}", page_file.as_uri()], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    width, bpp, rows = _png_rows(shot, 700)
    assert width == 1280
    pixels = [row[i:i + 3] for row in rows[::4] for i in range(0, len(row), bpp * 4)]
    background = max(set(pixels), key=pixels.count)
    off = sum(1 for p in pixels if p != background) / len(pixels)
    assert len(set(pixels)) > 20 and off > 0.05, (len(set(pixels)), off)
    assert any(abs(p[0] - 0x1D) < 6 and abs(p[1] - 0x23) < 6 and abs(p[2] - 0x30) < 6 for p in pixels)  # dark header


def test_empty_and_single_model_stores(tmp_path):
    store = Store(tmp_path / "empty.db")
    try:
        empty = build_report(store)
        assert set(empty) == {"meta"}
        assert set(empty["meta"]["unavailable"]) == set(SECTIONS)
        for fmt in ("html", "md", "json"):
            out = render(empty, fmt)
            assert "no scores in the store" in out
        mmlu = get_task("mmlu")
        run_id = store.start_run(US.name, "mmlu", "generate", {"seed": 1})
        _put(store, run_id, US, mmlu, "mmlu-0", 1.0, "B", "Q0")
        store.finish_run(run_id, 1, 0, 0)
        from gapbench.gap.lag import lag_series

        # the follower's only score is above every leader score: no lag can be estimated
        lag = lag_series([{"model": "gpt-4o", "country": "US", "release_date": "2024-05-13", "value": 88.0},
                          {"model": "x", "country": "CN", "release_date": "2024-06-01", "value": 95.0}],
                         leader="US", follower="CN")
        assert lag["mean_months"] is None
        lag["frontiers"] = {"US": [{"date": "2024-05-13", "value": 88.0, "model": "gpt-4o"}]}
        single = build_report(store, extra={"lag": lag})
    finally:
        store.close()
    assert single["leaderboard"][0]["n"] == 1 and "needs scores of two models" in single["meta"]["unavailable"]["gap_matrix"]
    page = render(single, "html")
    assert "lag not estimable" in page and page.count("<svg") == 3  # leaderboard, one-point frontier, cost
    json.loads(render(single, "json"))


def test_heatmap_hatches_cells_whose_interval_crosses_zero():
    from gapbench.report.charts import heatmap_svg

    cells = [{"capability": "maths", "language": "en", "diff": 0.3, "ci_low": 0.1, "ci_high": 0.5, "p_holm": 0.01,
              "n_tasks": 1},
             {"capability": "maths", "language": "zh", "diff": 0.05, "ci_low": -0.1, "ci_high": 0.2, "p_holm": 0.6,
              "n_tasks": 1}]
    svg = str(heatmap_svg({"a": "x", "b": "y", "cells": cells}))
    assert svg.count('class="cell ns"') == 1 and "n.s." in svg and "+0.30 [+0.10, +0.50]" in svg
