"""lm-eval and inspect_ai beside gapbench on the same items and prompts (issue #12, item 4). Run by hand:

    python benchmarks/peers/peers.py setup            # pinned virtualenvs under $GAPBENCH_PEERS
    python benchmarks/peers/peers.py api --items 300  # (c) latency-bound API stand-in, 1 s a call
    python benchmarks/peers/peers.py gsm8k --items 40 # (a) local/qwen2.5-coder-0.5b, 0-shot generation
    python benchmarks/peers/peers.py mmlu --items 100 # (b) 5-shot loglikelihood

Every side gets the same items (the first N of gapbench's seeded order) and the same user message (gapbench's
own rendering of the task's template), greedy, the same token budget. Per side: wall time, items/s, ratio to
each peer, accuracy with its 95 % interval, peak memory (max RSS of the side's process tree, /usr/bin/time).
Results go to $GAPBENCH_PEERS/results/<case>.json and a markdown table on stdout. See README.md beside this.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import NoReturn

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from gapbench.errors import GapbenchError  # noqa: E402
from gapbench.runner.select import select_samples  # noqa: E402
from gapbench.stats.intervals import proportion_interval  # noqa: E402
from gapbench.tasks.loader import load_samples  # noqa: E402
from gapbench.tasks.prompts import generate_request  # noqa: E402
from gapbench.tasks.registry import get_task  # noqa: E402

PINS = {"lm-eval": ["lm-eval[api]==0.4.13"], "inspect-ai": ["inspect-ai==0.3.285", "openai==3.57.0"],
        "server": ["llama-cpp-python[server]==0.3.36"]}  # the peers' llama.cpp server: gapbench's llama-cpp version
ROOT = Path(os.environ.get("GAPBENCH_PEERS") or Path.home() / ".cache" / "gapbench" / "peers")
DATA = Path(os.environ.get("GAPBENCH_DATA") or os.environ.get("GAPBENCH_TEST_DATA") or REPO.parent / "shared" / "data")
HERE = Path(__file__).resolve().parent


def venv_bin(peer: str, exe: str) -> Path:
    return ROOT / peer / "bin" / exe


def fail(message: str) -> NoReturn:
    """Bad input or a missing install: one line, exit 2."""
    print(f"peers.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def peer_bin(peer: str, exe: str) -> str:
    """A peer's executable, or a one-line error naming the command that installs it."""
    path = venv_bin(peer, exe)
    if not path.exists():
        fail(f"{path}: not installed; run `python benchmarks/peers/peers.py setup` first")
    return str(path)


def setup() -> None:
    for peer, pins in PINS.items():
        if not venv_bin(peer, "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(ROOT / peer)], check=True)
        subprocess.run([str(venv_bin(peer, "pip")), "install", "-q", *pins], check=True)
        print(f"{peer}: {' '.join(pins)} in {ROOT / peer}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 300) -> None:
    import httpx

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise SystemExit(f"server at {url} did not come up")


def gsm8k_items(n: int) -> list[dict]:
    """The first n GSM8K items of gapbench's seeded order, with gapbench's rendered user message."""
    task = get_task("gsm8k")
    samples = select_samples(load_samples(task, DATA), n, 1234)
    out = []
    for s in samples:
        request = generate_request(task, s, [], True)
        out.append({"id": s.id, "prompt": request.messages[-1][1], "target": s.target})
    return out


def timed(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, float, str]:
    """(wall s, peak RSS MiB, output) of a command, through /usr/bin/time."""
    with tempfile.NamedTemporaryFile(suffix=".rss") as rss:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd], capture_output=True, text=True,
                              env={**os.environ, **(env or {})}, cwd=cwd)
        wall = time.perf_counter() - start
        peak = float(Path(rss.name).read_text().strip().splitlines()[-1]) / 1024
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"failed: {' '.join(cmd[:4])}…")
    return wall, peak, proc.stdout + proc.stderr


# the peers' task definitions --------------------------------------------------------------------------
LM_EVAL_TASK = """\
task: peers_gsm8k
dataset_path: json
dataset_kwargs:
  data_files:
    test: {items}
test_split: test
output_type: generate_until
doc_to_text: "{{{{prompt}}}}"
doc_to_target: "{{{{target}}}}"
generation_kwargs:
  until: []
  max_gen_toks: {max_tokens}
  do_sample: false
  temperature: 0.0
{extra}
filter_list:
  - name: last-number
    filter:
      - function: regex
        group_select: -1
        regex_pattern: "(-?[$0-9.,]{{2,}})|(-?[0-9]+)"
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    ignore_punctuation: false
    regexes_to_ignore: [",", "\\\\$", "\\\\.$"]
"""

