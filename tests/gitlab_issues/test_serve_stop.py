"""`logdive serve` told to stop while its outbox drains a backlog into a slow GitLab: it ends well within
Kubernetes' grace period, and what it did not do stays owed, once, for the next process."""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from bot import cases, outbox
from bot.sandbox.gitlab import Fault
from bot.sandbox.slack import SlackStandIn
from tests.gitlab_issues.conftest import (
    GAP_PROJECT,
    SIRT_PROJECT,
    World,
    drain,
    open_case,
    owed,
    runtime_for,
    settings_for,
)
from tests.slack.bot_process import Served, bot_env
from tests.slack.harness import GROUPS, SIGNING_SECRET, USERS

pytestmark = pytest.mark.timeout(240)

BACKLOG = 150
STOP_WITHIN_SECONDS = 10.0  # the requirement; Kubernetes allows 30


def issues_by_case(world: World) -> Counter[int]:
    marker = re.compile(r"<!-- logdive-case:(\d+) -->")
    return Counter(
        int(found.group(1)) for issue in world.sirt_issues() if (found := marker.search(issue.description))
    )


def test_sigterm_stops_serve_within_ten_seconds_and_leaves_the_rest_pending(
    world: World, database_url: str, tmp_path: Path
) -> None:
    case_ids = [open_case(database_url, f"backlog-{n}") for n in range(BACKLOG)]
    assert len(owed(database_url, kinds=(cases.GITLAB_CREATE_ISSUE,))) == BACKLOG
    world.standin.faults.add(Fault(delay=0.5, times=None))  # every GitLab call: half a second
    slack = SlackStandIn(users=USERS, usergroups=GROUPS).start()
    try:
        env = bot_env(
            slack,
            database_url,
            tmp_path,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            GITLAB_URL=world.standin.url,
            GITLAB_TOKEN=world.standin.token,
            LOGDIVE_SIRT_PROJECT=SIRT_PROJECT,
            LOGDIVE_AUDIT_GAP_PROJECT=GAP_PROJECT,
            LOGDIVE_OUTBOX_CONCURRENCY="4",
        )
        served = Served(env, tmp_path / "serve.log").wait_ready()
        deadline = time.monotonic() + 60
        while sum(issues_by_case(world).values()) < 4:  # the drain is under way
            assert time.monotonic() < deadline, served.log.read_text()
            time.sleep(0.1)
        signalled = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        log = served.stop(timeout=60)
        took = time.monotonic() - signalled
    finally:
        slack.stop()
    assert took < STOP_WITHIN_SECONDS, f"stopped {took:.1f} s after SIGTERM\n{log[-3000:]}"
    assert "runtime.stopped" in log and "Traceback" not in log, log[-3000:]

    # Nothing lost, nothing twice: each case has an issue and a done item, or a pending item no one holds.
    made = issues_by_case(world)
    assert set(made.values()) == {1}, made
    items = {item.case_id: item for item in owed(database_url, kinds=(cases.GITLAB_CREATE_ISSUE,))}
    assert made.keys().isdisjoint(items), "an issue was made and its item is still owed"
    assert set(made) | set(items) == set(case_ids)
    assert len(items) > BACKLOG // 2, "the backlog was not left for the next process"
    for item in items.values():
        assert (item.status, item.lease_until, item.leased_by) == (outbox.PENDING, None, None)

    # The next process takes the rest at once (no lease to wait out) and makes each issue once.
    world.standin.faults.clear()
    drain(runtime_for(settings_for(world, database_url)), timeout=120)
    assert issues_by_case(world) == Counter(dict.fromkeys(case_ids, 1))
