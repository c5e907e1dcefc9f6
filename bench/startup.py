"""Issue-13 and issue-22 figures: what the fast start buys, on the real wire.

Spawns ``python -I -m keel serve --stdio`` (as the extension does) ``--runs``
times per measure and prints JSON with median and p90 (ms), the replies that
were errors (by code: -32803 is a deadline passed while loading) and the load
average before and after:

- ``initialize``: spawn → ``initialize`` answered (nothing else sent);
- ``health``: spawn → first ``keel/health`` answered, sent right after
  ``initialize`` and ``initialized`` without waiting for either answer: the
  real report, which only the loaded server gives;
- ``healthWhileStarting``: the same with ``{"whileStarting": true}``, as the
  editor's health watch asks: records which ``level`` answered (``degraded``
  is the fast start's "starting" report; ``error`` a server without the flag);
- ``listWorkflows``: the same with ``keel/listWorkflows``: spawn → first
  answer from the application;
- ``estimate``: ``keel/estimateCost`` (3 s deadline) sent 50 ms after spawn;
- ``analyze``: spawn → first analysis answered (issue 22, goal <= 500 ms):
  ``initialize``, ``initialized``, ``textDocument/didOpen`` of a small file and
  ``keel/analyze`` of it, all written at once, as an editor restoring an open
  file does; ``analyze_operation_ms`` is the part the server reports for the
  operation itself (``durationMs``: its config, the wait for a worker, the
  analysis), the rest is start-up.

``--importtime`` adds what each import costs on the way to the first analysis
(one extra spawn under ``python -X importtime``; the fork server and workers
inherit the flag): the largest top-level imports per process, cumulative ms.

``--plain`` adds the server without the fast start (pygls and the app loaded
before the first byte is read); ``--checkout DIR`` adds the fast start of
another checkout's ``server`` folder (an older commit, via ``git archive``), run
with ``PYTHONPATH`` first and so without ``-I`` (its fork server and workers
inherit it, so they run that checkout's code too).
Variants run interleaved, spawn by spawn, so a machine whose load drifts
(these are shared) weighs on each alike.

    python bench/startup.py [--runs 15] [--plain] [--checkout DIR] [--measures NAME ...] [--importtime]
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

SERVE = [sys.executable, "-I", "-m", "keel", "serve", "--stdio"]
FIRST_FILE = "first.py"
# An editor-sized file with findings (mutable default, == None, bare except, a long function).
FIRST_SOURCE = ("import os\n\n\ndef load(path, seen={}):\n    if path == None:\n        return None\n"
                "    try:\n        return open(path).read()\n    except:\n        return seen\n\n\n"
                + "".join(f"def step_{i}(x):\n    if x > {i}:\n        return x - {i}\n    return x + {i}\n\n\n"
                          for i in range(30)))
PLAIN = ("import sys\n"
         "from keel.observability.logging import configure_logging\n"
         "configure_logging(None)\n"
         "from keel.app.bootstrap import create_app\n"
         "from keel.lsp.server import serve_stdio\n"
         "sys.exit(serve_stdio(create_app()))\n")
MEASURES: tuple[tuple[str, str | None, dict[str, Any]], ...] = (
    ("initialize", None, {}), ("health", "keel/health", {}),
    ("healthWhileStarting", "keel/health", {"whileStarting": True}),
    ("listWorkflows", "keel/listWorkflows", {}),
    ("estimate", "keel/estimateCost", {"workflow": "review", "target": FIRST_FILE}),
    ("analyze", "keel/analyze", {}))
SENT_AFTER_S = {"estimate": 0.05}  # sent this long after spawn, not with initialize


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
                    then: str | None, params: dict[str, Any], sent_after_s: float = 0.0,
                    stderr: Any = asyncio.subprocess.DEVNULL) -> tuple[float, dict[str, Any]]:
    """ms from spawn to the answer of the last request sent, and that answer."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=stderr, env=env, cwd=tempfile.gettempdir())  # a neutral cwd, as the extension's
    assert process.stdin is not None and process.stdout is not None
    init = {"processId": os.getpid(), "rootUri": Path(workspace).as_uri(), "capabilities": {},
            "workspaceFolders": [{"uri": Path(workspace).as_uri(), "name": "bench"}]}
    process.stdin.write(message(1, "initialize", init))
    wanted = 1
    if then is not None:
        process.stdin.write(message(None, "initialized", {}))
        if then == "keel/analyze":
            uri = (Path(workspace) / FIRST_FILE).as_uri()
            process.stdin.write(message(None, "textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "python", "version": 1, "text": FIRST_SOURCE}}))
            params = {**params, "uri": uri}
        if sent_after_s:
            await process.stdin.drain()
            await asyncio.sleep(max(0.0, sent_after_s - (time.perf_counter() - started)))
        process.stdin.write(message(2, then, params))
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
    out = {"fast start": (SERVE, env)}
    if args.checkout:
        # Not -I: PYTHONPATH must put the other checkout's server/ first.
        server = str(Path(args.checkout).resolve() / "server")
        out[f"fast start ({args.checkout})"] = ([sys.executable, "-m", "keel", "serve", "--stdio"],
                                                dict(env, PYTHONPATH=server))
    if args.plain:
        out["plain"] = ([sys.executable, "-c", PLAIN], env)
    return out


def error_code(reply: dict[str, Any]) -> str | None:
    error = reply.get("error")
    return None if error is None else str(error.get("code"))


async def import_costs(command: list[str], env: dict[str, str], workspace: str) -> dict[str, Any]:
    """Cumulative ms of the largest top-level imports on the way to the first analysis.

    The server, the workers' fork server and the resource tracker share one stderr, so
    their lines interleave: a name's figure is its own process's (``keel.lsp.server`` is
    the server's, ``keel.app.analysis_worker`` the fork server's preload)."""
    log = Path(tempfile.mkdtemp(prefix="keel-startup-importtime-")) / "stderr.txt"
    with log.open("wb") as sink:
        elapsed, _ = await one_spawn([command[0], "-X", "importtime", *command[1:]], env, workspace,
                                     "keel/analyze", {}, stderr=sink)
    top: dict[str, float] = {}
    for line in log.read_text(errors="replace").splitlines():
        _, found, rest = line.partition("import time:")
        fields = rest.split("|")
        if not found or len(fields) != 3 or not fields[1].strip().isdigit():
            continue
        name = fields[2][1:].rstrip()  # after the one space that follows "|"
        if not name.startswith(" "):
            top[name] = top.get(name, 0.0) + int(fields[1]) / 1000
    return {"spawn_to_analyze_ms_under_importtime": round(elapsed, 1),
            "largest_top_level_imports_ms": {n: round(ms, 1) for n, ms in
                                             sorted(top.items(), key=lambda x: -x[1])[:15]}}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--plain", action="store_true", help="also the server without the fast start")
    parser.add_argument("--checkout", help="also the fast start of this checkout's server/ folder")
    parser.add_argument("--measures", nargs="+", choices=[m[0] for m in MEASURES], default=[m[0] for m in MEASURES])
    parser.add_argument("--importtime", action="store_true", help="also the import costs (python -X importtime)")
    args = parser.parse_args()
    workspace = tempfile.mkdtemp(prefix="keel-startup-ws-")
    (Path(workspace) / FIRST_FILE).write_text(FIRST_SOURCE)
    data = Path(tempfile.mkdtemp(prefix="keel-startup-data-"))  # one user's data, kept across spawns
    env = {name: value for name, value in os.environ.items() if not name.endswith("_API_KEY")}
    env.update({f"XDG_{kind}_HOME": str(data / kind.lower()) for kind in ("DATA", "STATE", "CACHE")})
    servers = variants(args, env)
    load_before = os.getloadavg()
    times: dict[tuple[str, str], list[float]] = {}
    levels: dict[str, dict[str, int]] = {name: {} for name in servers}
    errors: dict[tuple[str, str], dict[str, int]] = {}
    analysis_ms: dict[str, list[float]] = {name: [] for name in servers}  # reported by the server
    for command, server_env in servers.values():
        await one_spawn(command, server_env, workspace, None, {})  # warm the OS file cache once
    measures = [m for m in MEASURES if m[0] in args.measures]
    for _ in range(args.runs):
        for label, then, params in measures:
            for name, (command, server_env) in servers.items():
                elapsed, reply = await one_spawn(command, server_env, workspace, then, params,
                                                 SENT_AFTER_S.get(label, 0.0))
                times.setdefault((name, label), []).append(elapsed)
                if label == "analyze" and "durationMs" in reply.get("result", {}):
                    analysis_ms[name].append(reply["result"]["durationMs"])
                code = error_code(reply)
                if code is not None:
                    counts = errors.setdefault((name, label), {})
                    counts[code] = counts.get(code, 0) + 1
                if label == "healthWhileStarting":
                    level = reply.get("result", {}).get("level", "error")
                    levels[name][level] = levels[name].get(level, 0) + 1
    out: dict[str, Any] = {"runs": args.runs}
    for name in servers:
        out[name] = {f"spawn_to_{label}_ms": summary(times[(name, label)]) for label, _, _ in measures}
        out[name]["samples_ms"] = {label: [round(t, 1) for t in times[(name, label)]] for label, _, _ in measures}
        if levels[name]:
            out[name]["healthWhileStarting_levels"] = levels[name]
        if analysis_ms[name]:
            # From the operation's start to its result (config, the worker's answer): the rest
            # of spawn → answer is start-up (loading, initialize, initialized, dispatch).
            out[name]["analyze_operation_ms"] = summary(analysis_ms[name])
        out[name]["errors"] = {label: errors[(name, label)] for label, _, _ in measures
                               if (name, label) in errors}
    if "analyze" in args.measures:
        out["spawn_to_analyze_goal_ms"] = 500
    if args.importtime:
        out["import_costs"] = await import_costs(SERVE, env, workspace)
    out["load_average"] = {"before": [round(x, 2) for x in load_before],
                           "after": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
