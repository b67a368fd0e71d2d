"""`gapbench models --check`: one tiny request per configured preset (its key is set), to see in one line
each whether the key is accepted, the model is served and the preset's parameters pass. Nothing is stored.

A preset counts as configured when its key variable is set, or when <NAME>_BASE_URL points at a loopback
server (no key needed there). The model asked is the preset's first default model unless --model names
others. Thinking models get a small reasoning budget: an answer cut off at that budget still shows that
auth, model and parameters were accepted.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import asdict, dataclass

from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.http import is_loopback
from gapbench.models.presets import load_presets
from gapbench.models.registry import ModelOptions, create_model
from gapbench.models.truncation import PREFIX
from gapbench.types import Request

CHECK_REQUEST = Request(kind="generate", messages=(("user", "Reply with the single word: ok"),), max_tokens=16)
CHECK_BUDGET = 256  # reasoning tokens allowed to a thinking model during a check


@dataclass
class CheckResult:
    provider: str
    model: str
    status: str  # ok, auth, model, parameters, unreachable, error, skipped
    detail: str
    seconds: float | None = None

    def line(self) -> str:
        took = f" ({self.seconds:.1f} s)" if self.seconds is not None else ""
        return f"{self.provider:<12} {self.model:<32} {self.status:<11} {self.detail}{took}"

    def to_json(self) -> dict:
        return asdict(self)


def classify(message: str) -> tuple[str, str]:
    """(status, detail) for a failed check, from the (redacted, one-line) error message."""
    low = message.lower()
    if message.startswith(PREFIX):
        return "ok", "auth, model and parameters accepted; answer cut at the check's tiny budget"
    if "http 401" in low or "http 403" in low:
        return "auth", f"key rejected: {message}"
    if "http 404" in low or ("model" in low and ("not exist" in low or "not found" in low or "no such" in low)):
        return "model", f"model not available: {message}"
    if "http 400" in low or "http 422" in low:
        return "parameters", f"request rejected: {message}"
    if "connection error" in low or "timed out" in low:
        return "unreachable", message
    return "error", message


def configured(preset: dict) -> str | None:
    """Why this preset is skipped, or None when it can be checked."""
    url = os.environ.get(f"{preset['name'].upper()}_BASE_URL")
    if os.environ.get(preset["api_key_env"]) or (url and is_loopback(url)):
        return None
    return f"{preset['api_key_env']} not set"


async def check_one(provider: str, model: str, timeout_s: float) -> CheckResult:
    options = ModelOptions(timeout_s=timeout_s, max_retries=0, concurrency=1,
                           extra={"reasoning_budget_cap": CHECK_BUDGET})
    try:
        m = create_model(f"{provider}/{model}", options)
    except GapbenchError as e:
        return CheckResult(provider, model, "error", str(e))
    t0 = time.perf_counter()
    try:
        resp = await m.generate(CHECK_REQUEST)
    except ModelCallError as e:
        status, detail = classify(str(e))
        return CheckResult(provider, model, status, detail, time.perf_counter() - t0)
    finally:
        await m.aclose()
    return CheckResult(provider, model, "ok", f"auth, model and parameters accepted; answered {resp.text[:30]!r}",
                       time.perf_counter() - t0)


async def check_presets(models: dict[str, list[str]] | None = None, timeout_s: float = 30.0) -> list[CheckResult]:
    """Check every configured preset (or, with `models`, those presets and models) concurrently."""
    jobs, out = [], []
    for preset in load_presets():
        if models is not None and preset["name"] not in models:
            continue
        why = configured(preset)
        names = (models or {}).get(preset["name"]) or preset["default_models"][:1]
        if why:
            out += [CheckResult(preset["name"], n, "skipped", why) for n in names]
            continue
        jobs += [check_one(preset["name"], n, timeout_s) for n in names]
    return [*await asyncio.gather(*jobs), *out]
