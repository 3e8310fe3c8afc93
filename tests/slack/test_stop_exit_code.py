"""One exit-code rule for a stop signal: `logdive serve`, like `logdive socket`, exits 0 on SIGTERM and on
SIGINT (it exited 143 on SIGTERM, 0 on SIGINT)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bot.sandbox.slack import SlackStandIn
from tests.slack.bot_process import LOGDIVE, bot_env, closed_port
from tests.slack.harness import SIGNING_SECRET

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_exits_0_on_a_stop_signal(
    slack_standin: SlackStandIn, database_url: str, tmp_path: Path, signum: signal.Signals
) -> None:
    port = closed_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(LOGDIVE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=bot_env(slack_standin, database_url, tmp_path, SLACK_SIGNING_SECRET=SIGNING_SECRET),
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
            process.send_signal(signum)
            assert process.wait(timeout=30) == 0, log.read_text()[-3000:]
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    output = log.read_text()
    assert "runtime.stopped" in output and "Traceback" not in output, output[-3000:]
