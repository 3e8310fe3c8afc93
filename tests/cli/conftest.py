"""Run the installed `logdive` console script as a user would: a subprocess, its exit code, its output."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

LOGDIVE = Path(sys.executable).with_name("logdive")

Run = Callable[..., subprocess.CompletedProcess[str]]


def run_logdive(
    *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The console script with a clean environment (plus `env`); a traceback anywhere fails the test."""
    assert LOGDIVE.exists(), f"the console script is missing: {LOGDIVE} (pip install -e '.[test]')"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GITLAB_", "LOGDIVE_"))}
    base.pop("DATABASE_URL", None)
    base.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", **(env or {})})
    done = subprocess.run(
        [str(LOGDIVE), *args],
        env=base,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


@pytest.fixture
def logdive() -> Run:
    return run_logdive