INSPECT_TASK = '''\
from inspect_ai import Task, task
from inspect_ai.dataset import FieldSpec, json_dataset
from inspect_ai.scorer import match
from inspect_ai.solver import generate


@task
def peers_gsm8k(items: str):
    return Task(dataset=json_dataset(items, FieldSpec(input="prompt", target="target", id="id")),
                solver=generate(), scorer=match(numeric=True))
'''


LM_EVAL_MMLU = """\
task: peers_mmlu
dataset_path: json
dataset_kwargs:
  data_files:
    test: {items}
test_split: test
output_type: multiple_choice
doc_to_text: context
doc_to_choice: continuations
doc_to_target: gold
target_delimiter: ""
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
"""

INSPECT_MMLU = '''\
from inspect_ai import Task, task
from inspect_ai.dataset import FieldSpec, json_dataset
from inspect_ai.scorer import pattern
from inspect_ai.solver import generate


@task
def peers_mmlu(items: str):
    return Task(dataset=json_dataset(items, FieldSpec(input="messages", target="letter", id="id")),
                solver=generate(), scorer=pattern(r"\\b([ABCD])\\b"))
'''


def mmlu_items(n: int) -> list[dict]:
    """The first n MMLU items of gapbench's seeded order, 5-shot from the subject's dev split: the loglikelihood
    context and continuations gapbench scores, and the chat messages its generate method sends."""
    from gapbench.runner.runner import build_requests

    task = get_task("mmlu")
    pool = load_samples(task, DATA, task.fewshot.path)
    out = []
    for s in select_samples(load_samples(task, DATA), n, 1234):
        ll = build_requests(task, "loglikelihood", s, pool, False)
        chat = build_requests(task, "generate", s, pool, True)[0]
        out.append({"id": s.id, "context": ll[0].prompt, "continuations": [r.continuation for r in ll],
                    "gold": "ABCD".index(s.target), "letter": s.target,
                    "messages": [{"role": r, "content": c} for r, c in chat.messages]})
    return out


def lm_eval_mmlu_side(work: Path, base_url: str, items: Path, limit: int | None = None) -> dict:
    if limit:  # llama-cpp-python's echo path is too slow for many items (see README.md): the first `limit`
        lines = items.read_text(encoding="utf-8").splitlines(keepends=True)[:limit]
        items = work / f"items_first_{limit}.jsonl"
        items.write_text("".join(lines), encoding="utf-8")
    args = (f"model=qwen,base_url={base_url}/completions,num_concurrent=1,max_retries=3,tokenizer_backend=remote,"
            f"tokenized_requests=False")
    wall, peak, metrics, out = lm_eval_run(work, "mmlu", "peers_mmlu", LM_EVAL_MMLU.format(items=items),
                                           "local-completions", args)
    samples = [json.loads(line) for f in out.rglob("samples_peers_mmlu_*.jsonl") for line in f.open()]
    picks = {str(x["doc"]["id"]): max(range(4), key=lambda i: x["filtered_resps"][i][0]) for x in samples}
    return {"wall_s": wall, "peak_mib": peak, "accuracy": metrics["acc,none"], "picks": picks, "items": len(picks)}


def gapbench_picks(db: Path) -> dict[str, int]:
    """The choice gapbench's loglikelihood scoring picked per item (largest summed log-probability)."""
    from gapbench.store.db import Store

    store = Store(db)
    try:
        return {r.sample_id: "ABCD".index(r.extracted) if r.extracted and r.extracted in "ABCD" else -1
                for r in store.scores(task="mmlu")}
    finally:
        store.close()


