"""Claiming due rows with a lease, so that N replicas each handle a row once: the outbox, timed work.

A claim sets `lease_until` and `leased_by` on up to `limit` due rows whose lease is free and commits;
the claimer then works outside any transaction and records its outcome only while the row is still
its own (`still_leased`). A claimer that dies holds its rows until the lease runs out; then another
takes them over.

PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED picks rows no other replica is claiming, then an UPDATE
sets the lease. (One UPDATE … WHERE id IN (SELECT … LIMIT n) is not safe there: the planner may re-run
the sub-select per row and lease more than `limit`.) SQLite ignores FOR UPDATE; there that single
UPDATE … RETURNING is the claim, because it takes SQLite's one write lock before it reads, whereas a
read first would make a concurrent claimer fail to upgrade its snapshot to a write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import and_, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, col, select


class Leased(Protocol):
    id: int | None
    lease_until: datetime | None
    leased_by: str | None


Row = TypeVar("Row", bound=SQLModel)


def claim_due(
    session: Session,
    model: type[Row],
    *,
    due: ColumnElement[bool],
    order_by: Sequence[Any],
    now: datetime,
    limit: int,
    worker_id: str,
    lease_seconds: float,
) -> list[Row]:
    """Lease up to `limit` rows of `model` matching `due` (and not leased) to `worker_id`, in `order_by`
    order. The caller commits before working on them."""
    table: Any = model
    lease_free = or_(col(table.lease_until).is_(None), col(table.lease_until) < now)
    claimable = and_(due, lease_free)
    lease = {"lease_until": now + timedelta(seconds=lease_seconds), "leased_by": worker_id}
    candidates = select(table.id).where(claimable).order_by(*order_by).limit(limit)
    if session.get_bind().dialect.name == "sqlite":
        claimed = update(table).where(col(table.id).in_(candidates.scalar_subquery()), claimable)
    else:
        ids = session.execute(candidates.with_for_update(skip_locked=True)).scalars().all()
        if not ids:
            return []
        claimed = update(table).where(col(table.id).in_(ids), claimable)
    claimed_ids = (
        session.execute(
            claimed.values(**lease).returning(table.id).execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    if not claimed_ids:
        return []
    rows = session.exec(
        select(table)
        .where(col(table.id).in_(claimed_ids))
        .order_by(*order_by)
        .execution_options(populate_existing=True)
    ).all()
    return list(rows)


def still_leased(model: type[SQLModel], row: Leased, *extra: ColumnElement[bool]) -> ColumnElement[bool]:
    """The row, as long as the claimer still holds it: for the UPDATE that records an outcome."""
    table: Any = model
    return and_(table.id == row.id, table.leased_by == row.leased_by, *extra)


def release(session: Session, model: type[SQLModel], rows: Sequence[Leased]) -> list[int]:
    """Give back claimed rows nobody worked on (a process stopping): claimable again at once, by any
    replica, instead of when the lease would have run out. Rows no longer ours are left alone."""
    table: Any = model
    released = []
    for row in rows:
        freed = session.execute(
            update(table)
            .where(still_leased(model, row))
            .values(lease_until=None, leased_by=None)
            .execution_options(synchronize_session=False)
        )
        if freed.rowcount == 1:  # type: ignore[attr-defined]
            assert row.id is not None
            released.append(row.id)
    return released
