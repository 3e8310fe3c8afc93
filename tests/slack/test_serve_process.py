"""`logdive serve` as shipped: a subprocess that serves, and stops its runtime when told to stop."""

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

pytestmark = pytest.mark.timeout(90)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_the_runtime_before_the_process_ends(
    slack_standin: SlackStandIn, database_url: str, tmp_path: Path, signum: signal.Signals
) -> None:
    """uvicorn re-raises SIGTERM after its graceful shutdown, so only the server's own shutdown can stop
    the scheduler and drain the thread pools; the log shows it did."""
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
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            process.send_signal(signum)
            process.wait(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    output = log.read_text()
    assert "runtime.stopped" in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    # The process ends as the signal asks (uvicorn re-raises it; the shell convention 128+N) or cleanly.
    assert process.returncode in (0, -signum, 128 + signum), process.returncode
