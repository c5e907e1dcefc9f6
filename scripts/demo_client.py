"""Start `keel serve`, talk to it like the VS Code extension would, and print what it says."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from keel.rpc_client import KeelClient, RpcError

SAMPLE = textwrap.dedent('''
    import os, sys

    def load(path, cache={}):
        try:
            return open(path).read()
        except:
            pass

    def list(items):
        total = 0
        for i in items:
            if i:
                if i > 1:
                    if i > 2:
                        if i > 3:
                            total += i
        return total
''')


def show(title: str, payload) -> None:
    sys.stdout.write(f"\n== {title}\n{json.dumps(payload, indent=2)[:2500]}\n")


async def main() -> None:
    workspace = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="keel-demo-"))
    sample = workspace / "sample.py"
    if not sample.exists():
        sample.write_text(SAMPLE)
    started = time.perf_counter()
    client = await KeelClient.spawn()
    init = await client.initialize(str(workspace))
    sys.stdout.write(f"keel serve answered initialize in {(time.perf_counter() - started) * 1000:.0f} ms; "
                     f"methods: {', '.join(init['capabilities']['experimental']['keel']['methods'])}\n")
    show("keel/health", await client.request("keel/health"))
    show("keel/preflight", await client.request("keel/preflight"))
    for method, params in [
        ("keel/analyze", {"uri": sample.as_uri()}),
        ("keel/listWorkflows", {}),
        ("keel/estimateCost", {"workflow": "review", "target": "."}),
        ("keel/runWorkflow", {"workflow": "review", "target": "sample.py"}),
        ("keel/runs", {"limit": 5}),
    ]:
        try:
            show(method, await client.request(method, params, timeout=120))
        except RpcError as exc:
            show(f"{method} (error)", {"code": exc.code, "message": exc.message, "data": exc.data})
    code = await client.shutdown()
    sys.stdout.write(f"\nserver exited with code {code}\n")


if __name__ == "__main__":
    asyncio.run(main())
