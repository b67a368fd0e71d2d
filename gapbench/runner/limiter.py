"""Adaptive concurrency per provider: additive increase, multiplicative decrease (AIMD), Retry-After, and
optional requests-per-minute / tokens-per-minute buckets, under --concurrency as a ceiling.

A provider's real limit is rarely published and changes with its load, so a fixed concurrency is either too
low (a latency-bound API idles) or too high (a storm of 429s, each a wasted call and a backoff). The limiter
probes instead, as TCP does:
- it starts at `start` slots; a request that succeeds while every slot was busy (or other requests were
  waiting for one when it was admitted) adds one slot (slow start: the limit doubles each round trip) until
  the first throttle, then 1/limit of a slot (one per round of `limit` requests);
- a 429 or 503 multiplies the limit by `backoff` (0.7, as CUBIC; at most once per round: throttles of
  requests that started before the last cut are not counted again) and stops slow start; a Retry-After
  header pauses every new request of the provider until it has passed;
- with `rpm` / `tpm` set, a request also waits for its share of a bucket that refills at that rate and holds
  ten seconds' worth; tokens are estimated when the request leaves and corrected when its usage is known.
Requests are never dropped here: a throttled request is retried by the provider's retry loop
(`gapbench.models.retry.call_with_retries`), whose every attempt goes through `wrap`.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from gapbench.models.retry import RETRY_AFTER_STATUS, parse_retry_after

THROTTLE_STATUS = frozenset({429, 503})
BURST_S = 10.0  # a bucket holds this many seconds of its rate


class TokenBucket:
    """`per_minute` units a minute, up to BURST_S seconds' worth at once. A take may overdraw the bucket
    (a request larger than the burst still goes); the next waits until the level is positive again."""

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic):
        if per_minute <= 0:
            raise ValueError(f"a rate limit must be > 0 per minute, got {per_minute}")
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * BURST_S)
        self.level = self.capacity
        self._clock = clock
        self._at = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.level = min(self.capacity, self.level + (now - self._at) * self.rate)
        self._at = now

    def wait_time(self) -> float:
        """Seconds until a take may go (0: now)."""
        self._refill()
        return 0.0 if self.level > 0 else (1e-9 - self.level) / self.rate

    def take(self, amount: float) -> None:
        self._refill()
        self.level -= amount

    def give_back(self, amount: float) -> None:
        """Correct an estimate (negative: the request used more than estimated)."""
        self._refill()
        self.level = min(self.capacity, self.level + amount)


@dataclass
class Snapshot:
    """What the progress display shows for a provider."""

    limit: int
    in_flight: int
    requests: int
    throttled: int
    tokens: int
    paused_s: float


class Slot:
    """One admitted request: tell it how the call went (`observe`) before leaving `limiter.slot()`."""

    def __init__(self, limiter: "AdaptiveLimiter", started: float, saturated: bool, tokens: int):
        self.limiter, self.started, self.saturated, self.tokens = limiter, started, saturated, tokens
        self.outcome = "neutral"  # "ok", "throttled", or "neutral" (other errors: no signal)
        self.retry_after: float | None = None
        self.used: int | None = None

    def observe(self, status: int, retry_after: str | None = None, used_tokens: int | None = None) -> None:
        if 200 <= status < 300:
            self.outcome, self.used = "ok", used_tokens
        elif status in THROTTLE_STATUS:
            self.outcome = "throttled"
            if status in RETRY_AFTER_STATUS:
                self.retry_after = parse_retry_after(retry_after)


class AdaptiveLimiter:
    """AIMD concurrency for one provider (share one instance among the models of a provider)."""

    def __init__(self, ceiling: int, *, start: int | None = None, floor: int = 1, backoff: float = 0.7,
                 rpm: float | None = None, tpm: float | None = None, clock: Callable[[], float] = time.monotonic):
        if ceiling < 1:
            raise ValueError(f"--concurrency must be ≥ 1, got {ceiling}")
        if not 0 < backoff < 1:
            raise ValueError(f"backoff must be in (0, 1), got {backoff}")
        self.ceiling, self.floor, self.backoff = int(ceiling), max(1, int(floor)), float(backoff)
        self._limit = float(min(self.ceiling, max(self.floor, start if start is not None else 4)))
        self._clock = clock
        self._requests_bucket = TokenBucket(rpm, clock) if rpm else None
        self._tokens_bucket = TokenBucket(tpm, clock) if tpm else None
        self._slow_start = True
        self._last_cut = -math.inf
        self._paused_until = -math.inf
        self._in_flight = 0
        self._waiting = 0  # requests queued for a slot: demand above the limit
        self.requests = self.throttled = self.tokens = 0
        self.peak = int(self._limit)
        self._condition: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def limit(self) -> int:
        return int(self._limit)

    def snapshot(self) -> Snapshot:
        return Snapshot(self.limit, self._in_flight, self.requests, self.throttled, self.tokens,
                        max(0.0, self._paused_until - self._clock()))

    def _cond(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._condition is None or self._loop is not loop:
            self._condition, self._loop = asyncio.Condition(), loop
        return self._condition

    def _wait_s(self) -> float | None:
        """0 when a request may go now; seconds to wait; None to wait for a slot to free."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        if self._in_flight >= self.limit:
            return None
        waits = [b.wait_time() for b in (self._requests_bucket, self._tokens_bucket) if b is not None]
        return max(waits, default=0.0)

    def slot(self, tokens: int = 0) -> "_Admission":
        """`async with limiter.slot(estimated_tokens) as slot:` admits one request (waits for its turn)."""
        return _Admission(self, tokens)

    async def _acquire(self, tokens: int) -> Slot:
        cond = self._cond()
        async with cond:
            self._waiting += 1
            try:
                while (wait := self._wait_s()) != 0.0:
                    try:
                        await asyncio.wait_for(cond.wait(), wait)  # woken by a release, or the wait has passed
                    except (asyncio.TimeoutError, TimeoutError):
                        pass
            finally:
                self._waiting -= 1
            if self._requests_bucket is not None:
                self._requests_bucket.take(1)
            if self._tokens_bucket is not None:
                self._tokens_bucket.take(tokens)
            self._in_flight += 1
            # saturated: this request fills the last slot, or others still wait behind it (all woken at once
            # by a burst of releases, the early ones would otherwise see free slots and never grow the limit)
            return Slot(self, self._clock(), self._in_flight >= self.limit or self._waiting > 0, tokens)

    async def _release(self, slot: Slot) -> None:
        cond = self._cond()
        async with cond:
            self._in_flight -= 1
            self.requests += 1
            if slot.outcome == "ok":
                if slot.used is not None:
                    self.tokens += slot.used
                    if self._tokens_bucket is not None:
                        self._tokens_bucket.give_back(slot.tokens - slot.used)
                # grow only while every slot is busy (demand, not idleness, drives it), and not on requests
                # that left before the last cut (they were admitted under the old, too high limit)
                if slot.saturated and slot.started >= self._last_cut:
                    self._limit += 1.0 if self._slow_start else 1.0 / self._limit
                    self._limit = min(float(self.ceiling), self._limit)
                    self.peak = max(self.peak, self.limit)
            elif slot.outcome == "throttled":
                self.throttled += 1
                if slot.started >= self._last_cut:  # one cut per round of requests
                    self._limit = max(float(self.floor), self._limit * self.backoff)
                    self._last_cut = self._clock()
                    self._slow_start = False
                if slot.retry_after:
                    self._paused_until = max(self._paused_until, self._clock() + slot.retry_after)
            cond.notify_all()

    def wrap(self, send: Callable[[], Awaitable[Any]], tokens: int = 0) -> Callable[[], Awaitable[Any]]:
        """`send` (one HTTP attempt returning an httpx.Response) admitted by the limiter and observed: pass the
        result to `call_with_retries` so each retry is admitted and counted too."""

        async def limited():
            async with self.slot(tokens) as slot:
                resp = await send()
                slot.observe(resp.status_code, resp.headers.get("retry-after"), usage_tokens(resp))
                return resp

        return limited


