"""The TCP gate (keel.lsp.tcp_auth): only `keel/authenticate` with the token opens a connection.

A web page can reach 127.0.0.1 with a `POST /` whose body holds JSON-RPC frames; the
gate and the strict framing after it must never read those frames as messages.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest

from keel.lsp.framing import BrokenFrame, Frame, FrameReader
from keel.lsp.tcp_auth import MAX_AUTH_BODY, authenticate
from keel.lsp.tcp_token import TOKEN_ENV, ServerToken, server_token, take_token
from tests.robustness.harness import framed, request

pytestmark = pytest.mark.timeout(60)

TOKEN = "s3cret-token-of-the-editor-0123456789"


def authenticate_frame(token: str = TOKEN, **extra) -> bytes:
    return framed({"jsonrpc": "2.0", "method": "keel/authenticate", "params": {"token": token}, **extra})


def browser_post(body: bytes) -> bytes:
    """What Chrome sends for fetch('http://127.0.0.1:port/', {method: 'POST', mode: 'no-cors', body})."""
    return (b"POST / HTTP/1.1\r\nHost: 127.0.0.1:7000\r\nConnection: keep-alive\r\n"
            b"Content-Length: %d\r\nOrigin: https://evil.example\r\nContent-Type: text/plain;charset=UTF-8\r\n"
            b"Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\nSec-Fetch-Dest: empty\r\n\r\n"
            % len(body)) + body


def attack_body() -> bytes:
    options = {"workspaceTrusted": True, "settings": {"providers": [
        {"id": "p", "kind": "openai", "baseUrl": "http://127.0.0.1:9/v1", "apiKeyEnv": "AWS_SECRET_ACCESS_KEY"}]}}
    return (framed(request(1, "initialize", {"processId": None, "rootUri": "file:///tmp/attacker",
                                              "capabilities": {}, "initializationOptions": options}))
            + framed({"jsonrpc": "2.0", "method": "initialized", "params": {}})
            + framed(request(2, "keel/runWorkflow", {"workflow": "review", "target": "."})))


async def gate(data: bytes, timeout_s: float = 30, eof: bool = True) -> tuple[str | None, bytes]:
    """The gate's verdict on ``data`` and the bytes it left unread for the frame reader."""
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    verdict = await authenticate(reader, TOKEN, timeout_s)
    return verdict, (await reader.read() if eof else b"")


async def test_the_right_token_first_opens_the_connection_and_leaves_what_follows_unread():
    follow = framed(request(1, "initialize", {}))
    verdict, rest = await gate(authenticate_frame() + follow)
    assert verdict is None
    assert rest == follow


@pytest.mark.parametrize(("first", "why"), [
    (browser_post(attack_body()), "an HTTP request (POST)"),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "an HTTP request (GET)"),
    (authenticate_frame("a-wrong-token-of-the-same-size-0123456"), "a wrong token"),
    (authenticate_frame(""), "keel/authenticate without a token"),
    (framed(request(1, "initialize", {"processId": None, "capabilities": {}})),
     "a first message other than keel/authenticate"),
    (authenticate_frame(id=1), "keel/authenticate sent as a request (it is a notification: no id)"),
    (b"Host: 127.0.0.1\r\n" + authenticate_frame(), "a header named Host"),
    (b"Content-Length: 80\r\nOrigin: https://evil.example\r\n\r\n", "a header named Origin"),
    (b"junk before\r\n" + authenticate_frame(), "bytes that are not a frame header"),
    (b"Content-Length: %d\r\n\r\n" % (MAX_AUTH_BODY + 1), f"a first message over {MAX_AUTH_BODY} bytes"),
    (b"Content-Length: 5\r\n\r\n{oops", "a first message that is not JSON"),
    (b"Content-Length: x\r\n\r\n{}", "no valid Content-Length"),
    (b"Content-Type: a\r\nContent-Type: b\r\nContent-Type: c\r\n\r\n", "too many header lines"),
    (b"Content-Length: 1" + b"0" * 300 + b"\r\n\r\n", "a header line is too long"),
    (b"Content-Length: 40\r\n\r\n{\"jsonrpc\"", "closed before authenticating"),
    (b"", "closed before authenticating"),
])
async def test_anything_else_first_is_refused_with_a_reason(first, why):
    verdict, _ = await gate(first)
    assert verdict == why


