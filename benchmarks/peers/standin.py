"""A latency-bound API stand-in on 127.0.0.1: an OpenAI-compatible /v1/chat/completions that answers after a
fixed delay, with no limit on parallel requests (case (c) of benchmarks/peers/README.md).

    python benchmarks/peers/standin.py --items items.jsonl --port 8931 --delay 1.0

It answers "The answer is N." for each known prompt: the gold number for items whose sha256(id) puts them in
the first 70 %, the gold number + 1 otherwise, so every harness that extracts the final number scores the same
accuracy (0.7 in expectation). It counts calls and the peak of requests in flight (GET /stats).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import time
from pathlib import Path


class StandIn:
    def __init__(self, items: list[dict], delay: float):
        self.delay = delay
        self.answers = {}
        for item in items:
            right = int(hashlib.sha256(item["id"].encode()).hexdigest(), 16) % 10 < 7
            gold = item["target"]
            wrong = str(int(float(gold.replace(",", ""))) + 1) if gold.replace(",", "").lstrip("-").replace(".", "", 1).isdigit() else gold + "1"
            self.answers[item["prompt"].strip()] = gold if right else wrong
        self.calls = self.in_flight = self.peak = 0
        self.first = self.last = None

    def answer(self, body: dict) -> dict:
        messages = body.get("messages") or []
        text = messages[-1].get("content", "") if messages else body.get("prompt", "")
        if isinstance(text, list):
            text = "".join(p.get("text", "") for p in text if isinstance(p, dict))
        number = self.answers.get(str(text).strip(), "0")
        content = f"The answer is {number}."
        return {"id": f"c{self.calls}", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "standin"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": len(str(text)) // 4, "completion_tokens": 6,
                          "total_tokens": len(str(text)) // 4 + 6}}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                if method == "GET":
                    reply = {"calls": self.calls, "peak_in_flight": self.peak,
                             "span_s": (self.last - self.first) if self.first else 0.0}
                    if path.rstrip("/").endswith("/models"):
                        reply = {"object": "list", "data": [{"id": "standin", "object": "model"}]}
                else:
                    self.calls += 1
                    self.in_flight += 1
                    self.peak = max(self.peak, self.in_flight)
                    self.first = self.first or time.monotonic()
                    try:
                        await asyncio.sleep(self.delay)
                        reply = self.answer(json.loads(body or b"{}"))
                    finally:
                        self.in_flight -= 1
                        self.last = time.monotonic()
                data = json.dumps(reply).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             + f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
            pass
        finally:
            writer.close()


async def serve(items_path: Path, port: int, delay: float) -> None:
    items = [json.loads(line) for line in items_path.read_text().splitlines() if line.strip()]
    standin = StandIn(items, delay)
    server = await asyncio.start_server(standin.handle, "127.0.0.1", port, backlog=4096, limit=2**22)
    async with server:
        await server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=Path, required=True)
    ap.add_argument("--port", type=int, default=8931)
    ap.add_argument("--delay", type=float, default=1.0)
    args = ap.parse_args()
    asyncio.run(serve(args.items, args.port, args.delay))


if __name__ == "__main__":
    main()