class _Admission:
    def __init__(self, limiter: AdaptiveLimiter, tokens: int):
        self.limiter, self.tokens, self.slot = limiter, tokens, None

    async def __aenter__(self) -> Slot:
        self.slot = await self.limiter._acquire(self.tokens)
        return self.slot

    async def __aexit__(self, *exc: Any) -> None:
        await self.limiter._release(self.slot)


def usage_tokens(resp: Any) -> int | None:
    """Prompt + completion tokens from a successful JSON body's `usage` (OpenAI or Anthropic names)."""
    if not 200 <= resp.status_code < 300:
        return None
    try:
        usage = resp.json().get("usage")
    except (ValueError, AttributeError):
        return None
    if not isinstance(usage, dict):
        return None
    fields = ("prompt_tokens", "completion_tokens", "input_tokens", "output_tokens")
    return sum(int(usage.get(k) or 0) for k in fields)


class Limiters:
    """One limiter per provider endpoint, shared by every model of a run that calls it."""

    def __init__(self, ceiling: int, rpm: float | None = None, tpm: float | None = None, **kwargs: Any):
        self.ceiling, self.rpm, self.tpm, self.kwargs = ceiling, rpm, tpm, kwargs
        self._by_key: dict[str, AdaptiveLimiter] = {}

    def get(self, key: str) -> AdaptiveLimiter:
        if key not in self._by_key:
            self._by_key[key] = AdaptiveLimiter(self.ceiling, rpm=self.rpm, tpm=self.tpm, **self.kwargs)
        return self._by_key[key]

    def snapshots(self) -> dict[str, Snapshot]:
        return {key: lim.snapshot() for key, lim in self._by_key.items()}
