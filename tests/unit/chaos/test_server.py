from __future__ import annotations

import anyio
import httpx
import pytest

from keel.chaos import ChaosServer, Fault, Schedule

MESSAGE = {"model": "claude-test", "max_tokens": 50, "system": "Be brief.",
           "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello there"}]}]}
CHAT = {"model": "gpt-test", "messages": [{"role": "system", "content": "Be brief."},
                                          {"role": "user", "content": "Hello there"}]}
# (len("Be brief.") + len("Hello there") + 3) // 4
INPUT_TOKENS = (9 + 11 + 3) // 4


async def post(chaos: ChaosServer, path: str, body: object, **kw) -> httpx.Response:
    async with httpx.AsyncClient(base_url=chaos.base_url, **kw) as client:
        return await client.post(path, json=body)


async def test_binds_loopback_and_reports_its_port(chaos):
    assert chaos.port > 0
    assert chaos.base_url == f"http://127.0.0.1:{chaos.port}"
    assert chaos.openai_base_url == f"http://127.0.0.1:{chaos.port}/v1"
    async with httpx.AsyncClient() as client:
        health = await client.get(f"{chaos.base_url}/health")
    assert health.json() == {"ok": True}
    assert chaos.requests_total == 0  # health checks are not provider requests


async def test_anthropic_message_shape_and_usage(chaos):
    response = await post(chaos, "/v1/messages", MESSAGE)
    body = response.json()
    text = chaos.schedule.reply_text
    assert response.status_code == 200
    assert body == {
        "id": "msg_chaos_1", "type": "message", "role": "assistant",
        "content": [{"type": "text", "text": text}], "model": "claude-test",
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": (len(text) + 3) // 4},
    }


async def test_openai_chat_completion_shape_and_usage(chaos):
    response = await post(chaos, "/v1/chat/completions", CHAT)
    body = response.json()
    out = (len(chaos.schedule.reply_text) + 3) // 4
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant",
                                             "content": chaos.schedule.reply_text}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": INPUT_TOKENS, "completion_tokens": out,
                             "total_tokens": INPUT_TOKENS + out}


async def test_anthropic_sse_is_accepted_by_the_sdk_stream_helper(chaos):
    import anthropic

    client = anthropic.AsyncAnthropic(base_url=chaos.base_url, api_key="k", max_retries=0)
    try:
        async with client.messages.stream(**MESSAGE) as stream:
            events = [event.type async for event in stream]
            message = await stream.get_final_message()
    finally:
        await client.close()
    assert "".join(block.text for block in message.content) == chaos.schedule.reply_text
    assert message.usage.input_tokens == INPUT_TOKENS
    assert message.usage.output_tokens == (len(chaos.schedule.reply_text) + 3) // 4
    assert message.stop_reason == "end_turn"
    for kind in ("message_start", "content_block_start", "content_block_stop",
                 "message_delta", "message_stop"):
        assert kind in events
    assert chaos.history[-1].stream is True


