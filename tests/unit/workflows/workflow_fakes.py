"""In-process fakes for workflow tests: providers, a recording notifier."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import anyio

from keel.errors import ProviderError
from keel.protocol.settings import ProviderSettings
from keel.providers.base import Completion, CompletionRequest
from keel.providers.factory import ProviderSet
from keel.providers.offline import OfflineProvider

BUGGY = (
    "class Box:\n"
    "    items = []\n"
    "\n"
    "    def put(self, item):\n"
    "        self.items.append(item)\n"
    "\n"
    "def check(x, seen={}):\n"
    "    if x == None:\n"
    "        return f'nothing'\n"
    "    return x is 1\n"
)


class FakeProvider:
    """Answers, fails or hangs per call, as ``behave(call_number)`` says."""

    def __init__(self, provider_id: str, behave: Callable[[int], str] = lambda n: "ok",
                 gate: asyncio.Event | None = None,
                 teardown: Callable[[], Awaitable[None]] | None = None) -> None:
        self._id = provider_id
        self.behave = behave
        self.gate = gate
        self.teardown = teardown  # awaited (shielded) when a call is cancelled: a slow close
        self.requests: list[CompletionRequest] = []
        self.cancelled = 0
        self.called = asyncio.Event()  # set at the first request
        self.was_cancelled = asyncio.Event()  # set at the first cancelled call

    @property
    def id(self) -> str:
        return self._id

    @property
    def kind(self) -> str:
        return "anthropic"

    def has_credentials(self) -> bool:
        return True

    def endpoint(self) -> str | None:
        return None

    async def aclose(self) -> None:
        return None

    async def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        self.called.set()
        action = self.behave(len(self.requests))
        try:
            if self.gate is not None:
                await self.gate.wait()
            if action == "hang":
                await anyio.sleep_forever()
        except BaseException:
            self.cancelled += 1
            self.was_cancelled.set()
            if self.teardown is not None:
                with anyio.CancelScope(shield=True):
                    await self.teardown()
            raise
        if action == "503":
            raise ProviderError("overloaded", code="provider.server_error", transient=True,
                                provider=self._id)
        if action == "auth":
            raise ProviderError("bad key", code="provider.auth", transient=False,
                                provider=self._id)
        return Completion(text=f"answer from {self._id}", input_tokens=1000, output_tokens=200,
                          model=request.model, provider=self._id, latency_ms=1,
                          stop_reason="end_turn")


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.progress: list[tuple] = []

    def notify(self, method: str, payload: dict) -> None:
        self.sent.append((method, payload))

    def events(self, run_id: str | None = None) -> list[dict]:
        return [p for m, p in self.sent if m == "keel/runEvent"
                and (run_id is None or p["runId"] == run_id)]

    async def until(self, kind: str, count: int = 1) -> None:
        """Wait until `count` run events of this kind were sent (instead of sleeping)."""
        for _ in range(4000):
            if sum(e["kind"] == kind for e in self.events()) >= count:
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"fewer than {count} {kind!r} run events: {self.events()}")

    def show_message(self, level: str, text: str) -> None:
        pass

    def publish_diagnostics(self, uri, version, diagnostics) -> None:
        pass

    async def create(self, token) -> bool:
        return True

    def begin(self, token, title, message, cancellable) -> None:
        self.progress.append(("begin", token, title))

    def report(self, token, message, percentage) -> None:
        self.progress.append(("report", token, percentage))

    def end(self, token, message) -> None:
        self.progress.append(("end", token, message))


def provider_set(*providers) -> ProviderSet:
    if not providers:
        providers = (OfflineProvider(),)
    settings = {p.id: ProviderSettings(id=p.id, kind="anthropic" if p.kind != "offline"
                                       else "offline") for p in providers}
    return ProviderSet(providers=list(providers), statuses=[], settings_by_id=settings)


async def _thread_cpu(fn, *args):
    return await anyio.to_thread.run_sync(fn, *args, abandon_on_cancel=True)


async def _no_wait(seconds: float) -> None:
    await anyio.sleep(0)


