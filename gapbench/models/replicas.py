"""Several servers of one model: pinning, a cap of requests in flight per replica, batching, failover.

A `ReplicaPool` holds the base URLs of identical servers (vLLM or SGLang replicas, or one router URL,
which is just a pool of one). A `Lane` is one kind of call (log-likelihood batches, tokenisation,
chat): callers `ask(key, payload)` and the lane sends queued payloads to a replica in batches of up to
`batch` per HTTP call, never more than the replica's limit of requests in flight.

- Pinning: each key ranks the replicas by rendezvous hashing (sha256 of key and URL), so an item
  always goes to the same replica while it is up, and moves to the next in its own order when not.
  The runner asks every call of one item (the choices of a question, the turns of a chat) from one
  asyncio task, and the first replica an item's task used is kept for its later calls: all choices of
  a question go to one replica, whose prefix cache then holds their shared context.
- Failover: a call that fails in a way a retry could cure (connection refused or reset, timeout, 5xx)
  marks its replica down for a cool-down that doubles on each new failure (up to a minute), and every
  payload of that call is asked again on the next replica of its key; queued payloads move too. A
  response that arrived is never asked again. A payload that failed on every replica `max_attempts`
  times becomes a retryable ModelCallError (an error in the run, asked again on the next run).
- Adaptive limit: a replica's requests in flight start at its cap; an overloaded answer (429, 503)
  halves the limit, each success adds 1/limit back (additive increase), never above the cap.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from gapbench.errors import GapbenchError, ModelCallError

OVERLOADED = ("HTTP 429", "HTTP 503")
MAX_COOLDOWN_S = 60.0
LINGER_S = 0.02  # longest a payload waits for others to fill its batch while its lane has a call in flight


def parse_base_urls(value: str | list[str] | tuple[str, ...] | None) -> list[tuple[str, int | None]]:
    """(base URL, cap) pairs from a comma list such as `http://a:8000,http://b:8000/v1?cap=32`: trailing
    slashes and a final /v1 removed, `?cap=N` (most requests in flight on that replica) split off,
    duplicates dropped."""
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else list(value)
    out: dict[str, int | None] = {}
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if not part.startswith(("http://", "https://")):
            raise GapbenchError(f"--base-url: '{part}' is not an http(s) URL")
        url, _, query = part.partition("?")
        cap = None
        if query:
            name, _, number = query.partition("=")
            if name != "cap" or not number.isdigit() or int(number) < 1:
                raise GapbenchError(f"--base-url: '{part}': the only option is ?cap=N (N >= 1)")
            cap = int(number)
        url = url.rstrip("/")
        url = url[: -len("/v1")] if url.endswith("/v1") else url
        out.setdefault(url, cap)
    return list(out.items())


@dataclass
class Replica:
    url: str
    cap: int  # most requests in flight
    limit: float = 0.0  # current (adaptive) limit, 1 … cap
    in_flight: int = 0
    sent: int = 0  # payloads sent
    ok: int = 0  # payloads answered
    failed: int = 0  # payloads whose call failed here (asked again elsewhere)
    calls: int = 0  # HTTP calls made
    down_until: float = 0.0
    cooldown_s: float = 0.0
    queues: dict[int, list] = field(default_factory=dict)  # lane id -> [(payload, future, queued at)]
    busy: dict[int, int] = field(default_factory=dict)  # lane id -> calls in flight

    def __post_init__(self) -> None:
        self.limit = float(self.cap)

    def up(self, now: float) -> bool:
        return now >= self.down_until

    def room(self) -> int:
        return max(0, int(self.limit) - self.in_flight)

    def counts(self) -> dict[str, Any]:
        return {"url": self.url, "sent": self.sent, "ok": self.ok, "failed": self.failed, "calls": self.calls,
                "down": not self.up(time.monotonic())}


class ReplicaFailed(Exception):
    """A call failed on one replica in a way that another replica may not: ask elsewhere."""

    def __init__(self, replica: Replica, error: ModelCallError):
        super().__init__(str(error))
        self.replica, self.error = replica, error


class ReplicaPool:
    def __init__(self, urls: list[tuple[str, int | None]], cap: int, cooldown_s: float = 2.0,
                 max_attempts: int = 6):
        if not urls:
            raise GapbenchError("--base-url: give at least one server URL")
        self.replicas = [Replica(u, max(1, int(c or cap))) for u, c in urls]
        self.base_cooldown_s = float(cooldown_s)
        self.max_attempts = max(1, int(max_attempts))
        self.failovers = 0
        self._pins: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # asyncio task -> replica
        self._lanes: list[Lane] = []

    @property
    def capacity(self) -> int:
        return sum(r.cap for r in self.replicas)

    def order(self, key: str) -> list[Replica]:
        """The replicas in this key's rendezvous order (the first is its home while it is up)."""
        def weight(r: Replica) -> bytes:
            return hashlib.sha256(f"{key}\x00{r.url}".encode()).digest()
        return sorted(self.replicas, key=weight, reverse=True)

    def pick(self, key: str, avoid: Replica | None = None) -> Replica:
        """The replica for a call: the caller task's pinned replica while it is up, else the first one
        up in the key's order (other than `avoid`), else the one that comes back soonest."""
        now = time.monotonic()
        task = asyncio.current_task()
        pinned = self._pins.get(task) if task is not None else None
        if pinned is not None and pinned is not avoid and pinned.up(now):
            return pinned
        ranked = self.order(key)
        up = [r for r in ranked if r.up(now) and r is not avoid] or [r for r in ranked if r.up(now)]
        chosen = up[0] if up else min(ranked, key=lambda r: r.down_until)
        if task is not None:
            self._pins[task] = chosen
        return chosen

    def lane(self, send: Callable[[Replica, list[Any]], Awaitable[list[Any]]], batch: int = 1,
             metered: bool = True) -> "Lane":
        """A lane of calls; an unmetered one (tokenisation: no work for the engine) ignores the cap."""
        lane = Lane(self, len(self._lanes), send, batch, metered)
        self._lanes.append(lane)
        return lane

    def mark_ok(self, replica: Replica, n: int) -> None:
        replica.ok += n
        replica.cooldown_s = 0.0
        replica.limit = min(float(replica.cap), replica.limit + n / max(replica.limit, 1.0))

    def mark_failed(self, replica: Replica, error: ModelCallError, n: int) -> None:
        replica.failed += n
        if any(o in str(error) for o in OVERLOADED):
            replica.limit = max(1.0, replica.limit / 2)  # busy, not dead: fewer requests, stay up
            return
        now = time.monotonic()
        if replica.up(now):  # a new incident (the other calls in flight when it died fail too: not new ones)
            replica.cooldown_s = min(MAX_COOLDOWN_S, max(self.base_cooldown_s, replica.cooldown_s * 2))
            replica.down_until = now + replica.cooldown_s
        for lane in self._lanes:  # queued work moves to other replicas now
            lane.requeue(replica, error)

    def counts(self) -> list[dict[str, Any]]:
        return [r.counts() for r in self.replicas]

    def note(self) -> str:
        """One line for the progress display: answered (and failed) payloads per replica."""
        parts = []
        for i, r in enumerate(self.replicas, 1):
            state = " down" if not r.up(time.monotonic()) else ""
            failed = f" {r.failed}✗" if r.failed else ""
            parts.append(f"r{i} {r.ok}✓{failed}{state}")
        return " · ".join(parts)

    def pump_all(self) -> None:
        for lane in self._lanes:
            for replica in self.replicas:
                lane.pump(replica)


