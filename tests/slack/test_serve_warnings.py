"""`logdive serve` starts without the role groups or the webhook secret, but says so at once, by name."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bot.sandbox.slack import SlackStandIn
from tests.slack.bot_process import LOGDIVE, bot_env, closed_port
from tests.slack.harness import SIGNING_SECRET

pytestmark = pytest.mark.timeout(120)


def serve_output(slack: SlackStandIn, database_url: str, tmp_path: Path, **overrides: str | None) -> str:
    """Everything `logdive serve` printed from its start until it served /healthz and was stopped."""
    port = closed_port()
    log = tmp_path / "serve.log"
    env = bot_env(slack, database_url, tmp_path, SLACK_SIGNING_SECRET=SIGNING_SECRET, **overrides)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(LOGDIVE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        finally:
            process.terminate()
            process.wait(timeout=20)
    return log.read_text()


def test_missing_role_groups_and_webhook_secret_are_named_at_start(
    slack_standin: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    output = serve_output(
        slack_standin, database_url, tmp_path, LOGDIVE_LEGAL_GROUP=None, LOGDIVE_SIRT_GROUP=None
    )
    warnings = [line for line in output.splitlines() if "warning:" in line]
    assert any("LOGDIVE_LEGAL_GROUP is not set: nobody can act as Legal" in w for w in warnings), output
    assert any("LOGDIVE_SIRT_GROUP is not set" in w for w in warnings), output
    assert any("LOGDIVE_GITLAB_WEBHOOK_SECRET is not set" in w for w in warnings), output
    assert not any("LOGDIVE_CSM_GROUP" in w for w in warnings), output  # set: not mentioned


def test_a_complete_configuration_starts_without_warnings(
    slack_standin: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    output = serve_output(
        slack_standin,
        database_url,
        tmp_path,
        LOGDIVE_GITLAB_WEBHOOK_SECRET="hook-secret-0123456789",
        LOGDIVE_GAP_MARKER_SECRET="gap-secret-0123456789",
    )
    assert "warning:" not in output, output
    assert "secret-0123456789" not in output  # and a secret never reaches the output
