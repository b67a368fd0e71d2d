"""The adaptive limiter (gapbench.runner.limiter) against a real HTTP server on 127.0.0.1 that answers 429 above a
concurrency threshold, through the providers' own retry loop (gapbench.models.retry.call_with_retries)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from gapbench.models.retry import call_with_retries
from gapbench.runner.limiter import AdaptiveLimiter, Limiters, TokenBucket

from fakeserver import ThreadingHTTPServer


class ThresholdServer:
    """Answers 429 (Retry-After: `retry_after`) while more than `threshold` requests are in flight, else 200
    after `service_s`; a `threshold` of None never throttles. Records what it served."""

    def __init__(self, threshold: int | None, service_s: float = 0.1, retry_after: str = "0.05"):
        self.threshold, self.service_s, self.retry_after = threshold, service_s, retry_after
        self.lock = threading.Lock()
        self.in_flight = self.peak_served = 0
        self.served: list[str] = []
        self.throttled = 0
        self.arrivals: list[tuple[float, int]] = []  # (time, status)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with server.lock:
                    server.in_flight += 1
                    over = server.threshold is not None and server.in_flight > server.threshold
                    concurrent = server.in_flight
                try:
                    if over:
                        status, headers, reply = 429, {"Retry-After": server.retry_after}, {"error": "rate limited"}
                    else:
                        time.sleep(server.service_s)
                        status, headers = 200, {}
                        reply = {"id": body["id"], "usage": {"prompt_tokens": 10, "completion_tokens": 5}}
                    with server.lock:
                        server.arrivals.append((time.monotonic(), status))
                        if over:
                            server.throttled += 1
                        else:
                            server.served.append(body["id"])
                            server.peak_served = max(server.peak_served, concurrent)
                finally:
                    with server.lock:
                        server.in_flight -= 1
                data = json.dumps(reply).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", "Content-Length": str(len(data)), **headers}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # accepts every connection: the handler decides what is too many
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/chat/completions"
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def make_server():
    servers = []

    def make(*args, **kwargs):
        servers.append(ThresholdServer(*args, **kwargs))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


async def drive(url: str, limiter: AdaptiveLimiter, n: int, max_retries: int = 20):
    """n requests at once, each through the limiter and the providers' retry loop; the limit after each."""
    limits: list[int] = []
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=100), timeout=10) as client:
        async def one(i: int) -> str:
            send = limiter.wrap(lambda: client.post(url, json={"id": f"r{i}"}), tokens=20)
            resp = await call_with_retries(send, max_retries=max_retries, base_delay=0.01, max_delay=0.1)
            limits.append(limiter.limit)
            return resp.json()["id"]

        ids = await asyncio.gather(*(one(i) for i in range(n)))
    return ids, limits


def test_settles_near_the_threshold_and_loses_no_request(make_server):
    server = make_server(threshold=6)
    limiter = AdaptiveLimiter(ceiling=64, start=2)
    ids, limits = asyncio.run(drive(server.url, limiter, 200))
    assert sorted(ids) == sorted(f"r{i}" for i in range(200)) and len(server.served) == 200  # none lost
    assert server.peak_served <= 6
    # after slow start AIMD oscillates between about 0.7·6 and 6 + 2; on a loaded machine fewer requests overlap,
    # so the limit can climb one more step before a 429 comes back (seen once in a clean-clone CI run: 9)
    settled = limits[60:]
    assert 4 <= min(settled) and max(settled) <= 9, (min(settled), max(settled))
    assert 4 <= sum(settled) / len(settled) <= 7.5
    assert limiter.peak < 64  # never ran away to the ceiling
    assert server.throttled < 0.15 * 200, server.throttled  # a fixed 64 would be throttled most of the time
    assert limiter.throttled == server.throttled and limiter.requests == 200 + server.throttled
    assert limiter.tokens == 200 * 15  # usage read back from every success


