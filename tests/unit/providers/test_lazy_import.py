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
