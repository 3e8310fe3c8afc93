"""`logdive --help` and each command's `--help` import none of the heavy libraries the commands use when they
run (Slack, GitLab, the database, the vault, the extractor, the report): help was 1.4-1.8 s of CPU.

What was imported is read from `sys.modules` in a fresh interpreter that runs the console script's entry
point, not timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import COMMAND_MODULES

HEAVY = (
    "slack_bolt",
    "slack_sdk",
    "gitlab",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "matplotlib",
    "weasyprint",
    "dask",
    "distributed",
    "uvicorn",
    "starlette",
    "apscheduler",
    "cryptography",
    "jinja2",
    "fsspec",
    "aiohttp",
)

# Runs the console script's entry point (bot.cli.main:run) as `logdive ARGS`, then prints what got imported.
PROBE = """
import json, sys
heavy, args = json.loads(sys.argv[1]), sys.argv[2:]
sys.argv = ["logdive", *args]
from bot.cli.main import run
try:
    run()
except SystemExit as done:
    code = done.code
else:
    code = 0
print(json.dumps({"code": code, "imported": sorted(m for m in heavy if m in sys.modules)}), file=sys.stderr)
"""


def _probe(*args: str, env: dict[str, str] | None = None) -> tuple[dict, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GITLAB_", "LOGDIVE_"))}
    clean.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY), *args],
        env={**clean, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


COMMANDS = sorted({name for names in COMMAND_MODULES.values() for name in names})


@pytest.mark.parametrize(
    "command", [(), *((name,) for name in COMMANDS), ("cases", "list"), ("db", "upgrade")]
)
def test_help_imports_no_heavy_library(command: tuple[str, ...]) -> None:
    result, shown = _probe(*command, "--help")
    assert result["code"] == 0
    assert "Usage: logdive" in shown and " ".join(command) in shown
    assert result["imported"] == [], f"logdive {' '.join(command)} --help imported {result['imported']}"


def test_the_root_help_still_lists_every_command() -> None:
    _, shown = _probe("--help")
    for name in COMMANDS:
        assert f" {name} " in shown, name


def test_the_probe_sees_a_command_that_does_load_them(tmp_path: Path) -> None:
    # The same probe, a command that runs: the database layer is imported (so an empty list above means
    # something).
    result, _ = _probe("db", "check", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"})
    assert result["code"] == 2
    assert {"sqlalchemy", "sqlmodel"} <= set(result["imported"])
