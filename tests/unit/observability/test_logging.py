"""stderr (the editor's Output channel) gets one readable line per problem."""

from __future__ import annotations

import json
import logging

import structlog

from keel.observability.logging import configure_logging, set_level


def emit_one_of_each() -> None:
    log = structlog.get_logger("keel.test")
    log.debug("a debug event")
    log.info("an info event", run_id="r1")
    log.warning("a warning event", request_id=3, method="keel/analyze")
    try:
        raise ValueError("bad thing\nsecond line")
    except ValueError:
        log.exception("an error event")
    logging.getLogger("pygls.protocol").error("a foreign error")


def test_by_default_stderr_has_one_plain_line_per_warning_or_error(capsys, tmp_path):
    log_file = configure_logging(None, log_dir=tmp_path)
    emit_one_of_each()
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3
    assert not any(line.lstrip().startswith("{") for line in lines)
    assert "WARNING keel.test: a warning event (request_id=3 method=keel/analyze)" in lines[0]
    assert "ERROR keel.test: an error event" in lines[1] and lines[1].endswith("[ValueError: bad thing second line]")
    assert "Traceback" not in "\n".join(lines)
    events = [json.loads(line)["event"] for line in log_file.read_text().splitlines()]
    assert events == ["an info event", "a warning event", "an error event", "a foreign error"]


def test_a_chosen_level_shows_more_or_less_on_stderr(capsys, tmp_path):
    configure_logging("debug", log_dir=tmp_path, to_file=False)
    emit_one_of_each()
    assert len(capsys.readouterr().err.strip().splitlines()) == 5
    set_level("error")  # the logLevel setting
    emit_one_of_each()
    assert len(capsys.readouterr().err.strip().splitlines()) == 2
    set_level("info")  # the setting's default: back to warnings and errors
    emit_one_of_each()
    assert len(capsys.readouterr().err.strip().splitlines()) == 3


def test_the_old_call_signature_still_works(capsys, tmp_path):
    assert configure_logging("warning", to_file=False) is None
    emit_one_of_each()
    assert len(capsys.readouterr().err.strip().splitlines()) == 3