@pytest.mark.parametrize("include_usage", [True, False])
async def test_openai_sse_is_accepted_by_the_sdk_stream(chaos, include_usage):
    import openai

    client = openai.AsyncOpenAI(base_url=chaos.openai_base_url, api_key="k", max_retries=0)
    extra = {"stream_options": {"include_usage": True}} if include_usage else {}
    try:
        stream = await client.chat.completions.create(**CHAT, stream=True, **extra)
        chunks = [chunk async for chunk in stream]
    finally:
        await client.close()
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == chaos.schedule.reply_text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    usages = [c.usage for c in chunks if c.usage is not None]
    if include_usage:
        assert len(usages) == 1 and chunks[-1].usage is usages[0]
        assert (usages[0].prompt_tokens, usages[0].total_tokens) == (
            INPUT_TOKENS, INPUT_TOKENS + (len(chaos.schedule.reply_text) + 3) // 4)
    else:
        assert usages == []


async def test_error_bodies_look_like_the_real_apis(chaos):
    chaos.set_schedule(Schedule.scripted(["529", "429", "quota", "quota", "401"],
                                         retry_after_s=7))
    overloaded = await post(chaos, "/v1/messages", MESSAGE)
    assert overloaded.status_code == 529
    assert overloaded.json()["error"]["type"] == "overloaded_error"
    limited = await post(chaos, "/v1/chat/completions", CHAT)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    quota_a = await post(chaos, "/v1/messages", MESSAGE)
    assert quota_a.status_code == 429 and "credit balance is too low" in quota_a.text
    assert "retry-after" not in quota_a.headers
    quota_o = await post(chaos, "/v1/chat/completions", CHAT)
    assert quota_o.json()["error"]["code"] == "insufficient_quota"
    assert "You exceeded your current quota" in quota_o.json()["error"]["message"]
    auth = await post(chaos, "/v1/messages", MESSAGE)
    assert (auth.status_code, auth.json()["error"]["type"]) == (401, "authentication_error")


async def test_malformed_body_is_invalid_json_with_200(chaos):
    chaos.set_schedule(Schedule.always("malformed"))
    response = await post(chaos, "/v1/messages", MESSAGE)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


async def test_reset_breaks_the_connection_mid_response(chaos):
    chaos.set_schedule(Schedule.always("reset"))
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        await post(chaos, "/v1/messages", MESSAGE)


async def test_hang_answers_nothing_and_ends_when_the_client_leaves(chaos):
    chaos.set_schedule(Schedule.always("hang"))
    with pytest.raises(httpx.ReadTimeout):
        await post(chaos, "/v1/messages", MESSAGE, timeout=httpx.Timeout(5.0, read=0.2))
    with anyio.fail_after(5):  # a bound on the test, not a timing assert
        while chaos._tasks:
            await anyio.sleep(0.01)


async def test_stop_releases_a_hanging_request():
    server = ChaosServer(Schedule.always("hang"))
    await server.start()
    async with anyio.create_task_group() as tg:
        async def client() -> None:
            with pytest.raises(httpx.TransportError):
                await post(server, "/v1/messages", MESSAGE)

        tg.start_soon(client)
        with anyio.fail_after(5):
            while server.requests_total == 0:
                await anyio.sleep(0.01)
        await server.stop()


async def test_down_refuse_then_up_on_the_same_port(chaos):
    port = chaos.port
    await chaos.go_down("refuse")
    assert chaos.down == "refuse"
    with pytest.raises(httpx.ConnectError):
        await post(chaos, "/v1/messages", MESSAGE)
    await chaos.go_up()
    assert chaos.port == port
    assert (await post(chaos, "/v1/messages", MESSAGE)).status_code == 200


async def test_down_reset_resets_every_connection(chaos):
    await chaos.go_down("reset")
    for _ in range(2):
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await post(chaos, "/v1/chat/completions", CHAT)
    assert chaos.counts["down"] == 2
    await chaos.go_up()
    assert (await post(chaos, "/v1/chat/completions", CHAT)).status_code == 200


async def test_schedule_switches_at_runtime_and_counters_follow(chaos):
    assert (await post(chaos, "/v1/messages", MESSAGE)).status_code == 200
    chaos.set_schedule(Schedule.always("500"))
    assert (await post(chaos, "/v1/messages", MESSAGE)).status_code == 500
    assert (await post(chaos, "/v1/chat/completions", CHAT)).status_code == 500
    assert chaos.counts == {"ok": 1, "500": 2}
    assert [(s.seq, s.api, s.fault) for s in chaos.history] == [
        (1, "anthropic", Fault.OK), (2, "anthropic", Fault.SERVER_ERROR),
        (3, "openai", Fault.SERVER_ERROR)]
    chaos.reset_counters()
    assert chaos.requests_total == 0 and chaos.history == []


async def test_latency_fault_still_answers(chaos):
    chaos.set_schedule(Schedule.always("latency", latency_ms=20))
    assert (await post(chaos, "/v1/messages", MESSAGE)).status_code == 200
    assert chaos.counts == {"latency": 1}


async def test_unknown_path_and_bad_json_are_not_scheduled(chaos):
    chaos.set_schedule(Schedule.always("500"))
    assert (await post(chaos, "/v1/embeddings", {})).status_code == 404
    async with httpx.AsyncClient(base_url=chaos.base_url) as client:
        bad = await client.post("/v1/messages", content=b"[1,2", headers={
            "content-type": "application/json"})
    assert bad.status_code == 400
    assert chaos.counts == {"not_found": 1, "bad_request": 1}
    assert chaos.history == []


async def test_same_seed_same_faults_through_the_server():
    def schedule() -> Schedule:
        return Schedule.failing(0.5, ["429", "500", "503"], seed=11)

    runs = []
    for _ in range(2):
        async with ChaosServer(schedule()) as server, httpx.AsyncClient() as client:
            for _ in range(20):
                await client.post(f"{server.base_url}/v1/messages", json=MESSAGE)
            runs.append([s.fault for s in server.history])
    assert runs[0] == runs[1] == schedule().player().take(20)
    assert len(set(runs[0])) > 1


async def test_a_held_request_waits_counted_until_released(chaos):
    chaos.hold()
    answer = None

    async def ask() -> None:
        nonlocal answer
        answer = await post(chaos, "/v1/messages", MESSAGE)

    async with anyio.create_task_group() as group:
        group.start_soon(ask)
        while chaos.requests_total == 0:  # it has arrived and been counted
            await anyio.sleep(0.01)
        await anyio.sleep(0.05)
        assert answer is None  # still held
        chaos.release()
    assert answer is not None and answer.status_code == 200
