"""Retries for HTTP model calls: exponential backoff with full jitter, Retry-After, redaction.

Every message this module produces goes through `redact`, so an API key or an Authorization
header that a server echoes back into its error body never reaches a log, a store or the screen.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
import time
from typing import Awaitable, Callable, Iterable

import httpx

from gapbench.errors import ModelCallError

# 408 timeout, 409 conflict (OpenAI uses it for transient lock contention), 429 rate limit, 5xx.
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})  # 529: Anthropic overloaded
RETRY_AFTER_STATUS = frozenset({429, 503})
BODY_CHARS = 200

_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=\-]+")
_KEY_FIELD = re.compile(r"(?i)((?:x-api-key|api[-_]?key|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]+")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every secret, bearer token and api-key-looking field value replaced by ***."""
    out = str(text)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        out = out.replace(secret, "***")
    out = _BEARER.sub(r"\1 ***", out)
    return _KEY_FIELD.sub(r"\1***", out)


def one_line(text: str, limit: int = BODY_CHARS) -> str:
    return " ".join(str(text).split())[:limit]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, base_delay: float, max_delay: float) -> float:
    """Full jitter: uniform in [0, min(max_delay, base_delay * 2**attempt)]."""
    return random.uniform(0.0, min(max_delay, base_delay * (2**attempt)))


def _status_message(resp: httpx.Response, secrets: Iterable[str | None]) -> str:
    try:
        body = resp.text
    except Exception:  # undecodable body
        body = ""
    # redact before truncating, so a secret cut in half at the limit cannot leak a prefix
    return one_line(redact(body, secrets), BODY_CHARS)


async def call_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    max_retries: int,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    secrets: Iterable[str | None] = (),
) -> httpx.Response:
    """Call `send()` until it returns a 2xx response; at most `max_retries + 1` attempts.

    Retries connection errors, timeouts and RETRYABLE_STATUS; any other non-2xx status raises
    ModelCallError(retryable=False) at once. Messages are one line with secrets redacted.
    """
    secrets = tuple(s for s in secrets if s)
    attempts = max(0, int(max_retries)) + 1
    last, last_body = "", ""
    for attempt in range(attempts):
        wait: float | None = None
        last_body = ""
        try:
            resp = await send()
        except (httpx.TimeoutException, TimeoutError) as exc:
            last = f"timed out ({type(exc).__name__})"
        except httpx.TransportError as exc:
            last = f"connection error ({type(exc).__name__}: {one_line(redact(str(exc), secrets))})"
        else:
            status = resp.status_code
            if 200 <= status < 300:
                return resp
            body = _status_message(resp, secrets)
            if status not in RETRYABLE_STATUS and status < 500:
                raise ModelCallError(f"HTTP {status}: {body}", retryable=False)
            last, last_body = f"HTTP {status}", body
            if status in RETRY_AFTER_STATUS:
                ra = parse_retry_after(resp.headers.get("retry-after"))
                if ra is not None:
                    wait = min(ra, max_delay * 4)
        if attempt + 1 >= attempts:
            plural = "attempt" if attempts == 1 else "attempts"
            detail = f": {last_body}" if last_body else ""
            raise ModelCallError(f"{last} after {attempts} {plural}{detail}", retryable=True)
        await sleep(wait if wait is not None else backoff_delay(attempt, base_delay, max_delay))
    raise AssertionError("unreachable")  # pragma: no cover
