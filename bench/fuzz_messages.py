"""Reliability target 7 / issue 9 point 5: 10,000 malformed or fuzzed messages, the server never dies or goes deaf.

Every case of issue 9 is in the mix (1,000-deep JSON, a 2 MiB header line, a
body over 64 MiB (once: it is 64 MiB of pipe traffic), non-numeric and negative
lengths, lengths a few bytes off, a missing blank line, object and array ids)
besides random bytes, non-requests, bad params and unknown methods. Every 250
messages two probes are sent; a probe not answered within 10 s is a deaf state.

Prints JSON: messages sent, cases and how many of each, crashes (the server
exited), deaf states, probes answered correctly, and the server's resident
memory (RSS) before, in the middle and after (flat is the goal).
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


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def request(rng: random.Random, **extra) -> dict:
    return {"jsonrpc": "2.0", "id": rng.randrange(10**6), "method": "keel/health", "params": {}, **extra}


CASES = {
    "random_bytes": lambda rng: frame(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))),
    "not_a_request": lambda rng: frame(json.dumps(rng.choice([[1, 2], "x", 42, None, {"jsonrpc": "1.0"}])).encode()),
    "bad_params": lambda rng: frame(json.dumps({"jsonrpc": "2.0", "id": rng.randrange(10**6), "method": "keel/runs",
                                                "params": {"limit": rng.choice(["x", -5, 10**9, None])}}).encode()),
    "unknown_method": lambda rng: frame(json.dumps({"jsonrpc": "2.0", "id": rng.randrange(10**6),
                                                    "method": f"keel/{rng.random()}"}).encode()),
    "truncated_json": lambda rng: frame(b'{"jsonrpc": "2.0", "id": 1, "method": "keel/hea'),
    "header_garbage": lambda rng: b"X-Garbage: " + bytes(rng.randrange(32, 127) for _ in range(40)) + b"\r\n",
    "deep_json_1000": lambda rng: frame(b'{"jsonrpc": "2.0", "id": 1, "method": "keel/health", "params": '
                                        + b"[" * 1000 + b"]" * 1000 + b"}"),
    "non_numeric_length": lambda rng: b"Content-Length: abc\r\n\r\n" + json.dumps(request(rng)).encode(),
    "negative_length": lambda rng: b"Content-Length: -7\r\n\r\n" + json.dumps(request(rng)).encode(),
    "length_in_characters": lambda rng: _chars_length(rng),
    "length_too_long": lambda rng: _off_by(rng, rng.randrange(1, 8)),
    "length_too_short": lambda rng: _off_by(rng, -rng.randrange(1, 8)),
    "missing_blank_line": lambda rng: (lambda b: b"Content-Length: %d\r\n" % len(b) + b)(json.dumps(request(rng)).encode()),
    "object_or_array_id": lambda rng: frame(json.dumps(request(rng, id=rng.choice([{"a": 1}, [1, 2]]))).encode()),
}
# Big ones, sent a few times only (each is megabytes of pipe traffic).
RARE = {
    "header_line_2mib": lambda rng: b"Content-Length: 2\r\nX-Pad: " + b"p" * (2 * 1024 * 1024) + b"\r\n\r\n{}",
    "body_over_64mib": lambda rng: b"Content-Length: %d\r\n\r\n" % (64 * 2**20 + 1) + b" " * (64 * 2**20 + 1),
}


def _chars_length(rng: random.Random) -> bytes:
    text = json.dumps(request(rng, params={"note": "héllo wörld ✓"}), ensure_ascii=False)
    return b"Content-Length: %d\r\n\r\n" % len(text) + text.encode()


def _off_by(rng: random.Random, delta: int) -> bytes:
    body = json.dumps(request(rng)).encode()
    return b"Content-Length: %d\r\n\r\n" % (len(body) + delta) + body


async def probe(client: KeelClient) -> int | None:
    """Correct answers of the two probes (0-2), or None when the server did not answer (deaf)."""
    try:
        report = await client.request("keel/health", timeout=10)
    except (TimeoutError, ConnectionError):
        return None
    correct = int(bool(report["version"]))
    try:
        await client.request("keel/runs", {"limit": "bad"}, timeout=10)
    except RpcError as exc:
        correct += exc.code == -32602
    except (TimeoutError, ConnectionError):
        return None
    return correct


async def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rng = random.Random(20261122)
    client = await KeelClient.spawn()
    await client.initialize(tempfile.mkdtemp(prefix="keel-fuzz-"))
    await client.request("keel/health")
    pid = client.process.pid
    memory = {"before_kb": rss_kb(pid)}
    counts: dict[str, int] = {}
    probes = probes_ok = deaf = 0
    names = sorted(CASES)
    rare = {total // 3: "body_over_64mib", **{total * k // 6 + 1: "header_line_2mib" for k in range(5)}}
    for i in range(total):
        name = rare.get(i) or (names[i % len(names)] if i < len(names) else rng.choice(names))
        counts[name] = counts.get(name, 0) + 1
        client.write_raw((RARE.get(name) or CASES[name])(rng))
        if i % 50 == 49:
            await client.process.stdin.drain()
        if i % 250 == 249:
            probes += 2
            answered = await probe(client)
            deaf += answered is None
            probes_ok += answered or 0
        if i == total // 2:
            memory["middle_kb"] = rss_kb(pid)
    final = await probe(client)
    deaf += final is None
    memory["after_kb"] = rss_kb(pid)
    crashed = client.process.returncode is not None
    code = await client.shutdown()
    print(json.dumps({"messages": total, "cases": len(counts), "per_case": counts,
                      "crashes": int(crashed), "deaf_states": deaf, "exit_code": code,
                      "probes": probes, "probes_answered_correctly": probes_ok, "memory": memory}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
