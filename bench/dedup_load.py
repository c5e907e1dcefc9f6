"""Issue 21 point 1: N identical keel/runWorkflow requests at once make one run and one model call.

Through the real read loop, framing, protocol and dispatch path (in process, as
tests/robustness does), against a counting provider whose every call takes
``MODEL_S`` seconds (a model's answer). Before the fix, requests held back by the
per-method admission limit (6) started a run of their own in waves; now an
identical request joins the run in flight before admission.

Prints JSON: requests, runs (distinct runIds answered), provider calls, errors and
the time of the first and last answer in seconds after the requests were sent.
Usage: python bench/dedup_load.py [requests] [model seconds]
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import anyio

from keel.app.state import KeelApp
from keel.entry_hooks import install_entry_hooks
from keel.lsp.framing import start_reading
from keel.lsp.server import _serve, build_server
from keel.lsp.session import Session
from keel.protocol.settings import ProviderSettings
from keel.providers.base import Completion, CompletionRequest
from keel.providers.factory import ProviderSet
from keel.records import MemoryRecorder

MODEL_S = 1.0
SOURCE = "def check(x, seen={}):\n    if x == None:\n        return 1\n    return x is 1\n"


class CountingProvider:
    id, kind = "counting", "anthropic"

    def __init__(self, seconds: float) -> None:
        self.calls = 0
        self._seconds = seconds

    def has_credentials(self) -> bool:
        return True

    def endpoint(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def complete(self, request: CompletionRequest) -> Completion:
        self.calls += 1
        await anyio.sleep(self._seconds)
        return Completion(text="ok", input_tokens=100, output_tokens=20, model=request.model,
                          provider=self.id, latency_ms=round(self._seconds * 1000),
                          stop_reason="end_turn")


class Output:
    def __init__(self) -> None:
        self.buf = b""
        self.answers: dict[int, tuple[float, dict]] = {}
        self.done = asyncio.Event()
        self.expected = 0

    def write(self, data: bytes) -> None:
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            header, rest = self.buf.split(b"\r\n\r\n", 1)
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            if len(rest) < length:
                return
            message, self.buf = json.loads(rest[:length]), rest[length:]
            if isinstance(message.get("id"), int) and "method" not in message:
                self.answers[message["id"]] = (time.perf_counter(), message)
                if len(self.answers) >= self.expected:
                    self.done.set()

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


def framed(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def main(count: int, model_s: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="keel-bench-dedup-") as tmp:
        root = Path(tmp)
        (root / "target.py").write_text(SOURCE)
        provider = CountingProvider(model_s)
        providers = ProviderSet(providers=[provider], statuses=[],
                                settings_by_id={provider.id: ProviderSettings(id=provider.id,
                                                                              kind="anthropic")})
        app = KeelApp(worker_pool_size=1, recorder=MemoryRecorder(),
                      provider_factory=lambda settings, env: providers)
        reader, out = asyncio.StreamReader(), Output()
        server = build_server(app)
        frames, pump = start_reading(reader)
        task = asyncio.ensure_future(_serve(server, Session(frames, out, pump)))
        out.expected = 1
        reader.feed_data(framed({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {},
            "initializationOptions": {"workspaceTrusted": True}}}))
        await out.done.wait()
        out.done.clear()
        out.expected = count + 1
        params = {"workflow": "review", "target": "target.py"}
        sent = time.perf_counter()
        reader.feed_data(b"".join(framed({"jsonrpc": "2.0", "id": i, "method": "keel/runWorkflow",
                                          "params": params}) for i in range(1, count + 1)))
        await out.done.wait()
        times = [at - sent for i, (at, _) in out.answers.items() if i > 0]
        answers = [m for i, (_, m) in out.answers.items() if i > 0]
        server.request_stop()
        pump.cancel()
        await asyncio.wait_for(task, 10)
        app.close()
        return {
            "requests": count,
            "runs": len({a["result"]["runId"] for a in answers if "result" in a}),
            "providerCalls": provider.calls,
            "errors": sum("error" in a for a in answers),
            "modelCallS": model_s,
            "firstAnswerS": round(min(times), 3),
            "lastAnswerS": round(max(times), 3),
        }


if __name__ == "__main__":
    install_entry_hooks()
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else MODEL_S
    print(json.dumps(asyncio.run(main(requests, seconds))))
