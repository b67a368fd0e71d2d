"""A local HTTP server that speaks the OpenAI chat-completions wire protocol, scripted by the test."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer as _ThreadingHTTPServer


class ThreadingHTTPServer(_ThreadingHTTPServer):
    """As a real server listens (uvicorn's backlog is 2048): the standard library's 5 would refuse a burst
    of connections that vLLM or an API accepts. Every stand-in of the tests serves with this one."""

    request_queue_size = 1024
    daemon_threads = True


def chat_body(content="Paris", reasoning=None, prompt_tokens=11, completion_tokens=3):
    message = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "model": "test-model",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class FakeServer:
    """A threaded HTTP server; replies come from `script` in order, then `default`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list = []
        self.default = (200, {}, chat_body())
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append({"t": time.monotonic(), "path": self.path,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": json.loads(raw or b"{}")})
                reply = fake.script.pop(0) if fake.script else fake.default
                if callable(reply):
                    reply = reply(self)
                if reply == "hang":
                    fake.release.wait(10)
                    self.close_connection = True
                    return
                status, headers, body = reply
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
