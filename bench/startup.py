"""Issue-13 figures: what the fast start buys, on the real wire.

Spawns ``keel serve --stdio`` (the console script beside this Python) ``--runs``
times per measure and prints JSON with median and p90 (ms) and the load
average before and after:

- ``initialize``: spawn → ``initialize`` answered (nothing else sent);
- ``health``: spawn → first ``keel/health`` answered, sent right after
  ``initialize`` and ``initialized`` without waiting for either answer, as an
  editor that asks for health at once; records which ``level`` answered;
- ``listWorkflows``: the same with ``keel/listWorkflows``, which only the
  loaded app can answer: spawn → first answer from the application.

``--plain`` runs the server without the fast start (pygls and the app loaded
before the first byte is read), for comparison.

    python bench/startup.py [--runs 15] [--plain]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

KEEL = Path(sys.executable).with_name("keel")
PLAIN = ("import sys\n"
         "from keel.observability.logging import configure_logging\n"
         "configure_logging(None)\n"
         "from keel.app.bootstrap import create_app\n"
         "from keel.lsp.server import serve_stdio\n"
         "sys.exit(serve_stdio(create_app()))\n")


def message(msg_id: int | None, method: str, params: dict[str, Any]) -> bytes:
    body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if msg_id is not None:
        body["id"] = msg_id
    data = json.dumps(body).encode()
    return b"Content-Length: %d\r\n\r\n" % len(data) + data


async def read_message(stdout: asyncio.StreamReader) -> dict[str, Any]:
    length = 0
    while (line := await stdout.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if not length:
        raise RuntimeError("the server closed its output")
    return json.loads(await stdout.readexactly(length))


async def one_spawn(workspace: str, env: dict[str, str], then: str | None, plain: bool) -> tuple[float, dict[str, Any]]:
    """ms from spawn to the answer of the last request sent, and that answer."""
    command = [sys.executable, "-c", PLAIN] if plain else [str(KEEL), "serve", "--stdio"]
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env=env)
    assert process.stdin is not None and process.stdout is not None
    init = {"processId": os.getpid(), "rootUri": Path(workspace).as_uri(), "capabilities": {},
            "workspaceFolders": [{"uri": Path(workspace).as_uri(), "name": "bench"}]}
    process.stdin.write(message(1, "initialize", init))
    wanted = 1
    if then is not None:
        process.stdin.write(message(None, "initialized", {}) + message(2, then, {}))
        wanted = 2
    while True:
        reply = await read_message(process.stdout)
        if reply.get("id") == wanted:
            elapsed = (time.perf_counter() - started) * 1000
            break
    process.stdin.write(message(3, "shutdown", {}) + message(None, "exit", {}))
    try:
        await asyncio.wait_for(process.wait(), 10)
    except TimeoutError:
        process.kill()
        await process.wait()
    return elapsed, reply


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 1),
            "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
            "min": round(ordered[0], 1), "max": round(ordered[-1], 1)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--plain", action="store_true", help="no fast start, for comparison")
    args = parser.parse_args()
    workspace = tempfile.mkdtemp(prefix="keel-startup-ws-")
    data = Path(tempfile.mkdtemp(prefix="keel-startup-data-"))  # one user's data, kept across spawns
    env = {name: value for name, value in os.environ.items() if not name.endswith("_API_KEY")}
    env.update({f"XDG_{kind}_HOME": str(data / kind.lower()) for kind in ("DATA", "STATE", "CACHE")})
    load_before = os.getloadavg()
    out: dict[str, Any] = {"path": "plain" if args.plain else "fast start", "runs": args.runs}
    await one_spawn(workspace, env, None, args.plain)  # warm the OS file cache once
    for label, then in (("initialize", None), ("health", "keel/health"), ("listWorkflows", "keel/listWorkflows")):
        times, answers = [], []
        for _ in range(args.runs):
            elapsed, reply = await one_spawn(workspace, env, then, args.plain)
            times.append(elapsed)
            answers.append(reply.get("result", {}).get("level", "error" if "error" in reply else "ok"))
        out[f"spawn_to_{label}_ms"] = summary(times)
        if then == "keel/health":
            out["health_levels"] = {level: answers.count(level) for level in sorted(set(answers))}
    out["load_average"] = {"before": [round(x, 2) for x in load_before],
                           "after": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
