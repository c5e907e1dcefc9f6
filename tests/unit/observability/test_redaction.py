from __future__ import annotations

import json

import structlog

from keel.observability.logging import configure_logging
from keel.observability.redaction import Redactor

CANARY = "sk-ant-canary-0123456789abcdef"


def test_known_shapes_and_configured_values_are_redacted():
    redactor = Redactor()
    redactor.watch_env(["MY_KEY"], {"MY_KEY": "plainvalue-12345"})
    text = f"key={CANARY} auth: Bearer abc.def.ghi123 value plainvalue-12345 ok"
    out = redactor.text(text)
    assert CANARY not in out and "abc.def.ghi123" not in out and "plainvalue-12345" not in out
    assert out.endswith("ok")


def test_nested_event_values_and_secret_keys():
    redactor = Redactor()
    event = redactor(None, "info", {"event": "call", "headers": {"x-api-key": "whatever-long"},
                                    "args": [f"Bearer {CANARY}"]})
    assert event["headers"]["x-api-key"] == "[REDACTED]"
    assert CANARY not in json.dumps(event)


def test_log_lines_go_to_the_file_as_json_and_never_carry_the_canary(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    from keel.observability.redaction import REDACTOR

    REDACTOR.watch_env(["ANTHROPIC_API_KEY"])
    log_file = configure_logging("info", log_dir=tmp_path)
    structlog.get_logger("t").warning("calling provider", key=CANARY, note=f"with {CANARY}")
    try:
        raise RuntimeError(f"provider said {CANARY}")
    except RuntimeError:
        structlog.get_logger("t").exception("provider failed")
    out, err = capsys.readouterr()
    assert out == ""
    records = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [r["event"] for r in records] == ["calling provider", "provider failed"]
    assert "RuntimeError" in records[1]["exception"]
    assert CANARY not in log_file.read_text() and CANARY not in err
    assert "calling provider" in err
