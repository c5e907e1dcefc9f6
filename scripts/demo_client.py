"""A readable walk through Keel: start `keel serve` and use it the way the VS Code extension does.

Talks JSON-RPC through keel.rpc_client on a small sample workspace (the folder given, else
$TMPDIR/keel-demo, reused): health, an analysis, an estimate, a run with live stage progress, a
cancel, history, then what to try next.
Output is plain text; rich adds colour only on a terminal.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import textwrap
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from keel.rpc_client import KeelClient, RpcError

out = Console(highlight=False, markup=False, soft_wrap=True)

SMELLY = textwrap.dedent('''\
    import os, sys
    import json


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
        if total == None:
            return 0
        return total


    def check(x):
        if x is "yes":
            return eval(x)
        return x
''')

CLEAN = textwrap.dedent('''\
    """Arithmetic helpers."""


    def add(a: int, b: int) -> int:
        return a + b
''')

README = "# sample\n\nA tiny project for the Keel demo.\n"
MAX_FINDINGS = 10


def heading(title: str) -> None:
    out.print()
    out.print(f"== {title}", style="bold cyan")


def note(text: str) -> None:
    out.print(f"   {text}", style="dim")


def shorten(text: str, width: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for n, row in enumerate([header, *rows]):
        out.print("   " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(),
                  style="bold" if n == 0 else None)


def make_workspace(root: Path) -> Path:
    """The sample project, plus a `big/` folder large enough that a run on it can be cancelled."""
    (root / "app").mkdir(parents=True, exist_ok=True)
    for name, text in [("app/smelly.py", SMELLY), ("app/clean.py", CLEAN), ("README.md", README)]:
        (root / name).write_text(text)  # rewritten each time: a `keel analyze --fix` may have changed it
    big = root / "big"
    if not big.exists():
        big.mkdir()
        for n in range(300):
            (big / f"module_{n:03}.py").write_text(SMELLY.replace("def ", f"def m{n}_") * 8)
    return root


def show_findings(findings: list[dict[str, Any]], root: Path) -> None:
    by_file: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        by_file.setdefault(finding["uri"], []).append(finding)
    shown = 0
    for uri, group in by_file.items():
        if shown >= MAX_FINDINGS:
            break
        name = uri.rsplit("/", 1)[-1]
        with_path = Path(uri.removeprefix("file://"))
        if with_path.is_relative_to(root.resolve()):
            name = str(with_path.relative_to(root.resolve()))
        out.print(f"   {name}")
        for finding in sorted(group, key=lambda f: (f["range"]["start"]["line"], f["range"]["start"]["character"])):
            if shown >= MAX_FINDINGS:
                break
            start = finding["range"]["start"]
            where = f"{start['line'] + 1}:{start['character'] + 1}"
            out.print(f"     {where:>6}  {finding['severity']:<7}  {finding['rule']} — {shorten(finding['message'], 70)}")
            shown += 1
    if len(findings) > shown:
        out.print(f"   …and {len(findings) - shown} more")


async def health(client: KeelClient) -> None:
    heading("Health (keel/health)")
    for attempt in range(1, 7):
        try:
            report = await client.request("keel/health")
            break
        except RpcError as exc:  # still loading on a busy machine: its deadline, not a fault
            if (exc.data or {}).get("errorType") != "timeout" or attempt == 6:
                raise
            note("the server is still loading (a busy machine); asking again")
    out.print(f"   {report['level']}: {report['summary']} (version {report['version']})")
    for component in report["components"]:
        out.print(f"   {component['name']:<20} {component['status']:<9} {shorten(component['detail'], 70)}")


async def analyze(client: KeelClient, root: Path) -> None:
    heading("Refactor Advisor (keel/analyze app/smelly.py)")
    # The first analysis after a start pays for the analysis workers (the editor hides it
    # behind its own start-up): warm them on another file first, so the figure below is a
    # click on a running server, the one the README quotes.
    warm = await client.request("keel/analyze", {"uri": (root / "app/clean.py").as_uri()})
    note(f"warmed the server first: analysing app/clean.py took {warm['durationMs']} ms "
         "(the first analysis after a start loads the analysis workers)")
    result = await client.request("keel/analyze", {"uri": (root / "app/smelly.py").as_uri()})
    metrics = result["metrics"]
    note(f"{len(result['findings'])} findings in {result['durationMs']} ms on the warm server; "
         f"{metrics['lines']} lines, {metrics['functions']} functions, "
         f"max complexity {metrics['maxComplexity']}")
    show_findings(result["findings"], root)


async def estimate(client: KeelClient) -> None:
    heading("Cost estimate (keel/estimateCost review app)")
    result = await client.request("keel/estimateCost", {"workflow": "review", "target": "app"})
    rows = [[s["id"], s.get("tier") or "-", s.get("provider") or "-", f"{s['inputTokens']:,}",
             f"{s['outputTokens']:,}", f"${s['usd']:.4f}"] for s in result["stages"]]
    table(rows, ["stage", "tier", "provider", "in tokens", "out tokens", "usd"])
    band = result["usd"]
    out.print(f"   total ${band['expected']:.4f} (band ${band['low']:.4f} – ${band['high']:.4f}) "
              f"for {result['files']} files, computed in {result['durationMs']} ms")
    if result.get("ifConfigured"):
        other = result["ifConfigured"]
        note(f"with {other['provider']}: about ${other['usd']['expected']:.4f}")


async def print_run_events(client: KeelClient, started: float) -> None:
    """Print each keel/runEvent as it arrives (the extension's progress view reads the same)."""
    while True:
        message = await client.notifications.get()
        if message.get("method") != "keel/runEvent":
            continue
        event = message["params"]
        clock = f"+{(time.perf_counter() - started) * 1000:5.0f} ms"
        stage = event.get("stage", "")
        # A progress event's message already names its stage ("review: chunk 1 of 2 · …").
        detail = shorten(event.get("message", "").removeprefix(f"{stage}: "), 60)
        out.print(f"   {clock}  {event['kind']:<13} {stage:<8} {detail}".rstrip())


async def run_review(client: KeelClient) -> None:
    heading("Workflow run (keel/runWorkflow review app), live keel/runEvent progress")
    started = time.perf_counter()
    printer = asyncio.ensure_future(print_run_events(client, started))
    try:
        result = await client.request("keel/runWorkflow", {"workflow": "review", "target": "app"}, timeout=300)
        await asyncio.sleep(0.05)  # the last events may trail the answer by a moment
    finally:
        printer.cancel()
    out.print()
    out.print(f"   run {result['runId']}: {result['status']} in {result['durationMs']} ms, "
              f"cost ${result['cost']['actualUsd']:.4f}")
    report = result["report"]
    if report.get("summary"):
        note(report["summary"])
    table([[s["id"], s["status"], f"{s['durationMs']} ms",
            shorten((s.get("skip") or {}).get("message") or s.get("note") or "", 60)]
           for s in result["stages"]], ["stage", "status", "took", "note"])
    counts = ", ".join(f"{n} {sev}" for sev, n in report.get("findingsBySeverity", {}).items())
    out.print(f"   report: {report.get('findingsTotal', len(report['findings']))} findings ({counts or 'none'}); top ones:")
    top = sorted(report["findings"], key=lambda f: ["error", "warning", "info"].index(f["severity"]))[:5]
    for finding in top:
        where = f"{finding['uri'].rsplit('/', 2)[-2]}/{finding['uri'].rsplit('/', 1)[-1]}" \
                f":{finding['range']['start']['line'] + 1}"
        out.print(f"     {where:<18} {finding['severity']:<7}  {finding['rule']} — {shorten(finding['message'], 50)}")


async def stage_started(client: KeelClient) -> None:
    while True:
        message = await client.notifications.get()
        if message.get("method") == "keel/runEvent" and message["params"].get("kind") == "stageStarted":
            return


async def cancel(client: KeelClient) -> None:
    heading("Cancel (keel/runWorkflow review big/, then keel/cancelRun)")
    run_id = f"demo-cancel-{int(time.time())}"
    running = asyncio.ensure_future(
        client.request("keel/runWorkflow", {"workflow": "review", "target": "big", "runId": run_id}, timeout=300))
    await asyncio.wait_for(stage_started(client), 60)  # cancel a run that is really working
    note(f"300-file run {run_id} started; cancelling it")
    asked = time.perf_counter()
    answer = await client.request("keel/cancelRun", {"runId": run_id})
    result = await running
    took = (time.perf_counter() - asked) * 1000
    out.print(f"   cancelRun answered cancelled={answer['cancelled']} status={answer['status']}; "
              f"the run request returned {result['status']} {took:.0f} ms after the cancel")
    stopped = [s["id"] for s in result["stages"] if s["status"] == "cancelled"]
    if stopped:
        note(f"stage(s) stopped mid-way: {', '.join(stopped)}")


async def history(client: KeelClient) -> None:
    heading("History (keel/runs)")
    # The recorder writes a run's end in its own thread, after the run's answer: on a busy
    # machine the cancelled run can still read `running` for a moment. Ask until it is recorded.
    for _ in range(200):
        runs = (await client.request("keel/runs", {"limit": 5}))["runs"]
        if all(r["status"] != "running" for r in runs):
            break
        await asyncio.sleep(0.05)
    table([[datetime.fromisoformat(r["startedAt"].replace("Z", "+00:00")).astimezone()
            .strftime("%H:%M:%S"), r["workflow"], shorten(r["target"], 24), r["status"],
            f"{r['durationMs']} ms", f"${r['actualUsd']:.4f}"] for r in runs],
          ["started (local)", "workflow", "target", "status", "took", "usd"])


def what_next(root: Path) -> None:
    heading("What to try next")
    keel = Path(sys.executable).parent / "keel"
    for command, why in [
        (f"{keel} analyze {root / 'app/smelly.py'}", "the Refactor Advisor on one file (--fix applies the safe fixes)"),
        (f"cd {root} && {keel} run review app", "a whole workflow from the CLI (Ctrl-C cancels it)"),
        (f"{keel} doctor", "check this machine; each failing check names its fix"),
        ("npm run package", "build the VS Code extension, then Extensions: Install from VSIX… on the .vsix"),
        ("export ANTHROPIC_API_KEY=…", "real model stages instead of the offline default (docs/configuration.md)"),
    ]:
        out.print(f"   $ {command}")
        out.print(f"       {why}", style="dim")
    out.print("   docs: README.md, docs/architecture.md, docs/protocol.md, docs/reliability.md")


async def shutdown(client: KeelClient) -> int | None:
    try:
        return await client.shutdown()
    except (ConnectionError, TimeoutError, RpcError):
        return client.process.returncode  # already gone or stuck: shutdown() killed it


async def main() -> int:
    root = make_workspace(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.gettempdir()) / "keel-demo")
    started = time.perf_counter()
    client = await KeelClient.spawn()
    try:
        init = await client.initialize(str(root), {"workspaceTrusted": True, "clientName": "keel-demo"})
        methods = init["capabilities"]["experimental"]["keel"]["methods"]
        heading("Start (keel serve, offline default: no model provider configured)")
        out.print(f"   the server answered initialize in {(time.perf_counter() - started) * 1000:.0f} ms "
                  f"and offers {len(methods)} keel/* methods")
        # Called one by one: a step never created is never left un-awaited when one fails.
        for step in (lambda: health(client), lambda: analyze(client, root),
                     lambda: estimate(client), lambda: run_review(client),
                     lambda: cancel(client), lambda: history(client)):
            await step()
    except RpcError as exc:
        out.print(f"\nkeel demo: the server refused a request: {exc.message}", style="red")
        return 1
    except (ConnectionError, TimeoutError) as exc:
        out.print(f"\nkeel demo: lost the server ({exc or 'no answer in time'}); "
                  "run `.venv/bin/keel doctor`, or set KEEL_CLIENT_STDERR=1 to see its log", style="red")
        return 1
    finally:
        code = await shutdown(client)
    note(f"server shut down cleanly (exit code {code})")
    what_next(root)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
