"""Issue 22 point 5: a big answer is dumped, scrubbed and encoded off the loop; health never waits for it.

No wall-clock bound: the encoding is held on an event in its thread while the test asks for
`keel/health`, and the thread that encoded is compared with the loop's.
"""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from pydantic import BaseModel

from keel.app.ops import OPS
from keel.app.state import KeelApp
from keel.lsp import dispatch as dispatch_module
from keel.lsp.dispatch import OFF_LOOP_ITEMS, dispatch, weight
from keel.lsp.encoded import EncodedResult

pytestmark = pytest.mark.timeout(60)
OUTSIDE = "/home/someone/secret/project/module.py"  # an absolute path outside the workspace


class Item(BaseModel):
    path: str
    line: int
    note: str | None = None


class Big(BaseModel):
    uri: str
    items: list[Item]


def big(count: int = OFF_LOOP_ITEMS + 100) -> Big:
    return Big(uri="file:///w/a.py", items=[Item(path=OUTSIDE, line=i, note="é \"q\"") for i in range(count)])


@pytest.fixture
def app(tmp_path):
    a = KeelApp(worker_pool_size=1)
    a.workspace_folders = [tmp_path]
    yield a
    a.close()


async def test_health_is_answered_while_a_big_answer_is_being_encoded(app, monkeypatch):
    loop_thread = threading.get_ident()
    entered, release = threading.Event(), threading.Event()
    encoders: list[int] = []
    original = dispatch_module.encode_answer

    def held_encode(scrubber, result):
        encoders.append(threading.get_ident())
        entered.set()
        # A hang guard, not a timing bound: if this ran on the loop, the test could not release it.
        assert release.wait(30), "the encoding was never released: health did not get through"
        return original(scrubber, result)

    async def analyze(app, params):
        return big()

    monkeypatch.setattr(dispatch_module, "encode_answer", held_encode)
    monkeypatch.setitem(OPS, "keel/listWorkflows", analyze)
    answer = asyncio.ensure_future(dispatch(app, "keel/listWorkflows", {}, 1, encoded=True))
    await asyncio.to_thread(entered.wait)
    report = await dispatch(app, "keel/health", {}, 2, encoded=True)  # while the encoding is held
    assert report["inFlight"]["byMethod"]["keel/listWorkflows"] == 1
    assert not answer.done()
    release.set()
    encoded = await answer
    assert encoders and all(ident != loop_thread for ident in encoders)
    assert isinstance(encoded, EncodedResult)


async def test_the_encoded_answer_is_the_dict_answer_scrubbed_byte_for_byte_equal_in_json(app, monkeypatch):
    async def analyze(app, params):
        return big()

    monkeypatch.setitem(OPS, "keel/listWorkflows", analyze)
    as_dict = await dispatch(app, "keel/listWorkflows", {}, 1)
    encoded = await dispatch(app, "keel/listWorkflows", {}, 2, encoded=True)
    assert isinstance(encoded, EncodedResult)
    assert json.loads(encoded.json) == as_dict
    # The hostile part: the absolute path outside the workspace is scrubbed in the thread too.
    assert OUTSIDE.encode() not in encoded.json
    assert as_dict["items"][0]["path"] == "…/module.py"


async def test_small_answers_and_health_stay_plain_dicts_on_the_loop(app, monkeypatch):
    hops: list[object] = []
    monkeypatch.setattr(dispatch_module, "in_thread", lambda *a, **k: hops.append(a))

    async def small(app, params):
        return big(OFF_LOOP_ITEMS)

    monkeypatch.setitem(OPS, "keel/listWorkflows", small)
    assert isinstance(await dispatch(app, "keel/health", {}, 1, encoded=True), dict)
    assert isinstance(await dispatch(app, "keel/listWorkflows", {}, 2, encoded=True), dict)
    assert hops == []


def test_weight_counts_list_items_in_nested_models_without_dumping():
    class Report(BaseModel):
        findings: list[Item]

    class Result(BaseModel):
        status: str
        report: Report

    result = Result(status="ok", report=Report(findings=[Item(path="a", line=1)] * 500))
    assert weight(result) >= 500
    assert weight(Item(path="a", line=1)) == 0


def _frames(written: list[bytes]) -> list[tuple[dict[str, str], bytes]]:
    out = []
    for data in written:
        head, _, body = data.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        out.append((headers, body))
    return out


@pytest.mark.parametrize("msg_id", [7, "req-\"quoted\"-é", -1])
def test_an_encoded_result_is_framed_as_pygls_frames_the_same_result(msg_id, captured_protocol):
    protocol, written = captured_protocol
    result = {"uri": "file:///w/a.py", "note": "é \"q\"\n", "items": [1, 2.5, None, True]}
    protocol.respond(msg_id, result=result)
    protocol.respond(msg_id, result=EncodedResult(json.dumps(result).encode()))
    (pygls_headers, pygls_body), (our_headers, our_body) = _frames(written)
    assert our_headers == pygls_headers == {"Content-Length": str(len(our_body)),
                                            "Content-Type": "application/vscode-jsonrpc; charset=utf-8"}
    assert json.loads(our_body) == json.loads(pygls_body) == {"id": msg_id, "jsonrpc": "2.0",
                                                              "result": result}
    assert int(our_headers["Content-Length"]) == len(our_body)
