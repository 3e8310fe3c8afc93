"""Reading one row locked for the rest of the transaction, so concurrent changes to it queue up."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy import update
from sqlmodel import Session, col, select


class Versioned(Protocol):
    id: int | None
    version: int


Row = TypeVar("Row", bound=Versioned)


def lock_row(session: Session, model: type[Row], row_id: int) -> Row | None:
    """PostgreSQL: SELECT … FOR UPDATE. SQLite ignores FOR UPDATE, so a no-op UPDATE first takes its
    write lock before the read. None when there is no such row."""
    key = col(model.id) == row_id
    query = select(model).where(key)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(model).where(key).values(version=col(model.version)))
    else:
        query = query.with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).first()
