"""Reliability target 7: 10,000 malformed or fuzzed messages, then well-formed ones answered correctly.

Prints JSON: messages sent, whether the server survived, every well-formed probe's answer
checked, and the server's resident memory (RSS) before, in the middle and after (flat is the goal).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile

from keel.rpc_client import KeelClient, RpcError


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def fuzzed(rng: random.Random) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:  # random bytes in a valid frame
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    elif kind == 1:  # JSON that is not a request
        body = json.dumps(rng.choice([[1, 2], "x", 42, None, {"jsonrpc": "1.0"}])).encode()
    elif kind == 2:  # a request with wrong params for a real method
        body = json.dumps({"jsonrpc": "2.0", "id": rng.randrange(10**6), "method": "keel/runs",
                           "params": {"limit": rng.choice(["x", -5, 10**9, None])}}).encode()
    elif kind == 3:  # unknown method
        body = json.dumps({"jsonrpc": "2.0", "id": rng.randrange(10**6),
                           "method": f"keel/{rng.random()}"}).encode()
    elif kind == 4:  # truncated JSON
        body = b'{"jsonrpc": "2.0", "id": 1, "method": "keel/hea'
    else:  # framing garbage without a body
        return b"X-Garbage: " + bytes(rng.randrange(32, 127) for _ in range(40)) + b"\r\n"
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rng = random.Random(20261122)
    client = await KeelClient.spawn()
    await client.initialize(tempfile.mkdtemp(prefix="keel-fuzz-"))
    await client.request("keel/health")
    pid = client.process.pid
    memory = {"before_kb": rss_kb(pid)}
    probes_ok = 0
    probes = 0
    for i in range(total):
        client.write_raw(fuzzed(rng))
        if i % 500 == 499:
            probes += 1
            report = await client.request("keel/health", timeout=30)
            probes_ok += report["version"] is not None
            try:
                await client.request("keel/runs", {"limit": "bad"})
            except RpcError as exc:
                probes_ok += exc.code == -32602
            probes += 1
        if i == total // 2:
            memory["middle_kb"] = rss_kb(pid)
    await client.request("keel/health", timeout=30)
    memory["after_kb"] = rss_kb(pid)
    alive = client.process.returncode is None
    code = await client.shutdown()
    print(json.dumps({"fuzzed_messages": total, "server_alive": alive, "exit_code": code,
                      "probes": probes, "probes_answered_correctly": probes_ok, "memory": memory},
                     indent=2))


if __name__ == "__main__":
    asyncio.run(main())
