"""The arena: pairs from a real store, votes in real SQLite, the real `gapbench arena` server on 127.0.0.1, two
clients posting at once, and the page in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium; skipped, saying so, only where no browser is installed)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from chat_store import HOSTILE, write_chat_store
from conftest import REPO
from gapbench.arena.markup import markdown
from gapbench.arena.pairs import PairChooser, build_pool, conversation
from gapbench.errors import GapbenchError
from gapbench.store.db import Store
from gapbench.store.votes import AlreadyVoted, Votes, VoteRow, has_votes

MODELS = ["deepseek/deepseek-chat", "openai/gpt-4o", "qwen/qwen-max"]
HOSTILE_MODEL = "qwen/qwen-max"


@pytest.fixture(scope="module")
def arena_db(tmp_path_factory) -> Path:
    """Three models on 4 two-turn mt_bench prompts (en) and 4 alignbench prompts (zh): 24 pairs. One model's first
    answers start with a script and an <img onerror>; one non-chat task (gsm8k) that the arena leaves out."""
    db = write_chat_store(tmp_path_factory.mktemp("arena") / "g.db", MODELS, 4, ("mt_bench", "alignbench", "gsm8k"),
                          hostile_model=HOSTILE_MODEL)
    return db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def arena_server(db: Path, *args: str):
    """`gapbench arena` in its own process on a free port; stopped at the end."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gapbench.cli.main", "arena", "--db", str(db), "--port", str(port),
                             "--seed", "7", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"arena exited {proc.returncode}: {proc.stderr.read()[-2000:]}")
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("arena did not answer within 120 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def token_of(page: str) -> str:
    m = re.search(r'name="token" value="([^"]+)"', page)
    assert m, page[-1500:]
    return m.group(1)


def votes_in(db: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name='votes'").fetchone() is None:
            return []  # no vote yet: the arena creates the table when it starts
        return conn.execute("SELECT * FROM votes ORDER BY vote_id").fetchall()
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------- no server
def test_markdown_is_rendered_and_html_is_escaped():
    html = markdown(f"{HOSTILE}\n**bold** and `a<b`\n\n```python\nprint('<b>')\n```\n\n- one\n- two\n\n"
                    "[x](javascript:alert(1)) ![img](http://example.org/t.png) [ok](https://example.org)")
    assert "<script" not in html and "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "<img" not in html and "onerror" in html  # the attribute is shown as text, never a tag
    assert "<strong>bold</strong>" in html and "<code>a&lt;b</code>" in html
    assert "<pre><code class=\"language-python\">print('&lt;b&gt;')" in html
    assert "<li>one</li>" in html and 'href="javascript' not in html
    assert '<a href="https://example.org" target="_blank" rel="noopener noreferrer nofollow">ok</a>' in html


def test_pool_filters_and_conversations(arena_db):
    with Store(arena_db) as store:
        pool = build_pool(store)  # chat tasks only: gsm8k is left out
        assert pool.tasks == ("alignbench", "mt_bench") and len(pool.pairs) == 8 * 3 and pool.prompts == 8
        assert all(p.model_a < p.model_b for p in pool.pairs)
        zh = build_pool(store, languages="zh", models="openai/gpt-4o,qwen/qwen-max")
        assert {p.task for p in zh.pairs} == {"alignbench"} and len(zh.pairs) == 4
        assert len(build_pool(store, tasks="gsm8k").pairs) == 4 * 3  # any generated task, when named
        pair = next(p for p in pool.pairs if p.task == "mt_bench" and p.model_b == HOSTILE_MODEL)
        conv = conversation(store.responses(pair.keys_a + pair.keys_b), pair.keys_a, pair.keys_b)
        assert conv.turns == ("Write about topic 0.", "Now shorten it (0).") and len(conv.answers_a) == 2
        assert conv.answers_b[0].startswith(HOSTILE) and not conv.answers_a[0].startswith(HOSTILE)
        for kwargs, needle in (({"tasks": "nope"}, "--task nope: no generated answers"),
                               ({"languages": "fr"}, "--language fr: no answers in this language"),
                               ({"models": "openai/gpt-4o"}, "--model: name at least two models"),
                               ({"models": "openai/gpt-4o,x/y"}, "--model x/y: no answers of this model")):
            with pytest.raises(GapbenchError, match=re.escape(needle)):
                build_pool(store, **kwargs)


def test_least_voted_first_never_twice_and_open_pairs_last(arena_db):
    with Store(arena_db) as store:
        pool = build_pool(store, tasks="mt_bench")
    chooser = PairChooser(pool, seed=1)
    keys = [p.key for p in pool.pairs]
    counts = {k: 1 for k in keys[:-2]}  # everything voted once but the last two pairs
    first = chooser.choose(counts, voted=set(), open_keys=set())
    assert first.key in keys[-2:]
    assert chooser.choose(counts, voted=set(), open_keys={first.key}).key in set(keys[-2:]) - {first.key}
    assert chooser.choose(counts, voted=set(keys[-2:]), open_keys=set()).key in keys[:-2]
    assert chooser.choose(counts, voted=set(keys), open_keys=set()) is None  # never a pair the voter voted on


def test_votes_table_refuses_a_second_vote_and_bad_rows(tmp_path):
    db = write_chat_store(tmp_path / "g.db", MODELS[:2], 1)
    with Store(db) as store:
        assert not has_votes(store)
        votes = Votes(store)
        row = VoteRow(voter="ann", task="mt_bench", sample_id="mt_bench-0", language="en", model_a=MODELS[0],
                      model_b=MODELS[1], keys_a=("k1",), keys_b=("k2",), left_model=MODELS[1], prompt=("hi",),
                      verdict="both_bad", shown_at=time.time())
        vote_id = votes.add(row)
        assert has_votes(store) and votes.get(vote_id).verdict == "both_bad" and votes.get(vote_id).prompt == ("hi",)
        with pytest.raises(AlreadyVoted):
            votes.add(row)
        votes.add(VoteRow(**{**row.__dict__, "voter": "bo", "vote_id": None}))  # another voter may
        with pytest.raises(ValueError):
            votes.add(VoteRow(**{**row.__dict__, "voter": "cy", "verdict": "left"}))
        with pytest.raises(ValueError):
            votes.add(VoteRow(**{**row.__dict__, "voter": "cy", "model_a": MODELS[1], "model_b": MODELS[0]}))
        assert votes.count() == 2 and votes.pair_counts() == {("mt_bench", "mt_bench-0", *MODELS[:2]): 2}


def test_cli_mistakes_are_one_line(arena_db, tmp_path):
    from conftest import gapbench_cli

    empty = write_chat_store(tmp_path / "g.db", MODELS[:1], 1)
    proc = gapbench_cli("arena", "--db", str(empty), "--port", str(free_port()))
    assert proc.returncode == 2 and "no prompt of these tasks was answered by two models" in proc.stderr
    assert proc.stderr.count("\n") == 1
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = gapbench_cli("arena", "--db", str(arena_db), "--port", str(busy.getsockname()[1]))
    assert proc.returncode == 2 and "cannot listen on 127.0.0.1" in proc.stderr and proc.stderr.count("\n") == 1


# ------------------------------------------------------------------------------------------- the real server
def test_blind_vote_reveal_and_stored_row(arena_db):
    with arena_server(arena_db, "--voter", "tester") as url, httpx.Client(base_url=url) as client:
        page = client.get("/", params={"voter": "ann", "task": "mt_bench"})
        assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
        assert not any(m in page.text or m.split("/")[1] in page.text for m in MODELS)  # names hidden
        assert 'id="turn-2"' in page.text and "Now shorten it" in page.text  # every turn of the conversation
        token = token_of(page.text)
        sent = client.post("/vote", data={"token": token, "choice": "right", "task": "mt_bench"})
        assert sent.status_code == 303 and sent.headers["location"].startswith("/vote/")
        shown = client.get(sent.headers["location"])
        left = re.search(r'id="name-left">([^<]+)<', shown.text).group(1)
        right = re.search(r'id="name-right">([^<]+)<', shown.text).group(1)
        assert {left, right} <= set(MODELS) and left != right and "B is better" in shown.text
        again = client.post("/vote", data={"token": token, "choice": "left"})
        assert again.status_code == 409 and "no longer open" in again.text
        assert client.post("/vote", data={"token": "forged", "choice": "left"}).status_code == 409
        assert client.post("/vote", data={"token": token_of(client.get("/").text), "choice": "maybe"}).status_code == 400
        rows = votes_in(arena_db)
        assert len(rows) == 1
        v = rows[0]
        assert (v["voter"], v["task"], v["language"], v["left_model"]) == ("ann", "mt_bench", "en", left)
        assert v["verdict"] == ("a" if right == v["model_a"] else "b")  # B (the right side) was better
        assert v["model_a"] < v["model_b"] and {v["model_a"], v["model_b"]} == {left, right}
        assert len(json.loads(v["keys_a"])) == 2 and json.loads(v["prompt"])[1] == f"Now shorten it ({v['sample_id'][-1]})."
        assert v["shown_at"] <= v["created_at"]
        # one voter, every pair once, then nothing more; the least-voted pair first for the next voter
        for _ in range(30):
            page = client.get("/", params={"voter": "cy"})
            if "No pair left for cy" in page.text:
                break
            assert client.post("/vote", data={"token": token_of(page.text), "choice": "tie"}).status_code == 303
        assert "No pair left for cy" in page.text
    rows = votes_in(arena_db)
    cy = [(r["task"], r["sample_id"], r["model_a"], r["model_b"]) for r in rows if r["voter"] == "cy"]
    ann = (rows[0]["task"], rows[0]["sample_id"], rows[0]["model_a"], rows[0]["model_b"])
    assert len(cy) == len(set(cy)) == 24 and cy[-1] == ann  # the pair that had a vote already came last


def test_two_clients_post_200_votes_at_once(tmp_path):
    """Five models on 20 prompts: 200 pairs. Each client opens 200 pairs (all different: open pairs come last), then
    both post their 200 votes at the same moment. Every vote is stored, and every pair got exactly one vote of each."""
    db = write_chat_store(tmp_path / "g.db", [f"vendor{i}/model-{i}" for i in range(5)], 20)
    results: dict[str, list[int]] = {}
    with arena_server(db) as url:
        tokens = {}
        for voter in ("c1", "c2"):
            with httpx.Client(base_url=url) as client:
                tokens[voter] = [token_of(client.get("/", params={"voter": voter}).text) for _ in range(200)]
        start = threading.Barrier(2)

        def post_all(voter: str) -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                start.wait()
                results[voter] = [client.post("/vote", data={"token": t, "choice": ("left", "right", "tie")[i % 3]})
                                  .status_code for i, t in enumerate(tokens[voter])]

        threads = [threading.Thread(target=post_all, args=(v,)) for v in ("c1", "c2")]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
    assert results["c1"] == [303] * 200 and results["c2"] == [303] * 200
    rows = votes_in(db)
    assert len(rows) == 400
    per_pair = {}
    for r in rows:
        per_pair.setdefault((r["task"], r["sample_id"], r["model_a"], r["model_b"]), []).append(r["voter"])
    assert len(per_pair) == 200 and all(sorted(v) == ["c1", "c2"] for v in per_pair.values())
    print(f"400 votes from two clients in {elapsed:.1f} s")


# ------------------------------------------------------------------------------------------- headless Chromium
def _browser() -> tuple[str, str] | None:
    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@pytest.fixture()
def browser():
    found = _browser()
    if found is None:
        pytest.skip("no Chromium and chromedriver on PATH (Debian: apt-get install chromium chromium-driver); "
                    "the page's browser test needs both")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = found[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                 "--window-size=1280,1100"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=found[1]), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, css: str, timeout: float = 30):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_page_in_headless_chromium_mouse_keyboard_and_escaping(arena_db, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    shots = Path(os.environ.get("GAPBENCH_SCREENSHOT_DIR") or tmp_path)
    before = len(votes_in(arena_db))
    with arena_server(arena_db, "--model", f"openai/gpt-4o,{HOSTILE_MODEL}", "--task", "mt_bench") as url:
        browser.get(url + "/?voter=selenium")
        _wait(browser, "#vote-left")
        source = browser.page_source
        assert "gpt-4o" not in source and "qwen-max" not in source  # names hidden before the vote
        assert len(browser.find_elements(By.CSS_SELECTOR, "section.turn")) == 2  # both turns
        answers = browser.find_elements(By.CSS_SELECTOR, "article.answer")
        texts = [a.text for a in answers]
        assert any("<script>window.__pwned = 1</script>" in t for t in texts), texts  # shown as text
        assert browser.execute_script("return window.__pwned === undefined")  # and never run
        assert browser.find_elements(By.CSS_SELECTOR, "article.answer img") == []
        assert browser.find_elements(By.CSS_SELECTOR, "article.answer pre code")  # code fences rendered
        assert browser.find_elements(By.CSS_SELECTOR, "article.answer strong")
        browser.save_screenshot(str(shots / "arena_vote.png"))
        ActionChains(browser).move_to_element(browser.find_element(By.ID, "vote-left")).click().perform()  # mouse
        _wait(browser, "#reveal")
        left = browser.find_element(By.ID, "name-left").text
        right = browser.find_element(By.ID, "name-right").text
        assert {left, right} == {"openai/gpt-4o", HOSTILE_MODEL}  # names shown after the vote
        assert browser.execute_script("return window.__pwned === undefined")
        browser.save_screenshot(str(shots / "arena_revealed.png"))
        rows = votes_in(arena_db)[before:]
        assert len(rows) == 1 and rows[0]["voter"] == "selenium" and rows[0]["left_model"] == left
        assert rows[0]["verdict"] == ("a" if left == rows[0]["model_a"] else "b")
        # the keyboard: N for the next pair, then B (right better), N, X (both bad), N, T (tie)
        expected = []
        for key, verdict in (("b", "right"), ("x", "both_bad"), ("t", "tie")):
            body = browser.find_element(By.TAG_NAME, "body")
            body.send_keys("n")
            _wait(browser, "#vote-right")
            assert "gpt-4o" not in browser.page_source and "qwen-max" not in browser.page_source
            browser.find_element(By.TAG_NAME, "body").send_keys(key)
            _wait(browser, "#reveal")
            expected.append((verdict, browser.find_element(By.ID, "name-right").text))
        rows = votes_in(arena_db)[before:]
        assert len(rows) == 4
        for row, (verdict, right) in zip(rows[1:], expected):
            if verdict == "right":
                assert row["verdict"] == ("a" if right == row["model_a"] else "b")
            else:
                assert row["verdict"] == verdict
        keys = [(r["sample_id"], r["model_a"], r["model_b"]) for r in rows]
        assert len(set(keys)) == 4  # never the same pair twice
