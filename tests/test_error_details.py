"""A database error's details (its statement and parameters) never reach a log line or a stored error."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from bot import outbox
from bot.db.engine import session_scope
from bot.db.models import IdempotencyKey, OutboxItem
from bot.logs import describe_error
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.background import Background

PLANTED = "alice.customer@example.com 81.2.69.142"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _integrity_error(database_url: str) -> IntegrityError:
    """A real one from the database in use: a duplicate key whose value is the planted text."""
    with session_scope(database_url) as session:
        session.add(IdempotencyKey(key=PLANTED, created_at=NOW))
    try:
        with session_scope(database_url) as session:
            session.add(IdempotencyKey(key=PLANTED, created_at=NOW))
    except IntegrityError as exc:
        assert PLANTED in str(exc)  # what SQLAlchemy itself would have put in the log
        return exc
    raise AssertionError("the duplicate key was accepted")


def test_a_database_error_is_described_by_its_class_only(database_url: str) -> None:
    described = describe_error(_integrity_error(database_url))
    assert described.startswith("IntegrityError (") and PLANTED not in described
    assert "INSERT" not in described and "idempotency" not in described
    assert describe_error(ConnectionError("GitLab is down")) == "ConnectionError: GitLab is down"


def test_no_failure_path_logs_or_stores_the_parameters(
    database_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    error = _integrity_error(database_url)

    def failing(*_args: object) -> None:
        raise error

    # The outbox: the stored last error and the log line.
    with session_scope(database_url) as session:
        item = outbox.enqueue(session, case_id=None, kind="test.effect", payload={}, key="k-1", now=NOW)
        item_id = item.id
    report = outbox.deliver_due(database_url, {"test.effect": failing}, now=NOW, worker_id="w")
    assert report.retrying == [item_id]
    with session_scope(database_url) as session:
        stored = session.get(OutboxItem, item_id)
        assert stored is not None and stored.last_error and PLANTED not in stored.last_error
    # A scheduler tick job.
    runtime = Runtime(Settings(database_url=database_url, slack_bot_token="xoxb-x"))
    runtime.tick_jobs = [failing]
    runtime.tick(NOW)

    # Work a Slack handler handed on.
    async def handed_on() -> None:
        work = Background()
        task = work.spawn(asyncio.to_thread(failing), name="test.failing")
        await asyncio.wait([task])
        await asyncio.sleep(0)  # the done-callback logs
        work.shutdown()

    asyncio.run(handed_on())
    logged = capfd.readouterr()
    text = logged.out + logged.err
    assert "IntegrityError" in text and "tick.job_failed" in text and "slack.background_failed" in text
    assert PLANTED not in text and "alice.customer" not in text