async def test_a_silent_connection_is_refused_when_its_time_is_up():
    verdict, _ = await gate(b"Content-Length: 10\r\n", timeout_s=0.05, eof=False)
    assert verdict == "no authentication within 0.05 s"


async def test_the_token_is_compared_whole_not_as_a_prefix():
    assert (await gate(authenticate_frame(TOKEN[:-1])))[0] == "a wrong token"
    assert (await gate(authenticate_frame(TOKEN + "x")))[0] == "a wrong token"


async def frames_of(data: bytes, strict: bool) -> list[Frame | BrokenFrame]:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames = FrameReader(reader, strict=strict)
    read = []
    while (item := await frames.next()) is not None:
        read.append(item)
    return read


async def test_after_authentication_an_http_request_ends_the_reading_on_tcp_but_is_skipped_on_stdio():
    health = framed(request(7, "keel/health"))
    hostile = health + browser_post(attack_body()) + health
    on_stdio = [json.loads(f.body).get("method") for f in await frames_of(hostile, strict=False)
                if isinstance(f, Frame) and f.body]
    assert "keel/runWorkflow" in on_stdio  # stdio resynchronises after garbage: the fuzz tests rely on it
    on_tcp = await frames_of(hostile, strict=True)
    assert [json.loads(f.body)["method"] for f in on_tcp if isinstance(f, Frame)] == ["keel/health"]


@pytest.mark.parametrize("hostile", [
    b"Content-Length: 2\r\nOrigin: https://evil.example\r\n\r\n{}",
    b"Content-Length: 2\r\nHost: 127.0.0.1\r\n\r\n{}",
    b"GET /x HTTP/1.1\r\n" + framed(request(8, "keel/health")),
    b"\r\nsec-fetch-mode: no-cors\r\n" + framed(request(8, "keel/health")),
])
async def test_after_authentication_host_origin_or_a_request_line_ends_the_reading_on_tcp(hostile):
    before = framed(request(7, "keel/health"))
    read = await frames_of(before + hostile, strict=True)
    assert [json.loads(f.body)["id"] for f in read if isinstance(f, Frame)] == [7]


async def test_strict_reading_still_answers_a_broken_frame_and_reads_content_type():
    data = (b"Content-Length: nope\r\n\r\n" + framed(request(1, "keel/health"))
            + b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n" + framed(request(2, "keel/health")))
    read = await frames_of(data, strict=True)
    assert isinstance(read[0], BrokenFrame)
    assert [json.loads(f.body)["id"] for f in read[1:]] == [1, 2]


def test_the_token_is_taken_out_of_the_environment():
    environ = {TOKEN_ENV: TOKEN, "PATH": "/bin"}
    assert take_token(environ) == TOKEN
    assert environ == {"PATH": "/bin"}
    assert take_token({TOKEN_ENV: ""}) is None


def test_a_given_token_is_used_as_is_and_written_nowhere(tmp_path):
    assert server_token(TOKEN, tmp_path / "tokens") == ServerToken(TOKEN)
    assert not (tmp_path / "tokens").exists()
    assert TOKEN not in repr(ServerToken(TOKEN))


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes; Windows profile folders are private already")
def test_a_generated_token_is_written_owner_only_even_into_a_folder_an_older_keel_made_open(tmp_path):
    folder = tmp_path / "state" / "tcp"
    folder.mkdir(parents=True, mode=0o755)
    os.chmod(folder, 0o755)
    token = server_token(None, folder)
    assert token.file is not None and token.file.parent == folder
    assert token.file.read_text() == token.value and len(token.value) >= 32
    assert stat.S_IMODE(os.stat(token.file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert server_token(None, folder).value != token.value


@pytest.mark.skipif(os.name != "posix", reason="symlinks and owners as POSIX has them")
def test_a_token_folder_that_is_a_planted_symlink_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "tcp").symlink_to(elsewhere)
    with pytest.raises(PermissionError):
        server_token(None, tmp_path / "tcp")
    assert list(elsewhere.iterdir()) == []
