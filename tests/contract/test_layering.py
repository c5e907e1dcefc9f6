"""Architecture invariants read from the syntax tree (import rules are import-linter's:\nsee test_import_contracts.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "server" / "keel"


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        yield rel, path.read_text(encoding="utf-8")


def _imports(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _top(rel: Path) -> str:
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


# Where a deadline or a retry loop outside runtime/ and resilience/ is accepted, and why.
# An entry that no longer matches anything fails the test, so the list only shrinks.
DEADLINE_ALLOWED = {
    "lsp/notifier.py": "pygls 2.1.1 pops 'Error in server' when its own progress-create times "
                       "out; the notifier shields the await and gives up after 1 s",
    "lsp/early_serve.py": "the same progress-create as lsp/notifier.py, sent before pygls has "
                          "loaded: gives up after 1 s, as the notifier does",
    "lsp/server.py": "shutdown cleanup (recorder drain, pool close) and capability registration "
                     "are bounded after the request deadlines are gone",
    "lsp/tcp_auth.py": "a TCP connection's first message must arrive within a few seconds, before "
                        "it is a client and before any request (and its deadline) exists",
    "workflows/run_preparing.py": "a keel/cancelRun naming an id that no request carries yet waits "
                                  "up to 2 s for the runWorkflow its Cancel overtook, inside the "
                                  "cancel's own request deadline",
    "rpc_client.py": "a client for scripts, benches and tests, not part of the server: how long "
                     "it waits for an answer is its caller's choice",
}
RETRY_LOOP_ALLOWED = {
    "storage/recorder.py": "the single SQLite writer thread outlives every request: it backs off "
                           "while the database is locked, with no deadline or budget to share",
}
DEADLINE_CALLS = {"fail_after", "move_on_after", "fail_after_at", "move_on_at",
                  "wait_for", "timeout", "timeout_at"}


def deadline_calls(source: str) -> list[int]:
    """Lines that put a time limit on an await: anyio's scopes, asyncio.wait_for/timeout."""
    from_asyncio = {alias.asname or alias.name: alias.name for node in ast.walk(ast.parse(source))
                    if isinstance(node, ast.ImportFrom) and node.module == "asyncio"
                    for alias in node.names}
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id == "asyncio" and func.attr in DEADLINE_CALLS - {"fail_after",
                                                                            "move_on_after"}:
                lines.append(node.lineno)
            elif func.value.id == "anyio" and func.attr in DEADLINE_CALLS:
                lines.append(node.lineno)
        elif isinstance(func, ast.Name) and (func.id in {"fail_after", "move_on_after"}
                                             or from_asyncio.get(func.id) in DEADLINE_CALLS):
            lines.append(node.lineno)
    return sorted(lines)


def _loop_body(loop: ast.AST):
    """Every node of a loop's body, not descending into functions or classes defined there."""
    stack = list(getattr(loop, "body", []))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node)
                     if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                               ast.Lambda, ast.ClassDef)))


def retry_loops(source: str) -> list[int]:
    """Loops that catch a failure, stay in the loop and wait before trying again."""
    def keeps_looping(handler: ast.ExceptHandler) -> bool:
        return not any(isinstance(n, (ast.Raise, ast.Return, ast.Break)) for n in ast.walk(handler))

    def waits(node: ast.AST) -> bool:
        if not isinstance(node, ast.Call) or not (node.args or node.keywords):
            return False
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        return name in ("sleep", "wait")

    lines = []
    for loop in ast.walk(ast.parse(source)):
        if not isinstance(loop, (ast.While, ast.For, ast.AsyncFor)):
            continue
        body = list(_loop_body(loop))
        catches = any(isinstance(n, ast.Try) and any(keeps_looping(h) for h in n.handlers)
                      for n in body)
        if catches and any(waits(n) for n in body):
            lines.append(loop.lineno)
    return lines


def _offenders_outside_runtime_and_resilience(find, allowed: dict[str, str]) -> list[str]:
    offenders, used = [], set()
    for rel, src in _modules():
        lines = find(src)
        if not lines or _top(rel) in ("runtime", "resilience"):
            continue
        if rel.as_posix() in allowed:
            used.add(rel.as_posix())
        else:
            offenders.extend(f"{rel}:{line}" for line in lines)
    return offenders + [f"stale allowance: {name}" for name in sorted(set(allowed) - used)]


def test_deadlines_only_in_runtime_and_resilience():
    assert _offenders_outside_runtime_and_resilience(deadline_calls, DEADLINE_ALLOWED) == []


def test_retry_loops_only_in_runtime_and_resilience():
    assert _offenders_outside_runtime_and_resilience(retry_loops, RETRY_LOOP_ALLOWED) == []


