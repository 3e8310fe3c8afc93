"""`logdive demo` run as a person runs it: the console script in a subprocess, on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

LOGDIVE = Path(sys.executable).with_name("logdive")


@contextmanager
def demo_process(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`logdive demo` started and serving: its URL and its process (stopped with SIGTERM if still running).
    Its temporary files go under tmp_path/tmp (TMPDIR)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GITLAB_", "LOGDIVE_"))}
    env.pop("DATABASE_URL", None)
    workdir, temporary = tmp_path / "workdir", tmp_path / "tmp"
    workdir.mkdir()
    temporary.mkdir()
    env["TMPDIR"] = str(temporary)
    stderr = (tmp_path / "stderr.log").open("w")
    process = subprocess.Popen(
        [str(LOGDIVE), "demo", "--port", "0", "--sweep-hours", "24"],
        cwd=workdir,  # the demo must leave nothing behind where it runs
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=60)
    if not first or "/demo" not in first[0]:
        process.kill()
        raise AssertionError(f"logdive demo did not start: {first} {(tmp_path / 'stderr.log').read_text()}")
    url = first[0].split("open ", 1)[1].split("/demo", 1)[0]
    try:
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)
        stderr.close()
    assert list(workdir.iterdir()) == [], "the demo left files where it ran"


@pytest.fixture
def demo_url(tmp_path: Path) -> Iterator[str]:
    with demo_process(tmp_path) as (url, _):
        yield url