def lm_eval_run(work: Path, label: str, task: str, task_yaml: str, model: str, model_args: str,
                extra: list[str] = ()) -> tuple[float, float, dict, Path]:
    """One lm_eval command on a task written for it: (wall s, peak MiB, the task's metrics, output folder)."""
    tasks = work / f"lm_eval_tasks_{label}"
    tasks.mkdir(exist_ok=True)
    (tasks / f"{task}.yaml").write_text(task_yaml)
    out = work / f"lm_eval_out_{label}"
    wall, peak, _ = timed([peer_bin("lm-eval", "lm_eval"), "--model", model, "--model_args", model_args,
                           "--tasks", task, "--include_path", str(tasks), *extra, "--output_path", str(out),
                           "--log_samples"],
                          env={"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "OPENAI_API_KEY": "x"})
    result = json.loads(sorted(out.rglob("results_*.json"))[-1].read_text())
    return wall, peak, result["results"][task], out


def lm_eval_side(work: Path, base_url: str, items: Path, max_tokens: int, concurrent: int,
                 extra_gen: str = "") -> dict:
    args = (f"model=standin,base_url={base_url}/chat/completions,num_concurrent={concurrent},max_retries=3,"
            f"tokenized_requests=False")
    wall, peak, metrics, _ = lm_eval_run(
        work, f"gsm8k_{concurrent}", "peers_gsm8k", LM_EVAL_TASK.format(items=items, max_tokens=max_tokens,
                                                                        extra=extra_gen),
        "local-chat-completions", args, ["--apply_chat_template"])
    acc = next(v for k, v in metrics.items() if k.startswith("exact_match,"))
    return {"wall_s": wall, "peak_mib": peak, "accuracy": acc}


def inspect_side(work: Path, base_url: str, items: Path, max_tokens: int, connections: int | None,
                 source: str = INSPECT_TASK, module: str = "peers_inspect", model: str = "standin") -> dict:
    (work / f"{module}.py").write_text(source)
    logs = work / f"{module}_logs_{connections}"
    cmd = [peer_bin("inspect-ai", "inspect"), "eval", f"{module}.py", "-T", f"items={items}",
           "--model", f"openai-api/standin/{model}", "--max-tokens", str(max_tokens), "--temperature", "0",
           "--log-dir", str(logs), "--log-format", "json", "--display", "none", "--no-fail-on-error"]
    if connections:
        cmd += ["--max-connections", str(connections)]
    wall, peak, _ = timed(cmd, env={"STANDIN_BASE_URL": base_url, "STANDIN_API_KEY": "x"}, cwd=work)
    log = json.loads(sorted(logs.glob("*.json"))[-1].read_text())
    acc = log["results"]["scores"][0]["metrics"]["accuracy"]["value"]
    return {"wall_s": wall, "peak_mib": peak, "accuracy": acc}


def gapbench_side(work: Path, model: str, n: int, extra: list[str], env: dict | None = None,
                  task: str = "gsm8k") -> dict:
    db = work / f"gapbench_{abs(hash((model, tuple(extra))))}.db"
    db.unlink(missing_ok=True)
    wall, peak, out = timed([sys.executable, "-m", "gapbench.cli.main", "run", "--model", model, "--task", task,
                             "--limit", str(n), "--db", str(db), "--data-dir", str(DATA), "--json", *extra],
                            env=env, cwd=REPO)
    summary = json.loads(out[out.index("{"):out.rindex("}") + 1])
    result = summary["results"][0]
    return {"wall_s": wall, "peak_mib": peak, "accuracy": result["score"], "db": str(db)}


def table(case: str, n: int, rows: dict[str, dict], peers: list[str]) -> str:
    lines = [f"### {case}: {n} items", "",
             "| side | wall s | items/s | " + " | ".join(f"× {p}" for p in peers) + " | accuracy [95% interval] | peak MiB |",
             "|---|---|---|" + "---|" * len(peers) + "---|---|"]
    for name, r in rows.items():
        k = r.get("items", n)  # a side run on fewer items (lm-eval's loglikelihood in case b)
        rate = k / r["wall_s"]
        ratios = [f"{rate / (rows[p].get('items', n) / rows[p]['wall_s']):.1f}" for p in peers]
        low, high = proportion_interval(round(r["accuracy"] * k), k)
        name = name if k == n else f"{name} ({k} items)"
        lines.append(f"| {name} | {r['wall_s']:.1f} | {rate:.2f} | " + " | ".join(ratios)
                     + f" | {r['accuracy']:.3f} [{low:.3f}, {high:.3f}] | {r['peak_mib']:.0f} |")
    return "\n".join(lines)


def save(case: str, n: int, rows: dict, peers: list[str]) -> None:
    (ROOT / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "results" / f"{case}.json").write_text(json.dumps({"items": n, "rows": rows}, indent=1))
    print(table(case, n, rows, peers), flush=True)


@contextmanager
def serving(cmd: list[str], port: int, quiet: bool = True):
    """A server process listening on 127.0.0.1:port while the block runs: yields (base URL, process)."""
    out = subprocess.DEVNULL if quiet else None
    proc = subprocess.Popen(cmd, stdout=out, stderr=out)
    try:
        base = f"http://127.0.0.1:{port}/v1"
        wait_for(f"{base}/models")
        yield base, proc
    finally:
        proc.terminate()
        proc.wait()


def run_sides(plan: dict, sides: list[str], rows: dict[str, dict], *args) -> None:
    """Run each side of the plan that --sides selects (all when empty), into rows, printing each result."""
    for name, run in plan.items():
        if sides and not any(s in name for s in sides):
            continue
        rows[name] = run(*args)
        print(f"{name}: { {k: v for k, v in rows[name].items() if k != 'picks'} }", flush=True)


def case_api(n: int, delay: float, sides: list[str]) -> None:
    work = Path(tempfile.mkdtemp(prefix="peers_api_"))
    items = work / "items.jsonl"
    items.write_text("".join(json.dumps(i) + "\n" for i in gsm8k_items(n)))
    port = free_port()
    rows: dict[str, dict] = {}
    standin = [sys.executable, str(HERE / "standin.py"), "--items", str(items), "--port", str(port), "--delay", str(delay)]
    with serving(standin, port, quiet=False) as (base, _):
        plan = {
            "gapbench (--concurrency 256)": lambda: gapbench_side(
                work, "openai/standin", n, ["--base-url", base, "--concurrency", "256"], {"OPENAI_API_KEY": "x"}),
            "lm-eval default (num_concurrent=1)": lambda: lm_eval_side(work, base, items, 320, 1),
            "lm-eval best (num_concurrent=300)": lambda: lm_eval_side(work, base, items, 320, 300),
            "inspect_ai default (max_connections 10)": lambda: inspect_side(work, base, items, 320, None),
            "inspect_ai best (--max-connections 300)": lambda: inspect_side(work, base, items, 320, 300),
        }
        run_sides(plan, sides, rows)
    peers = [p for p in rows if not p.startswith("gapbench")]
    save("api", n, rows, peers)
    shutil.rmtree(work, ignore_errors=True)


def peak_rss_mib(pid: int) -> float:
    """Peak RSS (VmHWM) of a running process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def llama_server(model: str, threads: int, logits_all: bool = False) -> tuple[list[str], int]:
    """The command of the peers' llama.cpp server for a bundled model, and its port."""
    from gapbench.models.local_assets import locate

    port = free_port()
    cmd = [peer_bin("server", "python"), str(HERE / "llama_server.py"), "--model", str(locate(model)[1]),
           "--n_ctx", "4096", "--n_threads", str(threads), "--n_threads_batch", str(threads), "--port", str(port),
           "--logits_all", "true" if logits_all else "false", "--verbose", "false"]
    return cmd, port


def case_gsm8k(n: int, threads: int, sides: list[str]) -> None:
    """(a) GSM8K, n items, 0-shot generation on local/qwen2.5-coder-0.5b: the peers through llama-cpp-python's
    server, gapbench through the same server and in-process (batched and serial)."""
    work = Path(tempfile.mkdtemp(prefix="peers_gsm8k_"))
    items = work / "items.jsonl"
    items.write_text("".join(json.dumps(i) + "\n" for i in gsm8k_items(n)))
    local = ["--threads", str(threads)]
    rows: dict[str, dict] = {}
    with serving(*llama_server("qwen2.5-coder-0.5b", threads)) as (base, server):
        plan = {
            "gapbench in-process (--batch 4, default)": lambda: gapbench_side(
                work, "local/qwen2.5-coder-0.5b", n, [*local, "--batch", "4"]),
            "gapbench in-process (--batch 8)": lambda: gapbench_side(
                work, "local/qwen2.5-coder-0.5b", n, [*local, "--batch", "8"]),
            "gapbench in-process (--batch 1)": lambda: gapbench_side(
                work, "local/qwen2.5-coder-0.5b", n, [*local, "--batch", "1"]),
            # one request at a time, as the peers send them (the server decodes one at a time anyway)
            "gapbench via the server": lambda: gapbench_side(
                work, "openai/qwen2.5-coder-0.5b", n, ["--base-url", base, "--concurrency", "1"],
                {"OPENAI_API_KEY": "x"}),
            "lm-eval (num_concurrent=1)": lambda: lm_eval_side(work, base, items, 320, 1),
            "inspect_ai (max_connections 10)": lambda: inspect_side(work, base, items, 320, None),
        }
        run_sides(plan, sides, rows)
        server_peak = peak_rss_mib(server.pid)
    for name, row in rows.items():
        if "in-process" not in name:
            row["server_peak_mib"] = server_peak
    peers = [p for p in rows if not p.startswith("gapbench")]
    save("gsm8k", n, rows, peers)
    print(f"(the server's peak RSS, {server_peak:.0f} MiB, comes on top of each server side's own)")


def case_mmlu(n: int, threads: int, sides: list[str], lm_eval_items: int | None = None) -> None:
    """(b) MMLU, n items, 5-shot: gapbench's in-process loglikelihood (batched and serial) beside lm-eval's
    loglikelihood through llama-cpp-python's server (echo + logprobs, --logits_all true); and, as the peers who
    cannot score choices by log-likelihood do it, the letter generated: inspect_ai and gapbench through the same
    server (--logits_all false, so the generation sides do not pay for logits of every prompt token)."""
    work = Path(tempfile.mkdtemp(prefix="peers_mmlu_"))
    items = work / "items.jsonl"
    items.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in mmlu_items(n)))
    local = ["--threads", str(threads), "--method", "loglikelihood"]
    rows: dict[str, dict] = {}
    server_peaks: dict[bool, float] = {}
    groups = {
        None: {
            "gapbench in-process loglikelihood (--batch 4, default)": lambda base: gapbench_side(
                work, "local/qwen2.5-coder-0.5b", n, [*local, "--batch", "4"], task="mmlu"),
            "gapbench in-process loglikelihood (--batch 1)": lambda base: gapbench_side(
                work, "local/qwen2.5-coder-0.5b", n, [*local, "--batch", "1"], task="mmlu"),
        },
        True: {"lm-eval loglikelihood (server, logits_all)": lambda base: lm_eval_mmlu_side(work, base, items,
                                                                                           lm_eval_items)},
        False: {
            "gapbench generated letter (server)": lambda base: gapbench_side(
                work, "openai/qwen2.5-coder-0.5b", n, ["--base-url", base, "--method", "generate", "--concurrency", "1"],
                {"OPENAI_API_KEY": "x"}, task="mmlu"),
            "inspect_ai generated letter (server)": lambda base: inspect_side(
                work, base, items, 48, None, INSPECT_MMLU, "peers_inspect_mmlu", "qwen"),
        },
    }
    for logits_all, plan in groups.items():
        if sides and not any(s in k for k in plan for s in sides):
            continue
        server = nullcontext((None, None)) if logits_all is None else \
            serving(*llama_server("qwen2.5-coder-0.5b", threads, logits_all=logits_all))
        with server as (base, proc):
            run_sides(plan, sides, rows, base)
            if proc:
                server_peaks[logits_all] = peak_rss_mib(proc.pid)
    for name, row in rows.items():
        if "server" in name:
            row["server_peak_mib"] = server_peaks.get("logits_all" in name)
    lm = rows.get("lm-eval loglikelihood (server, logits_all)", {}).get("picks")
    for name, row in rows.items():
        if name.startswith("gapbench in-process") and lm:
            mine = gapbench_picks(Path(row["db"]))
            same = sum(1 for k, v in mine.items() if lm.get(k) == v)
            row["same_pick_as_lm_eval"] = f"{same}/{len(mine)}"
            print(f"{name}: the same choice as lm-eval on {same} of {len(mine)} items", flush=True)
    peers = [p for p in rows if not p.startswith("gapbench")]
    save("mmlu", n, rows, peers)
    print(f"(servers' peak RSS: {server_peaks} MiB, on top of each server side's own)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=["setup", "api", "gsm8k", "mmlu"])
    ap.add_argument("--items", type=int)
    ap.add_argument("--delay", type=float, default=1.0, help="api: seconds per call")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="llama.cpp threads, every side")
    ap.add_argument("--lm-eval-items", type=int, help="mmlu: lm-eval on the first N items only (its loglikelihood "
                    "through llama-cpp-python's server takes minutes per question)")
    ap.add_argument("--sides", default="", help="comma list of side names to run (substring match)")
    args = ap.parse_args()
    if args.items is not None and args.items < 1 or args.lm_eval_items is not None and args.lm_eval_items < 1:
        fail("--items and --lm-eval-items must be at least 1")
    sides = [s for s in args.sides.split(",") if s]
    try:
        run_case(args, sides)
    except GapbenchError as e:  # the benchmark data missing or unreadable
        fail(str(e))


def run_case(args: argparse.Namespace, sides: list[str]) -> None:
    if args.case == "setup":
        setup()
    elif args.case == "api":
        case_api(args.items or 300, args.delay, sides)
    elif args.case == "gsm8k":
        case_gsm8k(args.items or 40, args.threads, sides)
    elif args.case == "mmlu":
        case_mmlu(args.items or 100, args.threads, sides, args.lm_eval_items)


if __name__ == "__main__":
    main()