def test_the_deadline_and_retry_checks_see_what_they_claim_to():
    assert deadline_calls("import asyncio\nasync def f(c):\n    await asyncio.wait_for(c, 1)\n") == [3]
    assert deadline_calls("from asyncio import wait_for as w\nasync def f(c):\n    await w(c, 1)\n") == [3]
    assert deadline_calls("import anyio\nwith anyio.move_on_after(1):\n    pass\n") == [2]
    assert deadline_calls("def f(cond):\n    cond.wait_for(lambda: True, 1)\n") == []
    retry = ("async def f(call):\n    for _ in range(3):\n        try:\n            return await call()\n"
             "        except OSError:\n            await asyncio.sleep(1)\n")
    assert retry_loops(retry) == [2]
    give_up = retry.replace("await asyncio.sleep(1)", "raise")
    assert retry_loops(give_up) == []


def test_no_print_in_server_code_and_no_time_sleep_in_async_code():
    offenders = []
    for rel, src in _modules():
        tree = ast.parse(src)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "print" and _top(rel) != "cli"):
                offenders.append(f"{rel}:{node.lineno} print")
            if isinstance(node, ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    func = getattr(inner, "func", None)
                    if (isinstance(inner, ast.Call) and isinstance(func, ast.Attribute)
                            and func.attr == "sleep" and isinstance(func.value, ast.Name)
                            and func.value.id == "time"):
                        offenders.append(f"{rel}:{inner.lineno} time.sleep in async code")
    assert offenders == []


CANCELLATION = re.compile(r"\b(BaseException|CancelledError|get_cancelled_exc_class)\b")


def cancellation_problems(source: str) -> list[str]:
    """Handlers that can catch cancellation must re-raise it: bare ``raise`` or its own name.

    Swallowing it, or raising something else in its place, turns a cancel into an
    ordinary outcome that callers may retry or report.
    """
    problems = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ExceptHandler):
            continue
        if node.type is None:
            problems.append(f"{node.lineno} bare except")
            continue
        caught = ast.unparse(node.type)
        if not CANCELLATION.search(caught):
            continue
        raises = [n for n in ast.walk(node) if isinstance(n, ast.Raise)]
        if not raises:
            problems.append(f"{node.lineno} swallows {caught}")
        for raised in raises:
            reraises = raised.exc is None or (
                isinstance(raised.exc, ast.Name) and raised.exc.id == node.name)
            if not reraises:
                problems.append(f"{raised.lineno} raises {ast.unparse(raised.exc)} "
                                f"in place of {caught}")
    return problems


def test_no_bare_except_and_cancellation_is_reraised():
    offenders = [f"{rel}:{problem}" for rel, src in _modules()
                 for problem in cancellation_problems(src)]
    assert offenders == []


def test_the_cancellation_check_sees_what_it_claims_to():
    handler = "try:\n    pass\nexcept asyncio.CancelledError as exc:\n    {}\n"
    assert cancellation_problems(handler.format("raise")) == []
    assert cancellation_problems(handler.format("raise exc")) == []
    assert cancellation_problems(handler.format("pass")) == ["3 swallows asyncio.CancelledError"]
    assert cancellation_problems(handler.format("raise Cancelled('stop') from exc")) == [
        "4 raises Cancelled('stop') in place of asyncio.CancelledError"]
    assert cancellation_problems(handler.replace("asyncio.CancelledError", "BaseException")
                                 .format("raise RuntimeError()")) == [
        "4 raises RuntimeError() in place of BaseException"]


FILE_METHODS = {"read_text", "write_text", "read_bytes", "write_bytes", "mkdir", "unlink",
                "touch", "rename", "rmdir"}


def file_access(source: str) -> list[int]:
    """Lines that open or change files without importing anything for it (import-linter
    already keeps os, pathlib and friends out of the packages that must do no I/O)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id == "open":
            lines.append(node.lineno)
        elif isinstance(node.func, ast.Attribute) and node.func.attr in FILE_METHODS:
            lines.append(node.lineno)
    return sorted(lines)


def test_runtime_resilience_and_advisor_touch_no_files():
    offenders = [f"{rel}:{line}" for rel, src in _modules()
                 if _top(rel) in ("runtime", "resilience", "advisor") for line in file_access(src)]
    assert offenders == []
    assert file_access("with open('x') as f:\n    pass\nPath('y').write_text('')\n") == [1, 3]


def test_modules_stay_small():
    large = [f"{rel} ({src.count(chr(10))} lines)" for rel, src in _modules() if src.count("\n") > 450]
    assert large == []