class Lane:
    """One kind of call over the pool: payloads queue per replica and leave in batches."""

    def __init__(self, pool: ReplicaPool, ident: int, send: Callable[[Replica, list[Any]], Awaitable[list[Any]]],
                 batch: int, metered: bool = True):
        self.pool, self.ident, self.send, self.batch = pool, ident, send, max(1, int(batch))
        self.metered = metered
        self._tasks: set[asyncio.Task] = set()
        self._timers: set[str] = set()  # replicas whose partial batch waits for LINGER_S

    async def ask(self, key: str, payload: Any) -> Any:
        avoid: Replica | None = None
        last: ModelCallError | None = None
        for attempt in range(self.pool.max_attempts):
            replica = self.pool.pick(key, avoid)
            if (attempt and replica is avoid) or not replica.up(time.monotonic()):
                # nowhere else to go: wait until the soonest replica comes back (or back off if it is busy)
                wait = max(replica.down_until - time.monotonic(), 0.05 * 2 ** attempt)
                await asyncio.sleep(min(wait, MAX_COOLDOWN_S))
            future = asyncio.get_running_loop().create_future()
            replica.queues.setdefault(self.ident, []).append((payload, future, time.monotonic()))
            self.pump(replica)
            try:
                return await future
            except ReplicaFailed as failure:
                last, avoid = failure.error, failure.replica
                self.pool.failovers += 1
        raise ModelCallError(f"every replica failed ({self.pool.max_attempts} attempts): {last}", retryable=True)

    def pump(self, replica: Replica) -> None:
        """Send what is queued for `replica` while it has room: a full batch at once; a partial one when
        this lane has no call in flight there, or when its oldest payload has waited LINGER_S."""
        queue = replica.queues.get(self.ident) or []
        while queue and (replica.room() > 0 or not self.metered):
            n = min(self.batch, replica.room() if self.metered else self.batch, len(queue))
            waited = time.monotonic() - queue[0][2]
            if n < self.batch and replica.busy.get(self.ident) and waited < LINGER_S:
                if replica.url not in self._timers:  # come back when the oldest has waited long enough
                    self._timers.add(replica.url)
                    asyncio.get_running_loop().call_later(LINGER_S - waited, self._linger, replica)
                return
            batch, queue[:] = queue[:n], queue[n:]
            replica.in_flight += n if self.metered else 0
            replica.busy[self.ident] = replica.busy.get(self.ident, 0) + 1
            task = asyncio.get_running_loop().create_task(self._call(replica, [(p, f) for p, f, _ in batch]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _linger(self, replica: Replica) -> None:
        self._timers.discard(replica.url)
        self.pump(replica)

    def requeue(self, replica: Replica, error: ModelCallError) -> None:
        queue = replica.queues.get(self.ident) or []
        waiting, queue[:] = list(queue), []
        for _, future, _ in waiting:
            if not future.done():
                future.set_exception(ReplicaFailed(replica, error))

    async def _call(self, replica: Replica, batch: list) -> None:
        payloads = [p for p, _ in batch]
        replica.sent += len(batch)
        replica.calls += 1
        try:
            results = await self.send(replica, payloads)
        except ModelCallError as error:
            if not error.retryable:  # the request itself is wrong (HTTP 400): no replica will answer it
                if len(batch) > 1:  # find out which payloads are wrong: ask each on its own
                    await self._one_by_one(replica, batch)
                else:
                    batch[0][1].done() or batch[0][1].set_exception(error)
            else:
                self.pool.mark_failed(replica, error, len(batch))
                for _, future in batch:
                    future.done() or future.set_exception(ReplicaFailed(replica, error))
        except BaseException as error:  # a bug or a cancellation: the callers must not hang
            for _, future in batch:
                future.done() or future.set_exception(error)
            raise
        else:
            self.pool.mark_ok(replica, len(batch))
            for (_, future), result in zip(batch, results):
                future.done() or future.set_result(result)
        finally:
            replica.in_flight -= len(batch) if self.metered else 0
            replica.busy[self.ident] -= 1
            self.pool.pump_all()

    async def _one_by_one(self, replica: Replica, batch: list) -> None:
        for payload, future in batch:
            replica.calls += 1
            try:
                result = (await self.send(replica, [payload]))[0]
            except ModelCallError as error:
                if error.retryable:
                    self.pool.mark_failed(replica, error, 1)
                    future.done() or future.set_exception(ReplicaFailed(replica, error))
                else:
                    future.done() or future.set_exception(error)
            else:
                self.pool.mark_ok(replica, 1)
                future.done() or future.set_result(result)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
