"""Logs: one JSON event a line, and no secret or personal value in any of them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from bot.logs import configure_logging, get_logger


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_structured_lines_keep_secrets_and_personal_data_out(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG")
    get_logger("test").info(
        "case_recorded", case_id=42, token="glpat-abcdef", remote_ip="203.0.113.9", username="bob-acme"
    )
    logging.getLogger("slack_bolt").debug("payload=%s", "xoxb-should-not-appear")
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]
    assert [e["event"] for e in events] == ["case_recorded"]
    assert events[0]["case_id"] == 42
    for secret in ("glpat-abcdef", "203.0.113.9", "bob-acme", "xoxb-should-not-appear"):
        assert all(secret not in line for line in lines)
