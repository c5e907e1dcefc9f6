"""Issue-13 figures: what the fast start buys, on the real wire.

Spawns ``keel serve --stdio`` (the console script beside this Python) ``--runs``
times per measure and prints JSON with median and p90 (ms) and the load
average before and after:

- ``initialize``: spawn → ``initialize`` answered (nothing else sent);
- ``health``: spawn → first ``keel/health`` answered, sent right after
  ``initialize`` and ``initialized`` without waiting for either answer: the
  real report, which only the loaded server gives;
- ``healthWhileStarting``: the same with ``{"whileStarting": true}``, as the
  editor's health watch asks: records which ``level`` answered (``degraded``
  is the fast start's "starting" report; ``error`` a server without the flag);
- ``listWorkflows``: the same with ``keel/listWorkflows``: spawn → first
  answer from the application.

``--plain`` adds the server without the fast start (pygls and the app loaded
before the first byte is read); ``--checkout DIR`` adds the fast start of
another checkout's ``server`` folder (an older commit, via ``git archive``).
Variants run interleaved, spawn by spawn, so a machine whose load drifts
(these are shared) weighs on each alike.

    python bench/startup.py [--runs 15] [--plain] [--checkout DIR] [--measures NAME ...]
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
MEASURES: tuple[tuple[str, str | None, dict[str, Any]], ...] = (
    ("initialize", None, {}), ("health", "keel/health", {}),
    ("healthWhileStarting", "keel/health", {"whileStarting": True}),
    ("listWorkflows", "keel/listWorkflows", {}))


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


async def one_spawn(command: list[str], env: dict[str, str], workspace: str,
                    then: str | None, params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """ms from spawn to the answer of the last request sent, and that answer."""
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
        process.stdin.write(message(None, "initialized", {}) + message(2, then, params))
        wanted = 2
    while True:
        reply = await read_message(process.stdout)
        if reply.get("id") == wanted and "method" not in reply:
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


def variants(args: argparse.Namespace, env: dict[str, str]) -> dict[str, tuple[list[str], dict[str, str]]]:
    out = {"fast start": ([str(KEEL), "serve", "--stdio"], env)}
    if args.checkout:
        server = str(Path(args.checkout).resolve() / "server")
        out[f"fast start ({args.checkout})"] = ([str(KEEL), "serve", "--stdio"], dict(env, PYTHONPATH=server))
    if args.plain:
        out["plain"] = ([sys.executable, "-c", PLAIN], env)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--plain", action="store_true", help="also the server without the fast start")
    parser.add_argument("--checkout", help="also the fast start of this checkout's server/ folder")
    parser.add_argument("--measures", nargs="+", choices=[m[0] for m in MEASURES], default=[m[0] for m in MEASURES])
    args = parser.parse_args()
    workspace = tempfile.mkdtemp(prefix="keel-startup-ws-")
    data = Path(tempfile.mkdtemp(prefix="keel-startup-data-"))  # one user's data, kept across spawns
    env = {name: value for name, value in os.environ.items() if not name.endswith("_API_KEY")}
    env.update({f"XDG_{kind}_HOME": str(data / kind.lower()) for kind in ("DATA", "STATE", "CACHE")})
    servers = variants(args, env)
    load_before = os.getloadavg()
    times: dict[tuple[str, str], list[float]] = {}
    levels: dict[str, dict[str, int]] = {name: {} for name in servers}
    for command, server_env in servers.values():
        await one_spawn(command, server_env, workspace, None, {})  # warm the OS file cache once
    measures = [m for m in MEASURES if m[0] in args.measures]
    for _ in range(args.runs):
        for label, then, params in measures:
            for name, (command, server_env) in servers.items():
                elapsed, reply = await one_spawn(command, server_env, workspace, then, params)
                times.setdefault((name, label), []).append(elapsed)
                if label == "healthWhileStarting":
                    level = reply.get("result", {}).get("level", "error")
                    levels[name][level] = levels[name].get(level, 0) + 1
    out: dict[str, Any] = {"runs": args.runs}
    for name in servers:
        out[name] = {f"spawn_to_{label}_ms": summary(times[(name, label)]) for label, _, _ in measures}
        if levels[name]:
            out[name]["healthWhileStarting_levels"] = levels[name]
    out["load_average"] = {"before": [round(x, 2) for x in load_before],
                           "after": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
