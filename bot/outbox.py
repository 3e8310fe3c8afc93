"""The durable outbox: side effects owed by committed changes, delivered by workers exactly once each.

A change enqueues its side effects in the same transaction as the change itself. Workers claim due
items with a lease (PostgreSQL also skips rows other replicas hold locked), call the handler for the
item's kind *outside* any transaction, then record the outcome. A worker that dies after claiming
holds its items only until the lease runs out; then another worker takes them over. Handlers must be
idempotent (a delivery may repeat after a lost lease); a lost lease never overwrites another
worker's outcome.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, update
from sqlmodel import Session, col, select

from bot.db import claims
from bot.db.engine import session_scope
from bot.db.models import OutboxItem
from bot.db.upsert import insert_if_absent
from bot.logs import describe_error, get_logger

log = get_logger(__name__)

PENDING, DONE, PARKED = "pending", "done", "parked"

Result = Mapping[str, Any] | None
Handler = Callable[[OutboxItem], Result]
# Runs in the transaction that marks an item done: e.g. store the created issue's iid on the case.
OnDone = Callable[[Session, OutboxItem, dict[str, Any]], None]


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help (e.g. 403, 404): the item is parked at once."""


class RetryAfter(Exception):
    """Raised by a handler when the far side says when to come back (HTTP 429 Retry-After)."""

    def __init__(self, seconds: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.seconds = max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    max_attempts: int = 10  # then parked until someone retries it by hand

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Exponential backoff with jitter in [d/2, d]: replicas retrying together spread out."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


DEFAULT_RETRY = RetryPolicy()


def enqueue(
    session: Session,
    *,
    case_id: int | None,
    kind: str,
    payload: Mapping[str, Any],
    key: str,
    now: datetime,
) -> OutboxItem:
    """Owe a side effect, once per key: enqueueing the same key again returns the item already owed."""
    values = {
        "case_id": case_id,
        "kind": kind,
        "payload": dict(payload),
        "idempotency_key": key,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    insert_if_absent(session, OutboxItem, values, conflict_on=["idempotency_key"])
    return session.exec(select(OutboxItem).where(OutboxItem.idempotency_key == key)).one()


def claim_due(
    session: Session, *, now: datetime, limit: int, worker_id: str, lease_seconds: float
) -> list[OutboxItem]:
    """Lease up to `limit` due items to `worker_id` (bot.db.claims); the caller commits before
    delivering them."""
    return claims.claim_due(
        session,
        OutboxItem,
        due=and_(col(OutboxItem.status) == PENDING, col(OutboxItem.next_attempt_at) <= now),
        order_by=(col(OutboxItem.next_attempt_at), col(OutboxItem.id)),
        now=now,
        limit=limit,
        worker_id=worker_id,
        lease_seconds=lease_seconds,
    )


def _still_mine(item: OutboxItem) -> Any:
    return claims.still_leased(OutboxItem, item, col(OutboxItem.status) == PENDING)


def mark_done(session: Session, item: OutboxItem, *, result: Result, now: datetime) -> bool:
    """Record a delivery. False when the lease was lost meanwhile (another worker owns the item now)."""
    updated = session.execute(
        update(OutboxItem)
        .where(_still_mine(item))
        .values(
            status=DONE,
            done_at=now,
            result=dict(result) if result is not None else None,
            attempts=OutboxItem.attempts + 1,
            lease_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return updated.rowcount == 1  # type: ignore[attr-defined]


def mark_failed(
    session: Session,
    item: OutboxItem,
    *,
    error: str,
    now: datetime,
    retry: RetryPolicy = DEFAULT_RETRY,
    permanent: bool = False,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> str | None:
    """Record a failed attempt: back off and retry, or park it. Returns the new status (None: lease lost)."""
    attempts = item.attempts + 1
    parked = permanent or attempts >= retry.max_attempts
    delay = retry.delay(attempts, rng)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    updated = session.execute(
        update(OutboxItem)
        .where(_still_mine(item))
        .values(
            status=PARKED if parked else PENDING,
            attempts=attempts,
            next_attempt_at=now if parked else now + delay,
            lease_until=None,
            last_error=error[:2000],
        )
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return PARKED if parked else PENDING


def retry_all_parked(session: Session, *, now: datetime) -> int:
    """Every parked item back in the queue with a fresh attempt count (`logdive outbox retry`)."""
    updated = session.execute(
        update(OutboxItem)
        .where(col(OutboxItem.status) == PARKED)
        .values(status=PENDING, attempts=0, next_attempt_at=now, lease_until=None, leased_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(updated.rowcount)  # type: ignore[attr-defined]


def retry_parked(
    session: Session, *, now: datetime, case_id: int | None = None, item_id: int | None = None
) -> int:
    """Put parked items (of one case, or one item) back in the queue with a fresh attempt count."""
    if (case_id is None) == (item_id is None):
        raise ValueError("retry_parked needs exactly one of case_id or item_id")
    which = col(OutboxItem.case_id) == case_id if case_id is not None else col(OutboxItem.id) == item_id
    updated = session.execute(
        update(OutboxItem)
        .where(which, col(OutboxItem.status) == PARKED)
        .values(status=PENDING, attempts=0, next_attempt_at=now, lease_until=None, leased_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(updated.rowcount)  # type: ignore[attr-defined]


@dataclass
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    parked: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)  # lease expired mid-delivery; the new owner records
    released: list[int] = field(default_factory=list)  # not attempted (stopping): pending, lease freed

    @property
    def claimed(self) -> int:
        return sum(len(x) for x in (self.delivered, self.retrying, self.parked, self.lost, self.released))


def deliver_due(
    url: str,
    handlers: Mapping[str, Handler],
    *,
    now: datetime,
    worker_id: str,
    limit: int = 20,
    lease_seconds: float = 300.0,
    retry: RetryPolicy = DEFAULT_RETRY,
    on_done: Mapping[str, OnDone] | None = None,
    concurrency: int = 1,
    stop: threading.Event | None = None,
) -> DeliveryReport:
    """One pass: claim due items (one transaction), deliver each outside it, record each outcome.

    With `concurrency` > 1 the claimed items are delivered by that many threads at once (a slow far
    side then costs one round trip per batch, not per item); each outcome is still recorded on its own.
    Once `stop` is set no further item is started: deliveries in flight finish and are recorded, the
    rest are released (pending, their lease freed) for the next process.
    """
    report = DeliveryReport()
    if stop is not None and stop.is_set():
        return report
    with session_scope(url) as session:
        items = claim_due(session, now=now, limit=limit, worker_id=worker_id, lease_seconds=lease_seconds)
    untouched: list[OutboxItem] = []

    def deliver(item: OutboxItem) -> None:
        if stop is not None and stop.is_set():
            untouched.append(item)
            return
        _deliver_one(url, item, handlers, now=now, retry=retry, on_done=on_done or {}, report=report)

    if concurrency <= 1 or len(items) <= 1:
        for item in items:
            deliver(item)
    else:
        with ThreadPoolExecutor(
            max_workers=min(concurrency, len(items)), thread_name_prefix="outbox"
        ) as pool:
            list(pool.map(deliver, items))
    if untouched:
        with session_scope(url) as session:
            report.released = claims.release(session, OutboxItem, untouched)
        log.info("outbox.released", count=len(report.released))
    return report


def _deliver_one(
    url: str,
    item: OutboxItem,
    handlers: Mapping[str, Handler],
    *,
    now: datetime,
    retry: RetryPolicy,
    on_done: Mapping[str, OnDone],
    report: DeliveryReport,
) -> None:
    assert item.id is not None
    handler = handlers.get(item.kind)
    failure: Exception | None = None
    result: Result = None
    if handler is None:
        failure = PermanentError(f"no handler registered for outbox kind {item.kind!r}")
    else:
        try:
            result = handler(item)
        except Exception as exc:  # any handler failure is recorded, never lost or raised into the loop
            failure = exc
    with session_scope(url) as session:
        if failure is None:
            recorded = mark_done(session, item, result=result, now=now)
            if recorded and item.kind in on_done:
                on_done[item.kind](session, item, dict(result or {}))
            (report.delivered if recorded else report.lost).append(item.id)
            log.info("outbox.delivered", item_id=item.id, kind=item.kind, recorded=recorded)
            return
        status = mark_failed(
            session,
            item,
            error=describe_error(failure),
            now=now,
            retry=retry,
            permanent=isinstance(failure, PermanentError),
            retry_after=failure.seconds if isinstance(failure, RetryAfter) else None,
        )
    bucket = {PENDING: report.retrying, PARKED: report.parked, None: report.lost}[status]
    bucket.append(item.id)
    log.warning("outbox.failed", item_id=item.id, kind=item.kind, status=status, error=type(failure).__name__)


def pending_for(session: Session, case_id: int, kinds: Iterable[str] | None = None) -> list[OutboxItem]:
    """What a case still owes (not yet delivered, parked included): for `cases show` and tests."""
    query = select(OutboxItem).where(OutboxItem.case_id == case_id, OutboxItem.status != DONE)
    if kinds is not None:
        query = query.where(col(OutboxItem.kind).in_(list(kinds)))
    return list(session.exec(query.order_by(col(OutboxItem.id))).all())
