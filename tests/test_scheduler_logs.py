"""A quiet scheduler: idle ticks log nothing at INFO (they were two lines every 5 s); at DEBUG they show."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from pathlib import Path

import pytest

from bot.db.engine import upgrade
from bot.logs import configure_logging
from bot.runtime import Runtime
from bot.settings import Settings


def log_of_ticks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], level: str, ticks: int = 3
) -> list[dict]:
    """The JSON log lines of a runtime that started, ticked `ticks` times with nothing to do, and stopped."""
    configure_logging(level)
    url = f"sqlite:///{tmp_path / 'logdive.db'}"
    upgrade(url)
    runtime = Runtime(
        Settings(database_url=url, slack_bot_token="xoxb-x", gitlab_token="t"), tick_seconds=0.05
    )
    done = threading.Semaphore(0)

    def counted(_now: datetime) -> None:
        done.release()

    runtime.tick_jobs.append(counted)
    capsys.readouterr()  # what start-up wrote so far
    runtime.start()
    try:
        for _ in range(ticks):
            assert done.acquire(timeout=30), "the scheduler did not tick"
        logging.getLogger("tests.probe").info("probe")  # an INFO line that must come through
    finally:
        runtime.stop()
        configure_logging("INFO")
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


def test_idle_ticks_say_nothing_at_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = log_of_ticks(tmp_path, capsys, "INFO")
    assert "probe" in [line["event"] for line in lines]  # INFO lines do come through
    # (A tick overrunning the next one is a WARNING, and stays one: something happened.)
    routine = [line for line in lines if line["level"] in ("info", "debug") and line["event"] != "probe"]
    assert not [line for line in routine if not str(line["event"]).startswith("runtime.")], routine


def test_at_debug_each_tick_shows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = log_of_ticks(tmp_path, capsys, "DEBUG")
    runs = [line for line in lines if str(line["event"]).startswith("Running job")]
    assert len(runs) >= 3 and all(line["level"] == "debug" for line in runs)
