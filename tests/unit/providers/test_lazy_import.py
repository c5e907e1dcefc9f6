"""Server start must not pay for the SDKs: they are imported on the first call only."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from keel.protocol.settings import Settings
from keel.providers.factory import build_providers
from keel.providers.registry import resolve_model
import keel.chaos
built = build_providers(Settings.model_validate({"providers": [
    {"id": "c", "kind": "anthropic"}, {"id": "o", "kind": "openai"}]}),
    env={"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"})
assert built.ids == ["c", "o"], built.ids
resolve_model(built.settings_of("c"), "capable")
print(sorted(m for m in ("anthropic", "openai", "httpx2") if m in sys.modules))
"""


def test_building_providers_imports_no_sdk():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


CALL_PROBE = """
import asyncio, sys
from keel.chaos import ChaosServer
from keel.protocol.settings import Settings
from keel.providers.base import CompletionRequest
from keel.providers.factory import build_providers

async def main():
    async with ChaosServer() as chaos:
        built = build_providers(Settings.model_validate({"providers": [
            {"id": "c", "kind": "anthropic", "baseUrl": chaos.base_url},
            {"id": "o", "kind": "openai", "baseUrl": chaos.openai_base_url}]}),
            env={"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"})
        request = CompletionRequest(system="s", prompt="p", max_output_tokens=16, model="m")
        for provider in built.providers:
            await provider.warm()
            assert (await provider.complete(request)).text
            await provider.aclose()
    print(sorted(m for m in ("anthropic", "openai", "httpx2") if m in sys.modules))

asyncio.run(main())
"""


def test_calling_providers_imports_no_sdk():
    # The SDK imports stalled the event loop for up to ~400 ms (docs/performance.md):
    # providers speak both HTTP APIs directly over httpx.
    result = subprocess.run([sys.executable, "-c", CALL_PROBE], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