def test_a_fixed_concurrency_above_the_threshold_wastes_calls(make_server):
    """The counterpart: without adaptation (floor = ceiling = 32) most attempts are throttled."""
    server = make_server(threshold=6)
    fixed = AdaptiveLimiter(ceiling=32, start=32, floor=32)
    ids, _ = asyncio.run(drive(server.url, fixed, 60, max_retries=500))
    assert len(set(ids)) == 60 and fixed.limit == 32
    assert server.throttled > 60  # more wasted calls than items


def test_grows_to_the_ceiling_only_while_busy(make_server):
    server = make_server(threshold=None, service_s=0.05)
    limiter = AdaptiveLimiter(ceiling=12, start=1)
    asyncio.run(drive(server.url, limiter, 100))
    assert limiter.limit == 12 and limiter.peak == 12 and limiter.throttled == 0

    idle = AdaptiveLimiter(ceiling=12, start=2)

    async def one_at_a_time():
        for _ in range(10):  # demand of one request: the two slots are never both busy
            await drive(server.url, idle, 1)

    asyncio.run(one_at_a_time())
    assert idle.limit == 2


def test_retry_after_pauses_every_new_request(make_server):
    server = make_server(threshold=0, retry_after="0.4")  # everything is throttled
    limiter = AdaptiveLimiter(ceiling=8, start=4)

    async def go():
        async with httpx.AsyncClient() as client:
            send = limiter.wrap(lambda: client.post(server.url, json={"id": "x"}))
            first = await send()
            assert first.status_code == 429
            assert limiter.snapshot().paused_s > 0.3
            server.threshold = None
            await send()  # admitted only once the pause has passed

    asyncio.run(go())
    (t429, s1), (t200, s2) = server.arrivals
    assert (s1, s2) == (429, 200) and t200 - t429 >= 0.4 - 0.01
    assert limiter.limit == 2  # 4 · 0.7, rounded down


def test_token_buckets_on_a_manual_clock():
    now = [0.0]
    bucket = TokenBucket(60, clock=lambda: now[0])  # 1 a second, 10 at once
    assert bucket.capacity == 10 and bucket.wait_time() == 0
    for _ in range(10):
        bucket.take(1)
    assert bucket.wait_time() > 0  # empty: the eleventh waits
    bucket.take(5)  # overdrawn by a large request: the next waits until the level is positive
    assert bucket.wait_time() == pytest.approx(5.0, rel=1e-3)
    now[0] = 5.5
    assert bucket.wait_time() == 0
    bucket.give_back(100)
    assert bucket.level == 10  # never above capacity
    with pytest.raises(ValueError):
        TokenBucket(0)


def test_requests_per_minute_spaces_requests(make_server):
    server = make_server(threshold=None, service_s=0.0)
    limiter = AdaptiveLimiter(ceiling=16, start=16, rpm=120)  # 2 a second, 20 at once

    async def go():
        await drive(server.url, limiter, 24)

    asyncio.run(go())
    times = sorted(t for t, _ in server.arrivals)
    assert len(times) == 24
    # The bucket's promise: by any moment t, at most 20 (the burst) + 2 per second since the first request
    # have been sent. Checked at every arrival, not as one fixed span, so a slow burst on a loaded machine
    # (the bucket refills meanwhile) cannot break it. Slack of 2: a request goes while the level is above 0
    # (so one may overdraw it), and one covers the first request's latency. Without the limiter all 24
    # arrive within a fraction of a second and break it at the 23rd.
    for k, t in enumerate(times, start=1):
        assert k <= 20 + 2 * (t - times[0]) + 2, (k, t - times[0])
    assert times[-1] - times[0] >= 1.0  # the 4 beyond the burst waited for refills


def test_limiters_are_shared_per_endpoint():
    limiters = Limiters(8, rpm=100)
    assert limiters.get("openai") is limiters.get("openai") and limiters.get("openai") is not limiters.get("x")
    assert set(limiters.snapshots()) == {"openai", "x"} and limiters.get("x").ceiling == 8
    with pytest.raises(ValueError):
        AdaptiveLimiter(0)
