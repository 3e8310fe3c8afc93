"""Slack's libraries log no bodies or tokens; start-up names every missing credential in one message."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import pytest

from bot.logs import configure_logging
from bot.slack import log_safety


def test_slack_library_records_lose_bodies_and_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    log_safety.install()
    logging.getLogger("slack_bolt.AsyncApp").warning(
        "listener did not ack the request (%s)", {"token": "xoxb-123-secret", "text": "<!channel> hi"}
    )
    logging.getLogger("slack_sdk.web").error("call failed: token=xoxp-999-abc&channel=C1&text=private")
    err = capsys.readouterr().err
    assert "listener did not ack" in err
    for secret in ("xoxb-123-secret", "xoxp-999-abc", "<!channel>", "private"):
        assert secret not in err


def test_serve_without_credentials_names_them_and_exits_non_zero() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GITLAB_", "LOGDIVE_"))}
    env["SLACK_BOT_TOKEN"] = "xoxb-present"
    done = subprocess.run(
        [sys.executable, "-c", "from bot.cli.main import run; run()", "serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert (
        "SLACK_SIGNING_SECRET" in message and "GITLAB_TOKEN" in message and "LOGDIVE_CASE_CHANNEL" in message
    )
    assert "SLACK_BOT_TOKEN" not in message and "Traceback" not in done.stderr


def test_bolts_own_signature_failure_record_keeps_nothing_of_the_body(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Bolt's request verification logs the whole body of a request it refuses; through Logdive's
    logging only its own wording and the length withheld remain, in linear time on `a.a.a.…`."""
    from slack_bolt.middleware.request_verification import RequestVerification

    configure_logging("INFO")
    verification = RequestVerification("secret")
    planted = "payload=%7B%22description%22%3A%22planted+zebra%22%2C%22email%22%3A%22p%40example.com%22%7D"
    verification._debug_log_error("v0=abc", "1", planted)
    pathological = "a." * 500_000  # quadratic for the regexes this filter used to run: hours
    started = time.monotonic()
    verification._debug_log_error("v0=abc", "1", pathological)
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert "Invalid request signature detected" in err and "characters withheld" in err
    for leaked in ("planted", "zebra", "example.com", "a.a.a", "v0=abc"):
        assert leaked not in err
    assert elapsed < 5, elapsed  # generous: the old filter took minutes on far less
