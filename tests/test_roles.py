"""The gap as a chatbot (judged chat) and as a productivity tool, and the claim that joins them."""

from __future__ import annotations

import json

import pytest

from conftest import gapbench_cli
from test_contracts import write_task
from test_judge import Servers


def test_role_gaps_and_the_similar_chatbots_claim(tmp_path, data_dir):
    servers = Servers()
    try:
        db, url = tmp_path / "g.db", servers.server.url + "/v1"
        maths = write_task(tmp_path, name="sums", n=20)
        for model in ("strong", "weak"):
            proc = gapbench_cli("run", "--model", f"openai/{model}", "--base-url", url, "--task",
                                f"mt_bench,{maths}", "--limit", "20", "--db", str(db), "--data-dir", str(data_dir))
            assert proc.returncode == 0, proc.stderr
        proc = gapbench_cli("judge", "--judge", "openai/sharp-judge", "--task", "mt_bench", "--base-url", url,
                            "--db", str(db), "--data-dir", str(data_dir))
        assert proc.returncode == 0, proc.stderr
        proc = gapbench_cli("compare", "--a", "openai/weak", "--b", "openai/strong", "--db", str(db), "--json")
        roles = json.loads(proc.stdout)["roles"]
        gaps = {(g["role"], g["language"]): g for g in roles["gaps"]}
        assert gaps[("chatbot", "en")]["diff"] == pytest.approx((3 - 9) / 9)  # ratings as shares of the scale
        assert gaps[("productivity", "en")]["diff"] == pytest.approx(-0.5) and gaps[("productivity", "en")]["tasks"] == ["sums"]
        [contrast] = roles["contrasts"]
        assert contrast["diff"] == pytest.approx(-0.5 + 6 / 9) and contrast["ci_low"] < contrast["diff"] < contrast["ci_high"]
        text = gapbench_cli("compare", "--a", "openai/weak", "--b", "openai/strong", "--db", str(db)).stdout
        assert "As a chatbot and as a productivity tool" in text and "productivity − chatbot" in text
        claims = tmp_path / "claims.yaml"
        claims.write_text('- id: roles\n  claim: "weak is similar as a chatbot, behind as a tool"\n  model: "weak"\n'
                          '  versus: "strong"\n  kind: roles\n  benchmark: "roles"\n  source: "test"\n  date: 2025-01-01\n'
                          '  own: {model: "openai/weak", versus: "openai/strong", tasks: []}\n', encoding="utf-8")
        proc = gapbench_cli("claims", "--file", str(claims), "--db", str(db), "--data-dir", str(data_dir), "--json")
        [verdict] = json.loads(proc.stdout)["claims"]
        assert verdict["verdict"] == "contradicted" and "chatbot" in verdict["evidence"]  # behind as a chatbot too
    finally:
        servers.close()


def test_the_report_shows_the_roles(tmp_path, data_dir):
    servers = Servers()
    try:
        db, url = tmp_path / "g.db", servers.server.url + "/v1"
        maths = write_task(tmp_path, name="sums", n=8)
        for model in ("strong", "weak"):
            assert gapbench_cli("run", "--model", f"openai/{model}", "--base-url", url, "--task", f"alignbench,{maths}",
                                "--limit", "8", "--db", str(db), "--data-dir", str(data_dir)).returncode == 0
        assert gapbench_cli("judge", "--judge", "openai/sharp-judge", "--task", "alignbench", "--base-url", url,
                            "--db", str(db), "--data-dir", str(data_dir)).returncode == 0
        for fmt in ("html", "md"):
            out = tmp_path / f"r.{fmt}"
            proc = gapbench_cli("report", "--db", str(db), "--format", fmt, "--out", str(out), "--data-dir", str(data_dir),
                                "--a", "openai/weak", "--b", "openai/strong")
            assert proc.returncode == 0, proc.stderr
            text = out.read_text(encoding="utf-8")
            assert "As a chatbot and as a productivity tool" in text and "productivity − chatbot" not in text  # en/zh apart
            assert "chatbot" in text and "productivity" in text
    finally:
        servers.close()
