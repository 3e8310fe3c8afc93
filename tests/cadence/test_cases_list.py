"""`logdive cases list` tells when each case's next customer update is due, and which are overdue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.cadence.conftest import World
from tests.cli.conftest import run_logdive as logdive
from workflows.states import CaseState


def test_cases_list_shows_overdue_and_paused_updates(world: World) -> None:
    now = datetime.now(UTC)  # the CLI reads the real clock
    overdue = world.open_case(channel=None)
    world.claim(overdue, now - timedelta(days=10))
    paused = world.open_case(channel=None)
    world.claim(paused, now - timedelta(days=10))
    world.move(paused, CaseState.INVESTIGATING, now - timedelta(days=10))
    world.move(paused, CaseState.AWAITING_CUSTOMER, now - timedelta(days=10))
    fresh = world.open_case(channel=None)
    world.claim(fresh, now)
    untriaged = world.open_case(channel=None)
    env = {"DATABASE_URL": world.database_url}

    rows = {r["id"]: r for r in json.loads(logdive("cases", "list", "--json", env=env).stdout)["cases"]}
    assert (rows[f"LD-{overdue}"]["overdue"], rows[f"LD-{overdue}"]["update_clock"]) == (True, "running")
    assert rows[f"LD-{overdue}"]["next_update_due"] < now.isoformat()
    assert (rows[f"LD-{paused}"]["overdue"], rows[f"LD-{paused}"]["update_clock"]) == (False, "paused")
    assert rows[f"LD-{paused}"]["next_update_due"] is None
    assert (rows[f"LD-{fresh}"]["overdue"], rows[f"LD-{fresh}"]["update_clock"]) == (False, "running")
    assert rows[f"LD-{untriaged}"]["update_clock"] == "not started"

    only = json.loads(logdive("cases", "list", "--overdue", "--json", env=env).stdout)["cases"]
    assert [r["id"] for r in only] == [f"LD-{overdue}"]

    table = logdive("cases", "list", env=env)
    assert table.returncode == 0, table.stderr
    [overdue_line] = [line for line in table.stdout.splitlines() if f"LD-{overdue} " in line]
    assert "overdue" in table.stdout and " by " in overdue_line and "d " in overdue_line
    [paused_line] = [line for line in table.stdout.splitlines() if f"LD-{paused} " in line]
    assert "paused" in paused_line

    shown = logdive("cases", "show", f"LD-{overdue}", env=env)
    assert "running — OVERDUE" in shown.stdout
