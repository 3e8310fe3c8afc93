"""N sweepers on one database send each due reminder exactly once; a sweeper that dies loses nothing.

Counted where it matters: the calls the Slack stand-in recorded. PostgreSQL runs the full 10,000
(FOR UPDATE SKIP LOCKED); SQLite a smaller run of the same test (its claims go through the lease).
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import func
from sqlmodel import select

from bot.db.engine import get_engine, session_scope
from bot.db.models import CaseEvent, ScheduledWork
from bot.scheduler import TimedWorkReport, TimedWorkSender
from tests.cadence.bulk import insert_triaged_cases
from tests.cadence.conftest import CHANNEL, MONDAY, World
from tests.cli.conftest import LOGDIVE
from tests.conftest import POSTGRES_URL

# Security-route cases triaged Monday 09:00 owe their update at 21:00 (SIRT's calendar: every weekday hour).
DUE = MONDAY + timedelta(hours=12)


def _seed(world: World, count: int) -> str:
    root = world.client.chat_postMessage(channel=CHANNEL, text="the case message")
    insert_triaged_cases(world.database_url, count, triaged_at=MONDAY, channel=CHANNEL, thread_ts=root["ts"])
    return str(root["ts"])


def _environment(extra: dict[str, str]) -> dict[str, str]:
    """This machine's environment without anyone's Slack, GitLab or Logdive settings, plus `extra`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GITLAB_", "LOGDIVE_"))}
    base.pop("DATABASE_URL", None)
    return {**base, **extra}


def _reminder_labels(world: World, thread_ts: str) -> Counter[str]:
    return Counter(
        str(call.args["text"]).split(":", 1)[0]
        for call in world.slack.calls_to("chat.postMessage")
        if call.args.get("thread_ts") == thread_ts
    )


@pytest.mark.slow
def test_four_sweepers_send_every_due_reminder_exactly_once(world: World) -> None:
    """Four `logdive sweep` processes at once, as four replicas' cron jobs would run."""
    count = 10_000 if POSTGRES_URL else 1_000
    thread_ts = _seed(world, count)
    env = {
        "DATABASE_URL": world.database_url,
        "SLACK_BOT_TOKEN": world.slack.bot_token,
        "SLACK_API_URL": world.slack.base_url,
        "GITLAB_TOKEN": "glpat-unused",
        "GITLAB_URL": "http://127.0.0.1:9",  # nothing is owed to GitLab; never reached
        "LOGDIVE_SIRT_GROUP": "S0SIRT",
        "LOGDIVE_LOG_LEVEL": "WARNING",
    }
    sweepers = [
        subprocess.Popen(
            [str(LOGDIVE), "sweep", "--now", DUE.isoformat()],
            env=_environment(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [sweeper.communicate(timeout=120) for sweeper in sweepers]
    for sweeper, (_out, err) in zip(sweepers, outputs, strict=True):
        assert sweeper.returncode == 0 and "Traceback" not in err, err[-2000:]

    sent = [int(re.search(r"timed work: (\d+) sent", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(sent) == count
    labels = _reminder_labels(world, thread_ts)
    assert len(labels) == count and set(labels.values()) == {1}  # every case reminded, none twice
    assert world.slack.failed_calls() == []
    with session_scope(world.database_url) as session:
        done = session.exec(
            select(func.count()).select_from(ScheduledWork).where(ScheduledWork.status == "done")
        ).one()
        recorded = session.exec(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "update_reminder")
        ).one()
    assert (done, recorded) == (count, count)


def test_a_sweeper_killed_between_claim_and_send_loses_nothing(world: World) -> None:
    count = 150
    thread_ts = _seed(world, count)
    doomed = world.sender("doomed", batch_size=1_000, lease_seconds=120)
    claimed, _ = doomed.claim(DUE, TimedWorkReport())  # claimed and leased, then the process died
    assert len(claimed) == count

    survivor = world.sender("survivor")
    assert survivor.send_timed_work(DUE + timedelta(seconds=119)).claimed == 0  # still leased
    assert _reminder_labels(world, thread_ts) == Counter()
    report = survivor.send_timed_work(DUE + timedelta(seconds=121))
    assert len(report.sent) == count
    labels = _reminder_labels(world, thread_ts)
    assert len(labels) == count and set(labels.values()) == {1}

    # The dead sweeper's lease can no longer record anything over the survivor's outcome.
    with session_scope(world.database_url) as session:
        assert doomed._record(session, claimed[0], {}, DUE) is False
    assert survivor.send_timed_work(DUE + timedelta(hours=1)).claimed == 0


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="row locks: PostgreSQL only (SQLite has one writer)")
def test_rows_locked_by_an_unfinished_claim_are_skipped_not_waited_for(world: World) -> None:
    """A claim whose transaction has not committed (its sweeper stalls or dies mid-claim): the others
    skip the locked rows and send the rest; once its transaction is gone, the rows are free."""
    thread_ts = _seed(world, 40)
    with get_engine(world.database_url).connect() as stalled:
        locked = stalled.execute(
            select(ScheduledWork.id)
            .where(ScheduledWork.kind == "update_reminder")
            .order_by(ScheduledWork.id)
            .limit(10)
            .with_for_update()
        ).all()
        assert len(locked) == 10
        report = world.tick(DUE)
        assert len(report.sent) == 30
        stalled.rollback()  # the stalled claim dies: its transaction rolls back
    assert len(world.tick(DUE).sent) == 10
    labels = _reminder_labels(world, thread_ts)
    assert len(labels) == 40 and set(labels.values()) == {1}


class _StopsAfter(WebClient):
    """Slack's client, and a SIGTERM arriving after `count` messages were posted."""

    def __init__(self, base: WebClient, count: int, stop: threading.Event) -> None:
        super().__init__(token=base.token, base_url=base.base_url)
        self.count, self.stop = count, stop

    def chat_postMessage(self, **kwargs: Any) -> Any:
        answer = super().chat_postMessage(**kwargs)
        self.count -= 1
        if self.count == 0:
            self.stop.set()
        return answer


def test_a_stopping_sweeper_records_what_it_sent_and_releases_the_rest(world: World) -> None:
    """Stop between messages: the one sent is recorded, the rest of the batch is pending with no lease,
    so the next process sends them at once (not after the lease) and each reminder goes out once."""
    count = 40
    thread_ts = _seed(world, count)
    stop = threading.Event()
    stopping = TimedWorkSender(
        world.database_url,
        _StopsAfter(world.client, 5, stop),
        settings=world.settings,
        worker_id="stopping",
        batch_size=50,
        lease_seconds=600,
        stop=stop,
    )
    assert len(stopping.send_timed_work(DUE).sent) == 5
    with session_scope(world.database_url) as session:
        left = session.exec(select(ScheduledWork).where(ScheduledWork.status == "pending")).all()
        due_now = [row for row in left if row.due_at <= DUE]
    assert len(due_now) == count - 5
    assert {(row.lease_until, row.leased_by) for row in due_now} == {(None, None)}
    assert len(world.sender("next").send_timed_work(DUE).sent) == count - 5  # at once: nothing to wait out
    labels = _reminder_labels(world, thread_ts)
    assert len(labels) == count and set(labels.values()) == {1}
