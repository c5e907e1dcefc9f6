"""Helpers for end-to-end tests against the real `keel serve` process."""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from keel.rpc_client import RpcError

T = TypeVar("T")

# Tests on the session-wide server (conftest's `shared`) run on the loop its client is bound to.
on_shared_server = pytest.mark.asyncio(loop_scope="session")

SERVER_COMMAND = [sys.executable, "-m", "keel", "serve", "--log-level", "warning"]


def make_workspace(root):
    """A workspace folder holding one small Python file, a.py."""
    root.mkdir()
    (root / "a.py").write_text("def f(x):\n    return x\n")
    return root


def server_env(tmp_path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # Tests choose their providers explicitly: a developer's real keys must not leak in.
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        env.pop(name, None)
    # Each test gets its own data and log dirs (storage and logs are per user).
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env.update(extra)
    return env


def config(tmp_path, **extra_env: str) -> ClientServerConfig:
    return ClientServerConfig(server_command=SERVER_COMMAND, server_env=server_env(tmp_path, **extra_env))


def keep_raw_json(client: LanguageClient) -> None:
    """Results and keel/* notifications as the server sent them (no namedtuples, no renames)."""
    from pygls.protocol import JsonRPCNotification, JsonRPCResponseMessage

    converter = client.protocol._converter
    converter.register_structure_hook(JsonRPCResponseMessage, lambda obj, cls: cls(**obj))
    converter.register_structure_hook(JsonRPCNotification, lambda obj, cls: cls(**obj))


def accept_registrations(client: LanguageClient) -> None:
    """Accept client/registerCapability as VS Code does, keeping what was registered."""
    client.registrations = []  # type: ignore[attr-defined]

    @client.feature("client/registerCapability")
    def on_register(params):
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]


def plain(value: Any) -> Any:
    """pygls' client turns results into namedtuples; tests compare plain JSON."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


async def initialize(client: LanguageClient, root, options: dict | None = None,
                     process_id: int | None = None) -> types.InitializeResult:
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        initialization_options=options or {},
        process_id=process_id,
    )
    result = await client.initialize_session(params)
    await until_serving(lambda: request(client, "keel/health"))
    return result


async def request(client: LanguageClient, method: str, params: Any = None) -> Any:
    return plain(await client.protocol.send_request_async(method, params if params is not None else {}))


async def request_error(client: LanguageClient, method: str, params: Any = None) -> JsonRpcException:
    try:
        await client.protocol.send_request_async(method, params if params is not None else {})
    except JsonRpcException as exc:
        return exc
    raise AssertionError(f"{method} succeeded; an error was expected")


def error_data(exc: JsonRpcException) -> dict:
    return plain(exc.data) if exc.data is not None else {}


async def poll_until(probe: Callable[[], Any], until: Callable[[T], bool], what: str,
                     cap_s: float = 30.0, interval_s: float = 0.05) -> T:
    """Call ``probe`` (sync or async) until ``until(observation)`` holds; return that observation.

    For state the server exposes only by being asked (a row its writer thread
    persisted, a component it reports, a process that is gone). The cap only
    bounds a hang, it is no timing goal: it is generous so that a loaded machine
    passes, and on expiry the test fails naming what it waited for and the last
    observation.
    """
    loop = asyncio.get_running_loop()
    give_up = loop.time() + cap_s
    while True:
        observed = probe()
        if inspect.isawaitable(observed):
            observed = await observed
        if until(observed):
            return observed
        if loop.time() >= give_up:
            raise AssertionError(f"waited {cap_s:g} s until {what}; last saw {observed!r}")
        await asyncio.sleep(interval_s)


def component(report: dict, name: str) -> dict:
    """One component of a keel/health report, by name."""
    return next(c for c in report["components"] if c["name"] == name)


async def until_serving(ask_health: Callable[[], Awaitable[Any]], cap_s: float = 45.0) -> Any:
    """Ask keel/health (through either client) until the server answers it; return the answer.

    The fast start answers `initialize` before the rest of the server has
    loaded, and a request received meanwhile counts that wait against its
    deadline: with both cores busy loading takes 2-4 s, past keel/estimateCost's
    3 s, and the request is refused as transient (-32803 deadline.exceeded).
    Tests that are not about start-up begin once the server answers.
    """
    async def answer() -> Any:
        try:
            return await ask_health()
        except (JsonRpcException, RpcError) as exc:
            data = exc.data if isinstance(exc, RpcError) else error_data(exc)
            if exc.code == -32803 and (data or {}).get("code") == "deadline.exceeded":
                return None  # refused while loading: ask again
            raise

    return await poll_until(answer, lambda health: health is not None,
                            "the server answers keel/health after start-up", cap_s=cap_s)
