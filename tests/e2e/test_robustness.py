"""End to end with a raw client: garbage on the wire, stdin closing, parent death."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
import pytest_asyncio

from keel.rpc_client import KeelClient, RpcError

from .helpers import make_workspace, on_shared_server, server_env, until_serving

pytestmark = pytest.mark.timeout(60)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def raw(tmp_path_factory):
    """One server for the tests that only throw bytes at it and check that it still answers."""
    base = tmp_path_factory.mktemp("raw")
    client = await KeelClient.spawn(env=server_env(base))
    try:
        await client.initialize(str(make_workspace(base / "ws")))
        await until_serving(lambda: client.request("keel/health"))
        yield client
    finally:
        if client.process.returncode is None:
            client.process.kill()
            await client.process.wait()


@on_shared_server
async def test_garbage_and_malformed_messages_never_stop_the_server(raw):
    raw.write_raw(b"this is not a header\r\n\r\n")
    raw.write_raw(b"Content-Length: 5\r\n\r\n{oops")
    body = json.dumps([1, 2, 3]).encode()
    raw.write_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    body = json.dumps({"jsonrpc": "2.0", "id": 99, "method": 42}).encode()
    raw.write_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    raw.write_raw(b"Content-Length: -7\r\n\r\n")
    raw.write_raw(b"\x00\xff\xfe garbage bytes \r\n")
    report = await raw.request("keel/health")
    assert report["level"] in ("healthy", "degraded")
    with pytest.raises(RpcError) as info:
        await raw.request("keel/health", [1, 2])
    assert info.value.code == -32602
    assert info.value.data["errorType"] == "validation"


@on_shared_server
async def test_many_fuzzed_messages_then_still_correct(raw):
    import random

    rng = random.Random(7)
    for _ in range(300):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))
        raw.write_raw(b"Content-Length: %d\r\n\r\n" % len(junk) + junk)
    report = await raw.request("keel/health", timeout=30)
    assert report["version"]


async def test_server_exits_when_stdin_closes(tmp_path, workspace):
    client = await KeelClient.spawn(env=server_env(tmp_path))
    await client.initialize(str(workspace))
    client.process.stdin.close()
    code = await asyncio.wait_for(client.process.wait(), 10)
    assert code == 0


async def test_server_exits_when_parent_process_dies(tmp_path, workspace):
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    client = await KeelClient.spawn(env=server_env(tmp_path))
    try:
        await client.initialize(str(workspace), process_id=parent.pid)
        assert (await until_serving(lambda: client.request("keel/health")))["version"]
        parent.kill()
        parent.wait()  # reap it, or the pid stays a zombie that still "exists"
        # It exits by itself: stdin stays open. How soon (goal 2 s; the watchdog polls every
        # 0.5 s) is no assertion here: the wait is only capped against a hang.
        assert await asyncio.wait_for(client.process.wait(), 30) is not None
    finally:
        if client.process.returncode is None:
            client.process.kill()


# --- the same hostile input as the FIRST message, on the fast-start path: answered, never deaf


def deep_json() -> bytes:
    body = b'{"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def long_header() -> bytes:
    return b"Content-Length: 2\r\nX-Padding: " + b"p" * (2 * 1024 * 1024) + b"\r\n\r\n{}"


def huge_body() -> bytes:
    size = 64 * 1024 * 1024 + 1
    return b"Content-Length: %d\r\n\r\n" % size + b" " * size


def bad_length() -> bytes:
    return b"Content-Length: -7\r\n\r\n{}"


def missing_blank_line() -> bytes:
    return b'Content-Length: 10\r\n{"a": 1}  '


@pytest.mark.parametrize("first", [deep_json, long_header, huge_body, bad_length, missing_blank_line])
async def test_hostile_first_message_then_initialize_is_served(tmp_path, workspace, first):
    client = await KeelClient.spawn(env=server_env(tmp_path))
    try:
        client.write_raw(first())
        result = await client.initialize(str(workspace))
        assert result["capabilities"]["experimental"]["keel"]["version"] == 1
        assert (await until_serving(lambda: client.request("keel/health")))["version"]
        assert await client.shutdown() == 0
    finally:
        if client.process.returncode is None:
            client.process.kill()
            await client.process.wait()
