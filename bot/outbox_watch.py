"""Keeping an eye on the outbox each tick: gauges for /metrics, and parked items told in the case thread.

A parked item waits for a person (`logdive outbox retry`). Each parking is said once in its case's
thread (an IdempotencyKey per item and parking moment), except for Slack's own items: a thread post
about Slack failing would only fail, and be parked, in turn. /metrics shows every status by kind.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from prometheus_client import Gauge
from sqlalchemy import func
from sqlmodel import col, select

from bot import cases, outbox
from bot.db.engine import session_scope
from bot.db.models import IdempotencyKey, OutboxItem
from bot.db.upsert import insert_if_absent
from bot.logs import get_logger

log = get_logger(__name__)

OUTBOX_ITEMS = Gauge(
    "logdive_outbox_backlog",
    "Outbox items not yet delivered (pending or parked), by status and kind",
    ["status", "kind"],
)
LOOK_BACK = timedelta(days=1)  # parkings older than this were announced by an earlier tick


class OutboxWatch:
    __name__ = "watch_outbox"  # the tick reports each job's result by name

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._shown: set[tuple[str, str]] = set()

    def __call__(self, now: datetime) -> dict[str, int]:
        announced = self.announce_parked(now)
        counts = self.update_gauges()
        return {
            "announced": announced,
            "parked": sum(n for (status, _k), n in counts.items() if status == "parked"),
        }

    def update_gauges(self) -> dict[tuple[str, str], int]:
        with session_scope(self.database_url) as session:
            rows = session.exec(
                select(OutboxItem.status, OutboxItem.kind, func.count())
                .where(OutboxItem.status != outbox.DONE)
                .group_by(OutboxItem.status, OutboxItem.kind)
            ).all()
        counts = {(status, kind): int(n) for status, kind, n in rows}
        for key in self._shown - set(counts):
            OUTBOX_ITEMS.labels(*key).set(0)  # drained since the last tick
        for key, n in counts.items():
            OUTBOX_ITEMS.labels(*key).set(n)
        self._shown = set(counts)
        return counts

    def announce_parked(self, now: datetime) -> int:
        announced = 0
        with session_scope(self.database_url) as session:
            parked = session.exec(
                select(OutboxItem).where(
                    OutboxItem.status == outbox.PARKED,
                    col(OutboxItem.case_id).is_not(None),
                    col(OutboxItem.next_attempt_at) >= now - LOOK_BACK,
                    ~col(OutboxItem.kind).startswith("slack."),
                )
            ).all()
            for item in parked:
                assert item.id is not None and item.case_id is not None
                key = f"outbox-parked:{item.id}:{item.next_attempt_at.isoformat()}"
                if not insert_if_absent(
                    session, IdempotencyKey, {"key": key, "created_at": now, "case_id": item.case_id}, ["key"]
                ):
                    continue
                cases.record_delivery_parked(
                    session,
                    item.case_id,
                    item_id=item.id,
                    kind=item.kind,
                    attempts=item.attempts,
                    error=item.last_error or "",
                    now=now,
                )
                announced += 1
                log.warning("outbox.parked_announced", item_id=item.id, kind=item.kind, case_id=item.case_id)
        return announced
